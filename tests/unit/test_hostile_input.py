"""What a hostile probe sent that a decoder choked on: each case answered 500 before, because
user input reached ``base64``, ``bytes.fromhex`` or a parser that raises more than it says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.ingress.api.models import AppIn, EndpointIn, RotateIn
from services.ingress.inbound.verification.validation import parse_verification
from shared.errors import Unprocessable
from shared.setting_values import SettingsError, parse_duration


@pytest.mark.parametrize("secret", ["whsec_é", "é", "whsec_\u2603\u2603\u2603\u2603", "whsec_\x00"])
def test_a_standard_secret_that_is_not_ascii_is_a_422_naming_secret(secret: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        parse_verification("standard", secret)
    assert refused.value.details == [
        {"path": "secret", "msg": "must be base64 (optionally after whsec_)"}
    ]


@pytest.mark.parametrize("model", [EndpointIn, RotateIn])
def test_an_endpoint_secret_that_is_not_ascii_is_a_validation_error(model: type) -> None:
    fields = {"url": "https://example.com/", "secret": "whsec_é"}
    if model is RotateIn:
        fields.pop("url")
    with pytest.raises(ValidationError) as refused:
        model(**fields)
    assert refused.value.errors()[0]["loc"] == ("secret",)


@pytest.mark.parametrize("text", ["99999999999999999999999999d", "36501d", "١٢s", "1e400"])
def test_durations_past_a_century_or_not_in_ascii_digits_are_refused(text: str) -> None:
    # A retention or window of 10^26 days overflowed the database's integers downstream.
    with pytest.raises(SettingsError):
        parse_duration(text)
    with pytest.raises(ValidationError):
        AppIn(name="a", retention=text)


def test_a_century_is_still_a_duration() -> None:
    assert parse_duration("36500d") == 36500 * 86400
