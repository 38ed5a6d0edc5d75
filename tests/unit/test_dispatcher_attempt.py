"""One attempt against httpx.MockTransport: outcomes, records, truncation, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from services.dispatcher.targets.attempt import attempt
from services.dispatcher.targets.endpoint_target import EndpointTarget
from services.dispatcher.targets.exchange import MAX_RESPONSE_BYTES, post, response_text
from services.dispatcher.targets.tried import classify
from shared import signing
from shared.contracts import Contract, validate
from shared.settings import Settings
from tests.support import records

ALLOW = Settings(allow_private_destinations=True)
Handler = Callable[[httpx.Request], httpx.Response]


delivery = records.delivery


def endpoint(**changes: Any) -> dict[str, Any]:
    return records.endpoint(**{"url": "http://127.0.0.1:9/hook", **changes})


def run(handler: Handler, ep: dict[str, Any], settings: Settings = ALLOW) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            target = EndpointTarget(delivery(), ep, settings.secret_keys)
            tried = await attempt(partial(post, client), delivery(), target, settings)
            return target.attempt_record(tried, tried.outcome)[0]

    record = asyncio.run(go())
    validate(Contract.ATTEMPT, record)
    return record


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "succeeded"), (204, "succeeded"), (299, "succeeded"), (199, "failed"),
     (301, "failed"), (400, "failed"), (410, "failed"), (500, "failed"), (None, "failed")],
)  # fmt: skip
def test_classify(status: int | None, outcome: str) -> None:
    assert classify(status) == outcome


def test_success_records_request_and_response() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"X-Reply": "yes"}, text="ok")

    ep = endpoint()
    record = run(handler, ep)
    assert record["outcome"] == "succeeded" and record["error"] is None
    response = record["response"]
    assert response["status"] == 200 and response["body"] == "ok"
    assert response["headers"]["x-reply"] == "yes"
    assert all(name == name.lower() for name in response["headers"])
    assert record["attempt"] == 1 and record["delivery_id"] == delivery()["id"]
    assert record["request"]["url"] == ep["url"] and record["request"]["body"] == delivery()["body"]
    sent = seen[0]
    assert sent.method == "POST" and sent.content == delivery()["body"].encode()
    assert record["request"]["headers"]["webhook-id"] == sent.headers["webhook-id"]
    Webhook(ep["secrets"][0]["secret"]).verify(sent.content, dict(sent.headers))


def test_server_error_fails_with_its_status() -> None:
    record = run(lambda _r: httpx.Response(500, text="boom"), endpoint())
    assert record["outcome"] == "failed"
    assert record["response"]["status"] == 500 and record["response"]["body"] == "boom"


def test_redirect_is_not_followed() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(302, headers={"location": "http://127.0.0.1:9/elsewhere"})

    record = run(handler, endpoint())
    assert record["outcome"] == "failed" and record["response"]["status"] == 302
    assert calls == ["http://127.0.0.1:9/hook"]


def test_connection_error_has_no_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    record = run(handler, endpoint())
    assert record["response"] is None and record["outcome"] == "failed"
    assert record["error"] == "connection failed: Connection refused"


def test_timeout_names_the_endpoint_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    record = run(handler, endpoint(timeout_ms=1500))
    assert record["error"] == "timeout after 1500 ms" and record["response"] is None


def test_hanging_receiver_is_cut_at_the_timeout() -> None:
    async def handler(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    record = run(handler, endpoint(timeout_ms=50))  # type: ignore[arg-type]
    assert record["error"] == "timeout after 50 ms" and record["outcome"] == "failed"


def test_long_response_body_is_truncated_to_64_kib() -> None:
    record = run(lambda _r: httpx.Response(200, content=b"a" * 200_000), endpoint())
    assert record["response"]["body"] == "a" * MAX_RESPONSE_BYTES


def test_response_text_replaces_invalid_utf8_within_the_cap() -> None:
    assert response_text(b"ok \xff") == "ok \ufffd"
    text = response_text(b"\xff" * (MAX_RESPONSE_BYTES + 10))
    assert len(text.encode()) <= MAX_RESPONSE_BYTES and set(text) == {"\ufffd"}


def test_private_ip_literal_is_refused_without_a_request() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    record = run(handler, endpoint(), Settings(allow_private_destinations=False))
    assert calls == []
    assert record["outcome"] == "failed" and record["response"] is None
    assert "private address" in record["error"]


def test_endpoint_without_valid_secret_fails_without_a_request() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200)

    expired = [{"secret": signing.generate_secret(), "expires_at": "2000-01-01T00:00:00.000Z"}]
    record = run(handler, endpoint(secrets=expired))
    assert calls == [] and record["outcome"] == "failed"
    assert "signing secret" in record["error"]
