"""Every preset, signed by the provider's own SDK or recipe: accepts a good signature and rejects
a tampered body, a wrong secret, a missing header and (where signed) a stale timestamp."""

from __future__ import annotations

import pytest

from services.ingress.inbound.verification import Rejected, Verified
from tests.unit.inbound_signers import NOW, PRESETS, Preset

IDS = [f"{p.provider}-{p.sign.__name__}" for p in PRESETS]
TIMESTAMPED = [p for p in PRESETS if p.timestamped]
# GitLab's shared token does not cover the body: tested apart, below.
BODY_SIGNED = [(p, i) for p, i in zip(PRESETS, IDS, strict=True) if p.provider != "gitlab"]


def tampered(body: bytes) -> bytes:
    changed = body.replace(b"4", b"5", 1)
    assert changed != body
    return changed


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_a_good_signature_verifies(preset: Preset) -> None:
    verdict = preset.check(preset.sign(preset.secret, preset.body, NOW))
    scheme = "generic:hmac" if preset.provider == "generic" else preset.provider
    assert verdict == Verified(scheme)


@pytest.mark.parametrize("preset", [p for p, _ in BODY_SIGNED], ids=[i for _, i in BODY_SIGNED])
def test_a_tampered_body_is_rejected(preset: Preset) -> None:
    signed = preset.sign(preset.secret, preset.body, NOW)
    verdict = preset.check(signed, body=tampered(signed.body))
    assert isinstance(verdict, Rejected)
    assert verdict.status == 401


def test_gitlab_token_does_not_cover_the_body() -> None:
    # A shared token, not a signature: the README says so; any other preset signs the body.
    gitlab = next(p for p in PRESETS if p.provider == "gitlab")
    signed = gitlab.sign(gitlab.secret, gitlab.body, NOW)
    assert isinstance(gitlab.check(signed, body=tampered(signed.body)), Verified)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_a_wrong_secret_is_rejected(preset: Preset) -> None:
    verdict = preset.check(preset.sign(preset.wrong_secret, preset.body, NOW))
    assert isinstance(verdict, Rejected)


@pytest.mark.parametrize(
    ("preset", "header"),
    [(p, h) for p in PRESETS for h in p.proof_headers],
    ids=[f"{i}-{h}" for i, p in zip(IDS, PRESETS, strict=True) for h in p.proof_headers],
)
def test_a_missing_header_is_rejected(preset: Preset, header: str) -> None:
    signed = preset.sign(preset.secret, preset.body, NOW)
    headers = {k: v for k, v in signed.headers.items() if k != header}
    verdict = preset.check(signed, headers=headers)
    assert isinstance(verdict, Rejected)
    assert "missing" in verdict.reason


@pytest.mark.parametrize("preset", TIMESTAMPED, ids=[p.sign.__name__ for p in TIMESTAMPED])
@pytest.mark.parametrize("offset", [-301, 301, -3600, 86400])
def test_a_timestamp_beyond_five_minutes_is_rejected(preset: Preset, offset: int) -> None:
    verdict = preset.check(preset.sign(preset.secret, preset.body, NOW + offset))
    assert isinstance(verdict, Rejected)
    assert "300 seconds" in verdict.reason


@pytest.mark.parametrize("preset", TIMESTAMPED, ids=[p.sign.__name__ for p in TIMESTAMPED])
@pytest.mark.parametrize("offset", [-300, 300, 0])
def test_a_timestamp_within_five_minutes_verifies(preset: Preset, offset: int) -> None:
    assert isinstance(preset.check(preset.sign(preset.secret, preset.body, NOW + offset)), Verified)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_header_names_are_case_insensitive(preset: Preset) -> None:
    signed = preset.sign(preset.secret, preset.body, NOW)
    lowered = {k.lower(): v for k, v in signed.headers.items()}
    upper = {k.upper(): v for k, v in signed.headers.items()}
    assert isinstance(preset.check(signed, headers=lowered), Verified)
    assert isinstance(preset.check(signed, headers=upper), Verified)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_no_rejection_reason_carries_the_secret(preset: Preset) -> None:
    good = preset.sign(preset.secret, preset.body, NOW)
    cases = [
        preset.check(preset.sign(preset.wrong_secret, preset.body, NOW)),
        preset.check(good, body=tampered(good.body)),
        preset.check(good, headers={}),
    ]
    for verdict in cases:
        if isinstance(verdict, Rejected):
            assert preset.secret not in verdict.reason
            assert preset.secret.encode() not in verdict.answer().body
            for value in good.headers.values():
                assert len(value) < 8 or value not in verdict.reason
