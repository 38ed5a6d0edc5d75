"""What a delivery record is: an endpoint's or a route's, its contract, key and log ids; and
the typed decoding of a record read from the deliveries topic."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from services.dispatcher.deliveries import (
    contract_of,
    delivery_contract,
    ids_of,
    is_route,
    is_route_key,
    key_of,
)
from services.dispatcher.intake.decoding import decode_delivery
from shared.contracts import Contract
from shared.topics import Topic
from tests.support import records

ROUTE = records.example(Contract.ROUTE_DELIVERY, "forward")


def test_an_endpoint_delivery_is_keyed_by_its_endpoint() -> None:
    delivery = records.delivery()
    assert not is_route(delivery)
    assert contract_of(delivery) is Contract.DELIVERY
    assert key_of(delivery) == delivery["endpoint_id"]
    assert ids_of(delivery) == {
        "delivery_id": delivery["id"],
        "message_id": delivery["message_id"],
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
    }


def test_a_route_delivery_is_keyed_by_its_route() -> None:
    assert is_route(ROUTE)
    assert contract_of(ROUTE) is Contract.ROUTE_DELIVERY
    assert key_of(ROUTE) == ROUTE["route_id"]
    assert ids_of(ROUTE) == {
        "delivery_id": ROUTE["id"],
        "route_id": ROUTE["route_id"],
        "inbound_id": ROUTE["inbound_id"],
    }
    assert is_route_key(ROUTE["route_id"]) and not is_route_key("ep_1")


@pytest.mark.parametrize(
    ("value", "contract"),
    [(orjson.dumps(ROUTE), Contract.ROUTE_DELIVERY), (b'{"kind": "other"}', Contract.DELIVERY),
     (orjson.dumps(records.delivery()), Contract.DELIVERY), (b"not json", Contract.DELIVERY)],
)  # fmt: skip
def test_the_contract_of_an_encoded_delivery_is_read_from_its_kind(
    value: bytes, contract: Contract
) -> None:
    assert delivery_contract(value) is contract


@pytest.mark.parametrize("record", [records.delivery(), ROUTE])
def test_decoding_gives_the_record_back(record: dict[str, object]) -> None:
    consumed = records.consumed(Topic.DELIVERIES, 3, dict(record))
    decoded = asyncio.run(decode_delivery(consumed, None, "unit.dead"))
    assert decoded == record
