"""Source verification settings: what each provider needs, and clear 422s for the rest."""

from __future__ import annotations

from typing import Any

import pytest

from services.ingress.inbound.verification import (
    CHALLENGE_PROVIDERS,
    PROVIDERS,
    parse_verification,
)
from services.ingress.inbound.verification.settings import ApiKeyCheck, HmacCheck, NoCheck
from shared.errors import Unprocessable
from tests.unit.inbound_signers import WHSEC

SECRETS = {"stripe": "whsec_abc", "standard": WHSEC, "teams": "dGVhbXMtdG9rZW4="}
# sendgrid verifies with a public key, not a secret (tests of its own elsewhere)
PRESETS = [p for p in PROVIDERS if p not in ("generic", "sendgrid")]


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
    if provider == "meta" and secret is None:
        return  # a Meta source may be made for its handshake alone (see below)
    assert path(refused(provider, secret, options)) == "secret"


def test_a_meta_source_without_app_secret_answers_the_handshake_only() -> None:
    settings = parse_verification("meta", None, {"verify_token": "vt"})
    assert settings.key == b"" and settings.verify_token == b"vt"


@pytest.mark.parametrize("secret", ["sk_live_123", "rk_test_1", "pk_test_1"])
def test_stripe_refuses_an_api_key(secret: str) -> None:
    error = refused("stripe", secret)
    assert "whsec_" in error.message
    assert secret not in str(error.body())


@pytest.mark.parametrize("secret", ["whsec_abc", "stripe-test-secret", "whsecXYZ"])
def test_stripe_uses_any_other_secret_as_is(secret: str) -> None:
    # Stripe's own helpers sign with whatever string they are given.
    assert parse_verification("stripe", secret).key == secret.encode()


@pytest.mark.parametrize("secret", ["whsec_!!!notbase64", "not base64", "whsec_", "whsec_===="])
def test_standard_needs_a_base64_key(secret: str) -> None:
    assert path(refused("standard", secret)) == "secret"


@pytest.mark.parametrize(
    ("secret", "length"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 24),  # the reference library's vector, no prefix
        ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 24),
        ("whsec_QUFB", 3),  # shorter than the specification recommends: still the sender's key
        ("whsec_" + "QUFB" * 30, 90),
    ],
)
def test_standard_takes_the_key_as_the_reference_library_does(secret: str, length: int) -> None:
    assert len(parse_verification("standard", secret).key) == length


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
        ("s", None, "verification"),  # a secret alone does not say how to check it
        (None, {"type": "oauth"}, "verification.type"),
        (None, {"type": "none", "extra": 1}, "verification"),
        (None, {"type": "header"}, "verification.headers"),
        (None, {"type": "header", "headers": {}}, "verification.headers"),
        (None, {"type": "header", "headers": {"bad name": "v"}}, "verification.headers"),
        (None, {"type": "header", "headers": {"X-A\n": "v"}}, "verification.headers"),
        (None, {"type": "header", "headers": {"X-A": "v\r\nX-B: w"}}, "verification.headers.X-A"),
        (None, {"type": "header", "headers": {"X-A": 1}}, "verification.headers.X-A"),
        (None, {"type": "basic", "password": "p"}, "verification.username"),
        (None, {"type": "basic", "username": "a:b", "password": "p"}, "verification.username"),
        (None, {"type": "basic", "username": "a"}, "verification.password"),
        (None, {"type": "api_key", "key": "k"}, "verification.header"),
        (None, {"type": "api_key", "header": "X-K"}, "verification.key"),
        (None, {"type": "api_key", "header": "X-K", "key": "ключ"}, "verification.key"),
        (None, GENERIC_HMAC, "verification.secret"),
        ("s", GENERIC_HMAC | {"algorithm": "md5"}, "verification.algorithm"),
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
    error = refused("generic", "topsecret", {"type": "basic", "username": "u:", "password": "x"})
    assert "topsecret" not in str(error.body())
    error = refused("meta", "app-secret", {"verify_token": "hunter2\n"})
    assert "hunter2" not in str(error.body())


@pytest.mark.parametrize("verification", [None, {}])
def test_a_generic_source_without_verification_checks_nothing(verification: Any) -> None:
    assert parse_verification("generic", None, verification).check == NoCheck()


def test_generic_choices_are_read_in_any_case() -> None:
    loud = GENERIC_HMAC | {"type": "HMAC", "algorithm": "SHA256", "encoding": "HEX"}
    assert parse_verification("generic", "k", loud).check == HmacCheck(
        "X-Sig", "sha256", "hex", "", b"k"
    )


def test_generic_takes_the_sources_secret_where_its_object_has_none() -> None:
    api_key = {"type": "api_key", "header": "X-K"}
    assert parse_verification("generic", "k1", api_key).check == ApiKeyCheck("X-K", b"k1")
    own = parse_verification("generic", "k1", api_key | {"key": "k2"}).check
    assert own == ApiKeyCheck("X-K", b"k2")  # the object's own key wins
    both = parse_verification("generic", "outer", GENERIC_HMAC | {"secret": "inner"}).check
    assert isinstance(both, HmacCheck) and both.key == b"inner"
    # Types without a key leave a secret sent with them unused.
    assert parse_verification("generic", "s", {"type": "none"}).check == NoCheck()
