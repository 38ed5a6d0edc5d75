"""Delivery bodies and records: the envelope, form encoding, contract-valid records."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest

from services.router.deliveries import deliveries, delivery
from services.router.rendering import FORM, JSON, envelope, render
from shared.contracts import Contract, decode, examples
from shared.errors import BadRecord
from shared.topics import MAX_VALUE_BYTES


def example_event(name: str) -> dict[str, Any]:
    path = next(p for p in examples(Contract.EVENT) if p.stem == name)
    return decode(Contract.EVENT, path.read_bytes())


def endpoint(**fields: Any) -> dict[str, Any]:
    return {"id": "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y", "content_type": JSON, **fields}


def test_json_body_is_the_standard_webhooks_envelope() -> None:
    event = example_event("message")
    body, content_type = render(event, endpoint())
    assert content_type == JSON
    assert orjson.loads(body) == {
        "type": "invoice.paid",
        "timestamp": "2026-11-22T10:15:30.123Z",
        "data": {"invoice_id": "inv_1", "amount": 4200, "currency": "EUR"},
    }
    assert list(orjson.loads(body)) == ["type", "timestamp", "data"]


def test_form_body_carries_the_envelope_as_payload() -> None:
    event = example_event("message")
    body, content_type = render(event, endpoint(content_type=FORM))
    assert content_type == FORM
    assert body.startswith("payload=")
    assert orjson.loads(parse_qs(body)["payload"][0]) == envelope(event)


def test_missing_content_type_means_json() -> None:
    body, content_type = render(example_event("message"), {"id": "ep_x"})
    assert content_type == JSON
    assert orjson.loads(body)["type"] == "invoice.paid"


def test_delivery_record_fields() -> None:
    event = example_event("message")
    record = delivery(event, endpoint())
    assert record["id"].startswith("dlv_")
    assert record["message_id"] == event["id"]
    assert record["endpoint_id"] == "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"
    assert (record["attempt"], record["due_at"], record["config_offset"]) == (1, None, 17)


def test_deliveries_are_keyed_by_endpoint_and_pass_the_contract() -> None:
    event = example_event("external_minimal")
    records, failures = deliveries(
        event, [endpoint(), endpoint(id="ep_2", content_type=FORM)], "t.deliveries"
    )
    assert failures == []
    assert [(r.topic, r.key) for r in records] == [
        ("t.deliveries", b"ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"),
        ("t.deliveries", b"ep_2"),
    ]
    first = decode(Contract.DELIVERY, records[0].value)
    assert first["config_offset"] == 0 and first["content_type"] == JSON


def test_delivery_over_the_record_limit_is_a_bad_record() -> None:
    event = {**example_event("message"), "payload": {"blob": "x" * MAX_VALUE_BYTES}}
    with pytest.raises(BadRecord, match="record limit"):
        deliveries(event, [endpoint()], "t.deliveries")
