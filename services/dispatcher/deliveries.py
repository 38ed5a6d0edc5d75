"""What a delivery record is: an app endpoint's (no ``kind``) or an inbound route's
(``"kind": "route"``), and what every stage asks of one (its contract, key and log ids)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from shared.contracts import Contract
from shared.inbound import record_kind
from shared.records import DeliveryRecord, RouteDeliveryRecord

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from Python 3.13; types only

Delivery = DeliveryRecord | RouteDeliveryRecord
"""A decoded record of the deliveries topic (or a retry tier): an endpoint's or a route's."""
ROUTE = "route"
ROUTE_ID_PREFIX = "rt_"


def is_route(delivery: Delivery) -> TypeIs[RouteDeliveryRecord]:
    """True for an inbound route's delivery, False for an endpoint's."""
    fields: Mapping[str, Any] = delivery
    return fields.get("kind") == ROUTE


def delivery_contract(raw: bytes | None) -> Contract:
    """The contract of an encoded delivery record, by its ``kind``.

    An unknown kind is checked against the endpoint contract, which refuses it (dead letter).
    """
    return Contract.ROUTE_DELIVERY if record_kind(raw) == ROUTE else Contract.DELIVERY


def contract_of(delivery: Delivery) -> Contract:
    """The contract of a decoded delivery record."""
    return Contract.ROUTE_DELIVERY if is_route(delivery) else Contract.DELIVERY


def key_of(delivery: Delivery) -> str:
    """The record key (and lane) of a delivery: its route or endpoint id."""
    return str(delivery["route_id"] if is_route(delivery) else delivery["endpoint_id"])


def ids_of(delivery: Delivery) -> dict[str, str]:
    """What logs name a delivery by."""
    if is_route(delivery):
        return {
            "delivery_id": delivery["id"],
            "route_id": delivery["route_id"],
            "inbound_id": delivery["inbound_id"],
        }
    return {
        "delivery_id": delivery["id"],
        "message_id": delivery["message_id"],
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
    }


def is_route_key(key: str) -> bool:
    """True when a lane key is a route id (routes are never ordered)."""
    return key.startswith(ROUTE_ID_PREFIX)
