"""The received-request value: case-insensitive headers, URL parsed once, raw body kept."""

from __future__ import annotations

import dataclasses

import pytest

from services.ingress.inbound.verification import Headers, InboundRequest


def test_headers_are_case_insensitive_and_first_value_wins() -> None:
    headers = Headers([(b"X-Token", b"a"), ("x-token", "b"), ("Content-Type", "text/plain")])
    assert headers.get("X-TOKEN") == "a"
    assert "content-type" in headers and "X-Other" not in headers
    assert headers.get("x-other") is None
    assert dict(headers) == {"x-token": "a", "content-type": "text/plain"}


def test_header_bytes_are_latin1_as_on_the_wire() -> None:
    assert Headers([(b"X-Id", "é".encode())]).get("x-id") == "Ã©"


def test_header_repr_shows_names_only() -> None:
    assert "s3cr3t" not in repr(Headers([("X-Gitlab-Token", "s3cr3t")]))


def test_build_parses_path_and_query_and_keeps_the_url_and_body() -> None:
    url = "https://h.example/in/src_1/git%2Fpush?a=1&b=&a=2&c=%20x"
    request = InboundRequest.build("post", url, [("X-A", "1")], b"\x00raw")
    assert request.method == "POST"
    assert request.url == url
    assert request.path == "/in/src_1/git%2Fpush"
    assert request.query == (("a", "1"), ("b", ""), ("a", "2"), ("c", " x"))
    assert request.query_value("a") == "1" and request.query_value("b") == ""
    assert request.query_value("z") is None
    assert request.body == b"\x00raw"


def test_the_request_is_immutable() -> None:
    request = InboundRequest.build("GET", "https://h/", [], b"")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.body = b"x"  # type: ignore[misc]
