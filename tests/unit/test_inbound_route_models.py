"""Route bodies: an http destination's headers must be sendable, or they are refused (422)
when the route is written instead of failing every delivery."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from services.ingress.inbound.models import DESTINATION


def destination(headers: dict[str, str]) -> BaseModel:
    return DESTINATION.validate_python({"type": "http", "url": "http://x", "headers": headers})


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "a\r\nX-B: b"},
        {"X-A": "trailing\n"},
        {"X-A": "\u4e2d"},
        {"X-A": "caf\u00e9"},
        {"bad name": "v"},
        {"X-A\n": "v"},
        {"": "v"},
        {"Content-Length": "1"},
    ],
)
def test_unsendable_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        destination(headers)


def test_ordinary_headers_are_kept() -> None:
    headers = {"Authorization": "Bearer abc.def", "X-Empty": "", "X-Tab": "a\tb"}
    assert destination(headers).model_dump()["headers"] == headers
