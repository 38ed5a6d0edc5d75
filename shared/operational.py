"""Operational webhooks: what hookbus tells its operator, as messages of a built-in app.

The app has the uid ``operational`` and a fixed id (the same in every process and every copy,
so several ingress copies creating it at start write one object). An operator subscribes by
creating endpoints on it; signing, retries and logs are those of any app. Each service
publishes the events it sees itself, straight onto the events topic, as an ordinary message:

- ``endpoint.created``, ``endpoint.updated``, ``endpoint.deleted``, ``endpoint.enabled``
  (app_id, app_uid, endpoint_id, endpoint_uid): the ingress, on the management calls (enabled:
  a PATCH that turns ``enabled`` back on);
- ``endpoint.disabled`` (app_id, endpoint_id, reason ``gone`` or ``failing``, detail): the
  dispatcher, where it disables an endpoint;
- ``message.attempt.exhausted`` (app_id, endpoint_id, message_id, last_attempt_id): the
  dispatcher, once the last attempt is recorded;
- ``source.verified`` (source_id, name, provider): the ingress that marks it verified;
- ``task.completed`` (task_id, kind, app_id, status, total, done, finished_at): whoever
  finishes a task, with :func:`publish_task_completed`.

Nothing about the operational app's own endpoints is ever published (it would feed itself).
Events that may be seen twice (two ingress copies, a redelivered attempt) carry an id fixed by
what happened and go through the router's duplicate window, so they are delivered once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer

from shared import clock
from shared.contracts import encode_event
from shared.errors import KafkaUnavailable
from shared.ids import derived_id, new_id
from shared.kafka_io import send
from shared.records import EventRecord, JsonObject

log = logging.getLogger(__name__)

OPERATIONAL_UID = "operational"
# Fixed: every process and copy names the same app (its time part is zero: it sorts first).
OPERATIONAL_APP_ID = derived_id("app", b"hookbus operational app", at_ms=0)
EVENT_TYPES = (
    "endpoint.created",
    "endpoint.updated",
    "endpoint.deleted",
    "endpoint.disabled",
    "endpoint.enabled",
    "message.attempt.exhausted",
    "source.verified",
    "task.completed",
)


def operational_app(now: str | None = None) -> JsonObject:
    """The built-in app as stored in the config log."""
    at = now or clock.iso()
    return {
        "id": OPERATIONAL_APP_ID,
        "uid": OPERATIONAL_UID,
        "name": "Operational events",
        "metadata": {"builtin": True},
        "created_at": at,
        "updated_at": at,
    }


def is_operational(app_id: str | None) -> bool:
    """True for the built-in app, whose endpoints never cause operational events."""
    return app_id == OPERATIONAL_APP_ID


def operational_event(
    event_type: str, data: JsonObject, *, once_key: str | None = None, config_offset: int = 0
) -> EventRecord:
    """The events-topic record (contracts/event.v1) of one operational event.

    ``once_key`` names what happened (e.g. ``"source.verified/src_..."``): the message id is
    derived from it and the router's duplicate window drops a second publish of it.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"not an operational event type: {event_type!r}")
    message_id = new_id("msg")
    if once_key is not None:
        message_id = derived_id("msg", f"{event_type}\n{once_key}".encode())
    return {
        "v": 1,
        "id": message_id,
        "app_id": OPERATIONAL_APP_ID,
        "event_type": event_type,
        "payload": data,
        "channels": [],
        "timestamp": clock.iso(),
        "config_offset": config_offset,
        "dedupe": once_key is not None,
    }


async def publish_operational(
    producer: AIOKafkaProducer,
    events_topic: str,
    event_type: str,
    data: JsonObject,
    *,
    once_key: str | None = None,
    config_offset: int = 0,
) -> bool:
    """Produce one operational event (``producer``: a started aiokafka producer; ``events_topic``
    the physical events topic) and return True once Kafka acknowledged it.

    Never raises for Kafka: what the operator is told must not fail what happened, so a refused
    event is logged and False returned. Does nothing (False) for an event about the operational
    app itself (``data["app_id"]``).
    """
    if is_operational(data.get("app_id")):
        return False
    record = operational_event(event_type, data, once_key=once_key, config_offset=config_offset)
    try:
        await send(producer, events_topic, OPERATIONAL_APP_ID, encode_event(record))
    except KafkaUnavailable as exc:
        log.warning(
            "operational event not published",
            extra={"event_type": event_type, "message_id": record["id"], "error": str(exc)},
        )
        return False
    return True


def task_completed_data(task: Mapping[str, Any]) -> JsonObject:
    """The data of ``task.completed``, from a task as ``GET /v1/tasks/{task}`` shows it."""
    return {
        "task_id": task["id"],
        "kind": task.get("kind"),
        "app_id": task.get("app_id"),
        "status": task.get("status"),
        "total": task.get("total"),
        "done": task.get("done"),
        "finished_at": task.get("finished_at"),
    }


async def publish_task_completed(
    producer: AIOKafkaProducer, events_topic: str, task: Mapping[str, Any]
) -> bool:
    """Tell the operator that ``task`` ended (``done`` or ``failed``); told once per task id,
    nothing for a task on the operational app itself. Never raises for Kafka (see
    :func:`publish_operational`)."""
    return await publish_operational(
        producer, events_topic, "task.completed", task_completed_data(task), once_key=task["id"]
    )
