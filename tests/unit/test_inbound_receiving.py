"""The ingress's inbound choices without Kafka: which source the shared URL picks, what the
API shows of a source, the challenge gate, the answers, and the inbound settings."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from services.ingress.inbound.answers import accepted_answer, exact_answer
from services.ingress.inbound.records import header_map
from services.ingress.inbound.shared_url import candidates, pick
from services.ingress.inbound.sources_view import Verifiers, challenge_gate, public, redacted
from services.ingress.inbound.verification import HttpAnswer, InboundRequest
from shared.config_state import ConfigState
from shared.settings import Settings, SettingsError


def source(ident: str, priority: int = 0, match: Any = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident,
        "provider": "generic",
        "verification": {"type": "none"},
        "priority": priority,
        "match": match,
        "created_at": "2026-11-22T10:00:00.000Z",
        "updated_at": "2026-11-22T10:00:00.000Z",
        **fields,
    }


def request(headers: dict[str, str], body: bytes = b"", query: str = "") -> InboundRequest:
    url = "http://h/hooks/x" + (f"?{query}" if query else "")
    return InboundRequest.build("POST", url, list(headers.items()), body)


def test_shared_url_tries_lower_priority_numbers_first_then_older_sources() -> None:
    sources = [
        source("src_3", 5, {}),
        source("src_2", 1, {"headers": {"X-Event": "push*"}}),
        source("src_1", 1, {"body": {"$.type": "ping"}}),
        source("src_0", -9),  # no match: never on the shared URL
    ]
    assert [s["id"] for s in candidates(sources)] == ["src_1", "src_2", "src_3"]
    assert pick(sources, request({"x-event": "pushed"}, b'{"type": "ping"}'))["id"] == "src_1"
    assert pick(sources, request({"x-event": "pushed"}, b"{oops"))["id"] == "src_2"
    assert pick(sources, request({}, b"{}"))["id"] == "src_3"  # the catch-all
    assert pick(sources[1:], request({"x-event": "pull"})) is None
    by_query = [source("src_q", 0, {"query": {"hub.mode": "*"}})]
    assert pick(by_query, request({}, query="hub.mode=subscribe")) is not None
    assert pick(by_query, request({})) is None


def test_a_source_is_shown_without_credentials() -> None:
    assert redacted({"type": "hmac", "header": "X-Sig", "secret": "s"}) == {
        "type": "hmac",
        "header": "X-Sig",
        "secret": "[redacted]",
    }
    assert redacted({"type": "header", "headers": {"X-Token": "t"}}) == {
        "type": "header",
        "headers": {"X-Token": "[redacted]"},
    }
    view = ConfigState()
    shown = public(source("src_1", secret="hush"), view, "https://hooks.example.com")
    assert shown["url"] == "https://hooks.example.com/in/src_1"
    assert shown["status"] == "unverified" and "hush" not in orjson.dumps(shown).decode()
    view.apply("source_state/src_1", {"id": "src_1", "status": "verified", "verified_at": "t"})
    assert public(source("src_1"), view, "")["status"] == "verified"


def test_the_challenge_gate_opens_only_for_challenge_providers_that_opt_out() -> None:
    slack = source("src_1", provider="slack", challenge_required=True)
    assert challenge_gate(slack, "unverified") == "unverified"
    assert challenge_gate({**slack, "challenge_required": False}, "unverified") == "verified"
    assert challenge_gate(source("src_2", challenge_required=False), "unverified") == "unverified"


def test_verifiers_parse_again_only_when_verification_fields_change() -> None:
    verifiers = Verifiers(None)
    github = source("src_1", provider="github", secret="a", verification=None)
    first = verifiers.settings(github)
    assert verifiers.settings({**github, "name": "renamed"}) is first
    assert verifiers.settings({**github, "secret": "b"}) is not first


def test_answers_carry_the_inbound_id() -> None:
    default = accepted_answer(None, "in_1")
    assert default.status_code == 202 and orjson.loads(default.body) == {"id": "in_1"}
    text = accepted_answer({"status": 200, "body": "OK"}, "in_1")
    assert (text.status_code, text.body, text.media_type) == (
        200,
        b"OK",
        "text/plain; charset=utf-8",
    )
    as_json = accepted_answer({"status": 201, "body": {"ok": True}, "content_type": None}, "in_1")
    assert as_json.media_type == "application/json" and orjson.loads(as_json.body) == {"ok": True}
    empty = accepted_answer({"status": 204}, "in_1")
    assert empty.body == b"" and empty.headers["x-hookbus-inbound-id"] == "in_1"
    challenge = exact_answer(HttpAnswer(200, "text/plain", b"c"), "in_2")
    assert challenge.body == b"c" and challenge.headers["x-hookbus-inbound-id"] == "in_2"


def test_repeated_headers_are_kept_joined() -> None:
    raw = [(b"X-A", b"1"), (b"x-a", b"2"), (b"Content-Type", b"text/plain")]
    assert header_map(raw) == {"x-a": "1, 2", "content-type": "text/plain"}


def test_inbound_settings() -> None:
    base = Settings.from_env({})
    assert base.max_body == 1024 * 1024 and base.public_url is None
    assert base.base_url == "http://127.0.0.1:8080"
    custom = Settings.from_env(
        {
            "HOOKBUS_MAX_BODY": "2048",
            "HOOKBUS_PUBLIC_URL": "https://hooks.example.com/prefix/",
            "HOOKBUS_SYNC_TIMEOUT": "5s",
        }
    )
    assert (custom.max_body, custom.sync_timeout) == (2048, 5.0)
    assert custom.base_url == "https://hooks.example.com/prefix"
    with pytest.raises(SettingsError):
        Settings.from_env({"HOOKBUS_PUBLIC_URL": "hooks.example.com"})
