"""What each route destination receives, as records to produce. Pure: no Kafka.

- ``kafka``: the inbound record itself (contracts/inbound.v1) with ``route_id`` set, on the
  route's topic, keyed by ``key`` (a JSONPath into the document, or a literal; by default, or
  when the JSONPath finds nothing, the source id).
- ``app``: an outbound event (contracts/event.v1) of the route's ``event_type`` to its app, so it
  fans out to that app's endpoints. Its ``msg_`` id is fixed by the request and the route, the
  same when the router routes a request again after a crash, so the message is not sent twice
  under two ids. (The planner first holds its payload to the event type's schema, if any.)
  Its payload is the document when that is an object (a JSON object, or a form), else
  ``{"body": <text or base64>, "body_encoding": ...}``.
- ``http``: a route delivery (contracts/route_delivery.v1) on the deliveries topic, keyed by
  route id, for the dispatcher to forward; it carries the sync caller's ``reply_to``, if any,
  which the kafka copy never does (it is hookbus's own business).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, NamedTuple, TypeVar

import orjson

from shared import clock
from shared.ids import derived_id, new_id
from shared.inbound import find
from shared.records import EventRecord, JsonObject, RouteDeliveryRecord, RouteOutcome

R = TypeVar("R", EventRecord, RouteDeliveryRecord, JsonObject)


class Produced(NamedTuple, Generic[R]):
    """One destination's record, and the route's entry in the inbound routing record."""

    topic: str
    key: str
    record: R
    outcome: RouteOutcome


def kafka_key(destination: Mapping[str, Any], inbound: Mapping[str, Any], doc: Any) -> str:
    """The record key of a kafka route's record."""
    key = destination.get("key")
    if not key:
        return str(inbound["source_id"])
    if not key.startswith("$"):
        return str(key)
    found = find(key, doc)  # never raises: a key must never break routing
    if not found or found[0] is None:
        return str(inbound["source_id"])
    value = found[0]
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def to_kafka(
    route: Mapping[str, Any], inbound: Mapping[str, Any], doc: Any
) -> Produced[JsonObject]:
    """The inbound record on the route's own topic."""
    destination = route["destination"]
    key = kafka_key(destination, inbound, doc)
    record: JsonObject = {**inbound, "route_id": route["id"]}
    record.pop("reply_to", None)
    record.pop("dedupe", None)
    outcome = _entry(route, "succeeded", {"topic": destination["topic"], "key": key})
    return Produced(destination["topic"], key, record, outcome)


def payload(inbound: Mapping[str, Any], doc: Any) -> JsonObject:
    """The outbound message payload made of an inbound request."""
    if isinstance(doc, dict):
        return doc
    return {"body": inbound["body"], "body_encoding": inbound["body_encoding"]}


def to_app(
    route: Mapping[str, Any],
    inbound: Mapping[str, Any],
    doc: Any,
    events_topic: str,
    event_type: str,
) -> Produced[EventRecord]:
    """An outbound event of ``event_type`` to the route's app, with the inbound request's
    config offset."""
    destination = route["destination"]
    # Fixed by the request and the route, so a replayed inbound record re-publishes the same
    # message (the router's duplicate window drops it); a resubmit has a new in_ id, so a new one.
    received_ms = int(clock.parse(inbound["received_at"]).timestamp() * 1000)
    seed = f"{inbound['id']}\n{route['id']}".encode()
    message_id = derived_id("msg", seed, at_ms=received_ms)
    event: EventRecord = {
        "v": 1,
        "id": message_id,
        "app_id": destination["app_id"],
        "event_type": event_type,
        "payload": payload(inbound, doc),
        "channels": [],
        "timestamp": clock.iso(),
        "config_offset": inbound.get("config_offset", 0),
    }
    detail = {
        "app_id": destination["app_id"],
        "message_id": message_id,
        "event_type": event_type,
    }
    return Produced(events_topic, destination["app_id"], event, _entry(route, "succeeded", detail))


def to_http(
    route: Mapping[str, Any], inbound: Mapping[str, Any], deliveries_topic: str
) -> Produced[RouteDeliveryRecord]:
    """A route delivery for the dispatcher: the request as received, first attempt."""
    delivery: RouteDeliveryRecord = {
        "v": 1,
        "kind": "route",
        "id": new_id("dlv"),
        "inbound_id": inbound["id"],
        "source_id": inbound["source_id"],
        "route_id": route["id"],
        "request": {
            "method": inbound["method"],
            "path": inbound["path"],
            "query": inbound["query"],
            "headers": inbound["headers"],
            "body": inbound["body"],
            "body_encoding": inbound["body_encoding"],
        },
        "attempt": 1,
        "created_at": clock.iso(),
        "due_at": None,
        "config_offset": inbound.get("config_offset", 0),
    }
    if inbound.get("reply_to"):
        delivery["reply_to"] = inbound["reply_to"]
    entry = _entry(route, "pending", {"delivery_id": delivery["id"]})
    return Produced(deliveries_topic, route["id"], delivery, entry)


def failed(route: Mapping[str, Any], error: str) -> RouteOutcome:
    """The routing entry of a route that could not run."""
    return _entry(route, "failed", {"error": error})


def _entry(route: Mapping[str, Any], outcome: str, detail: JsonObject) -> RouteOutcome:
    destination = route["destination"]["type"]
    return {
        "route_id": route["id"],
        "destination": destination,
        "outcome": outcome,
        "detail": detail,
    }
