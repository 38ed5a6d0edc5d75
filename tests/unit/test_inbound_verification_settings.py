"""Source verification settings: what each provider needs, and clear 422s for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingress.inbound.verification import (
    CHALLENGE_PROVIDERS,
    PROVIDERS,
    parse_verification,
)
from services.ingress.inbound.verification.settings import HmacCheck
from shared.errors import Unprocessable
from tests.unit.inbound_signers import WHSEC

SECRETS = {"stripe": "whsec_abc", "standard": WHSEC}
PRESETS = [p for p in PROVIDERS if p != "generic"]


def refused(provider: Any, secret: Any = None, verification: Any = None) -> Unprocessable:
    with pytest.raises(Unprocessable) as caught:
        parse_verification(provider, secret, verification)
    error = caught.value
    assert error.status == 422
    assert error.body()["error"]["code"] == "validation_error"
    assert isinstance(error.details, list) and {"path", "msg"} <= set(error.details[0])
    return error


def path(error: Unprocessable) -> str:
    return str(error.details[0]["path"])


@pytest.mark.parametrize("provider", PRESETS)
def test_every_preset_parses_with_its_secret(provider: str) -> None:
    secret = SECRETS.get(provider, "a-secret-value")
    options = {"verify_token": "vt"} if provider == "meta" else None
    settings = parse_verification(provider, secret, options)
    assert settings.provider == provider
    assert settings.uses_challenge is (provider in CHALLENGE_PROVIDERS)
    assert secret not in repr(settings)


def test_keys_are_decoded_once_at_parse_time() -> None:
    assert parse_verification("github", "abc").key == b"abc"
    assert parse_verification("stripe", "whsec_abc").key == b"whsec_abc"  # used as is
    assert len(parse_verification("standard", WHSEC).key) == 24  # base64-decoded
    assert len(parse_verification("standard", WHSEC + "==").key) == 24  # padding optional


@pytest.mark.parametrize("provider", [None, "GitHub", "bitbucket", 3, ["github"]])
def test_an_unknown_provider_is_refused(provider: Any) -> None:
    error = refused(provider, "s")
    assert path(error) == "provider"
    assert "github" in error.message


@pytest.mark.parametrize("provider", PRESETS)
@pytest.mark.parametrize("secret", [None, "", 5, " padded", "newline\n", "x" * 1025])
def test_every_preset_needs_a_clean_secret(provider: str, secret: Any) -> None:
    options = {"verify_token": "vt"} if provider == "meta" else None
    assert path(refused(provider, secret, options)) == "secret"


@pytest.mark.parametrize("secret", ["sk_live_123", "rk_test_1", "whsecXYZ"])
def test_stripe_needs_its_signing_secret(secret: str) -> None:
    error = refused("stripe", secret)
    assert "whsec_" in error.message
    assert secret not in str(error.body())


@pytest.mark.parametrize(
    "secret",
    [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_!!!notbase64",
        "whsec_QUFB",
        "whsec_" + "QUFB" * 30,
    ],
)
def test_standard_needs_a_whsec_key_of_24_to_64_bytes(secret: str) -> None:
    assert path(refused("standard", secret)) == "secret"


def test_meta_needs_a_verify_token() -> None:
    assert path(refused("meta", "app-secret")) == "verification.verify_token"
    assert path(refused("meta", "app-secret", {"verify_token": ""})) == "verification.verify_token"
    assert path(refused("meta", "app-secret", {"verify_token": "t", "x": 1})) == "verification"


@pytest.mark.parametrize("provider", [p for p in PRESETS if p not in ("meta", "twilio")])
def test_presets_take_no_verification_options(provider: str) -> None:
    error = refused(provider, SECRETS.get(provider, "s"), {"verify_token": "t"})
    assert path(error) == "verification"
    assert "unknown field" in error.message
    assert parse_verification(provider, SECRETS.get(provider, "s"), {}).provider == provider


def test_verification_must_be_an_object() -> None:
    assert path(refused("github", "s", ["none"])) == "verification"


GENERIC_HMAC = {"type": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"}


@pytest.mark.parametrize(
    ("secret", "verification", "where"),
    [
        (None, None, "verification"),
        (None, {}, "verification"),
        (None, {"type": "oauth"}, "verification.type"),
        (None, {"type": "none", "extra": 1}, "verification"),
        ("s", {"type": "none"}, "secret"),
        ("s", {"type": "api_key", "header": "X-K", "key": "k"}, "secret"),
        (None, {"type": "header"}, "verification.headers"),
        (None, {"type": "header", "headers": {}}, "verification.headers"),
        (None, {"type": "header", "headers": {"bad name": "v"}}, "verification.headers"),
        (None, {"type": "header", "headers": {"X-A": "v\r\nX-B: w"}}, "verification.headers.X-A"),
        (None, {"type": "header", "headers": {"X-A": 1}}, "verification.headers.X-A"),
        (None, {"type": "basic", "password": "p"}, "verification.username"),
        (None, {"type": "basic", "username": "a:b", "password": "p"}, "verification.username"),
        (None, {"type": "basic", "username": "a"}, "verification.password"),
        (None, {"type": "api_key", "key": "k"}, "verification.header"),
        (None, {"type": "api_key", "header": "X-K"}, "verification.key"),
        (None, {"type": "api_key", "header": "X-K", "key": "ключ"}, "verification.key"),
        (None, GENERIC_HMAC, "verification.secret"),
        ("s", GENERIC_HMAC | {"secret": "t"}, "secret"),
        ("s", GENERIC_HMAC | {"algorithm": "md5"}, "verification.algorithm"),
        ("s", GENERIC_HMAC | {"algorithm": "SHA256"}, "verification.algorithm"),
        ("s", GENERIC_HMAC | {"encoding": "base32"}, "verification.encoding"),
        ("s", {k: v for k, v in GENERIC_HMAC.items() if k != "header"}, "verification.header"),
        ("s", GENERIC_HMAC | {"prefix": 3}, "verification.prefix"),
        ("s", GENERIC_HMAC | {"tolerance": 3}, "verification"),
        (None, GENERIC_HMAC | {"secret": " s"}, "verification.secret"),
    ],
)
def test_generic_verification_is_validated(secret: Any, verification: Any, where: str) -> None:
    error = refused("generic", secret, verification)
    assert path(error) == where
    assert error.message.startswith(where)


def test_generic_hmac_settings_are_typed() -> None:
    settings = parse_verification("generic", None, GENERIC_HMAC | {"secret": "k", "prefix": None})
    assert settings.check == HmacCheck("X-Sig", "sha256", "hex", "", b"k")
    assert "k'" not in repr(settings)


def test_no_error_carries_a_secret_value() -> None:
    error = refused("generic", "topsecret", {"type": "basic", "username": "u", "password": "x"})
    assert "topsecret" not in str(error.body())
    error = refused("meta", "app-secret", {"verify_token": "hunter2\n"})
    assert "hunter2" not in str(error.body())
