"""The second wave of inbound features end to end, on the real broker: FlexDeploy's sync
header, sources' and routes' ``enabled`` flags, the sendgrid and teams presets signed as those
providers sign, an app route's event type taken from the request, and a source's dedupe."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.inbound import logged, route, send, source
from tests.support.stack import Stack

Object = dict[str, Any]

STACK_ENV = {"HOOKBUS_SYNC_TIMEOUT": "10s"}


def open_source(stack: Stack, **fields: Any) -> str:
    created = source(stack, name=f"open-{uuid.uuid4().hex[:6]}", provider="generic", **fields)
    return str(created["id"])


def to_topic(stack: Stack, src: str, **fields: Any) -> Object:
    topic = f"additions-{uuid.uuid4().hex[:8]}"
    return route(
        stack,
        name=f"to-{topic}",
        source_id=src,
        destination={"type": "kafka", "topic": topic},
        **fields,
    )


def test_flexdeploys_sync_header_waits_for_the_routes(stack: Stack) -> None:
    src = open_source(stack)
    kafka = to_topic(stack, src)
    body = b'{"deploy": 1}'
    answer = send(stack, f"/in/{src}/run", content=body, headers={"flex-sync-webhook": "true"})
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["outcome"] == "succeeded"
    assert [r["route_id"] for r in shown["routes"]] == [kafka["id"]]
    # the same request without the header is answered at once, as any async one
    plain = send(stack, f"/in/{src}/run", content=body)
    assert plain.status_code == 202 and "routes" not in plain.json()
    assert logged(stack, shown["id"])["status"] == "accepted"
