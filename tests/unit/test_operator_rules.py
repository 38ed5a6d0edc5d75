"""Pure rules behind the operator features: colon names and patterns, masked credentials."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.ingress.models import EndpointIn, MessageIn
from services.router.matching import type_matches
from shared.secret_headers import MASK, is_credential, kept, masked


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("environment:code:*", "environment:code:deployed", True),
        ("environment:code:*", "environment:code:deploy-failed", True),
        ("environment:code:*", "environment:site:created", False),
        ("environment:code:*", "environment:code", False),
        ("environment:*", "environment:code:deployed", True),
        ("environment:code:deployed", "environment:code:deployed", True),
        ("invoice.*", "invoice:paid", False),
    ],
)
def test_colon_prefix_patterns(pattern: str, event_type: str, expected: bool) -> None:
    assert type_matches(pattern, event_type) is expected


def test_colon_names_and_patterns_are_accepted_and_others_refused() -> None:
    assert MessageIn(event_type="environment:code:deployed", payload={}).event_type
    EndpointIn(url="https://x.example", event_types=["environment:code:*", "a.*", "*"])
    for bad in ("environment code", "a:*:b*", "*a"):
        with pytest.raises(ValidationError):
            EndpointIn(url="https://x.example", event_types=[bad])


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "cookie",
        "X-API-KEY",
        "x-ci-token",
        "Client-Secret",
        "db-password",
        "x-signing-key",
        "Proxy-Authorization",
    ],
)
def test_credential_names(name: str) -> None:
    assert is_credential(name)


def test_masked_keeps_other_headers_and_kept_restores_masked_values() -> None:
    headers = {"Authorization": "Bearer a", "x-team": "core"}
    assert masked(headers) == {"Authorization": MASK, "x-team": "core"}
    assert masked(None) == {}
    assert kept({"authorization": MASK, "x-team": "ops"}, headers) == {
        "authorization": "Bearer a",
        "x-team": "ops",
    }
    assert kept({"x-api-key": MASK}, headers) == {"x-api-key": MASK}  # nothing to keep
