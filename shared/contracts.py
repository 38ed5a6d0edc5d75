"""The JSON-Schema contracts of every topic record, compiled once, and decode/validate helpers.

Schemas live in ``contracts/<name>.v<version>.schema.json`` at the repository root, with example
records in ``contracts/examples/<name>/``. Every record carries ``"v"``: the schema version.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema_rs
import orjson

from shared.errors import BadRecord
from shared.records import (
    AttemptRecord,
    ConfigRecord,
    DeadLetterRecord,
    DeliveryRecord,
    EventRecord,
    InboundRecord,
    InboundRoutedRecord,
    ReplyRecord,
    RouteAttemptRecord,
    RouteDeliveryRecord,
    TaskRecord,
)

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"


class Contract(StrEnum):
    """One record kind per topic (the retry tiers carry deliveries)."""

    EVENT = "event"
    DELIVERY = "delivery"
    ATTEMPT = "attempt"
    CONFIG = "config"
    DEAD_LETTER = "dead_letter"
    REPLY = "reply"
    # Inbound webhooks: records with a "kind", beside the kind-less records of the same topics.
    INBOUND = "inbound"
    INBOUND_ROUTED = "inbound_routed"
    ROUTE_DELIVERY = "route_delivery"
    ROUTE_ATTEMPT = "route_attempt"
    # Background tasks (replay, recover), their progress, and erasure requests.
    TASK = "task"


def schema_path(contract: Contract, version: int = 1) -> Path:
    """Where the schema of ``contract`` at ``version`` is stored."""
    return CONTRACTS_DIR / f"{contract.value}.v{version}.schema.json"


def load_schema(contract: Contract, version: int = 1) -> dict[str, Any]:
    """The schema document of ``contract``; raise ``FileNotFoundError`` if it is missing."""
    schema: dict[str, Any] = orjson.loads(schema_path(contract, version).read_bytes())
    return schema


@cache
def _known(contract: Contract, version: int) -> bool:
    # Asked for every record on the hot path: one stat of the schema file per contract+version.
    return schema_path(contract, version).exists()


@cache
def _validator(contract: Contract, version: int) -> Any:
    return jsonschema_rs.validator_for(load_schema(contract, version), validate_formats=True)


def problems(contract: Contract, record: Any) -> list[str]:
    """Every violation of ``contract`` in ``record`` as ``"<path>: <message>"``; empty if valid."""
    version = record.get("v", 1) if isinstance(record, dict) else 1
    if not isinstance(version, int) or not _known(contract, version):
        return [f"$.v: unsupported {contract.value} schema version {version!r}"]
    validator = _validator(contract, version)
    if validator.is_valid(record):  # the common case, without building error objects
        return []
    found = []
    for error in validator.iter_errors(record):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
        found.append(f"${path}: {error.message}")
    return found


def validate(contract: Contract, record: Any) -> dict[str, Any]:
    """Return ``record`` if it satisfies ``contract``; raise :class:`BadRecord` naming the path."""
    found = problems(contract, record)
    if found:
        raise BadRecord(f"{contract.value}: " + "; ".join(found[:5]))
    assert isinstance(record, dict)
    return record


def decode(contract: Contract, raw: bytes | None) -> dict[str, Any]:
    """Parse and validate a record value; raise :class:`BadRecord` for bad JSON or content."""
    if raw is None:
        raise BadRecord(f"{contract.value}: empty record value")
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRecord(f"{contract.value}: not JSON ({exc})", raw) from exc
    try:
        return validate(contract, record)
    except BadRecord as exc:
        raise BadRecord(exc.reason, raw) from None


def encode(contract: Contract, record: Mapping[str, Any]) -> bytes:
    """Validate and serialise a record we are about to produce; raise :class:`BadRecord`."""
    return orjson.dumps(validate(contract, record))


def examples(contract: Contract) -> list[Path]:
    """The example record files of ``contract``."""
    return sorted((CONTRACTS_DIR / "examples" / contract.value).glob("*.json"))


# One typed decode/encode per contract: the record types of shared.records, checked by the schema.


def decode_event(raw: bytes | None) -> EventRecord:
    """An event record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(EventRecord, decode(Contract.EVENT, raw))


def encode_event(record: EventRecord) -> bytes:
    """The value of an event record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.EVENT, record)


def decode_delivery(raw: bytes | None) -> DeliveryRecord:
    """A delivery record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(DeliveryRecord, decode(Contract.DELIVERY, raw))


def encode_delivery(record: DeliveryRecord) -> bytes:
    """The value of a delivery record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.DELIVERY, record)


def decode_attempt(raw: bytes | None) -> AttemptRecord:
    """An attempt record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(AttemptRecord, decode(Contract.ATTEMPT, raw))


def encode_attempt(record: AttemptRecord) -> bytes:
    """The value of an attempt record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.ATTEMPT, record)


def decode_config(raw: bytes | None) -> ConfigRecord:
    """A config record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(ConfigRecord, decode(Contract.CONFIG, raw))


def encode_config(record: ConfigRecord) -> bytes:
    """The value of a config record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.CONFIG, record)


def decode_dead_letter(raw: bytes | None) -> DeadLetterRecord:
    """A dead letter from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(DeadLetterRecord, decode(Contract.DEAD_LETTER, raw))


def encode_dead_letter(record: DeadLetterRecord) -> bytes:
    """The value of a dead letter; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.DEAD_LETTER, record)


def decode_reply(raw: bytes | None) -> ReplyRecord:
    """A reply record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(ReplyRecord, decode(Contract.REPLY, raw))


def encode_reply(record: ReplyRecord) -> bytes:
    """The value of a reply record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.REPLY, record)


def decode_inbound(raw: bytes | None) -> InboundRecord:
    """A received request's record; raise :class:`BadRecord` when it is not one."""
    return cast(InboundRecord, decode(Contract.INBOUND, raw))


def encode_inbound(record: InboundRecord) -> bytes:
    """The value of a received request's record; raise :class:`BadRecord` when it is bad."""
    return encode(Contract.INBOUND, record)


def decode_inbound_routed(raw: bytes | None) -> InboundRoutedRecord:
    """An inbound routing record; raise :class:`BadRecord` when it is not one."""
    return cast(InboundRoutedRecord, decode(Contract.INBOUND_ROUTED, raw))


def encode_inbound_routed(record: InboundRoutedRecord) -> bytes:
    """The value of an inbound routing record; raise :class:`BadRecord` when it is bad."""
    return encode(Contract.INBOUND_ROUTED, record)


def decode_route_delivery(raw: bytes | None) -> RouteDeliveryRecord:
    """A route delivery record; raise :class:`BadRecord` when it is not one."""
    return cast(RouteDeliveryRecord, decode(Contract.ROUTE_DELIVERY, raw))


def encode_route_delivery(record: RouteDeliveryRecord) -> bytes:
    """The value of a route delivery record; raise :class:`BadRecord` when it is bad."""
    return encode(Contract.ROUTE_DELIVERY, record)


def decode_route_attempt(raw: bytes | None) -> RouteAttemptRecord:
    """A route attempt record; raise :class:`BadRecord` when it is not one."""
    return cast(RouteAttemptRecord, decode(Contract.ROUTE_ATTEMPT, raw))


def encode_route_attempt(record: RouteAttemptRecord) -> bytes:
    """The value of a route attempt record; raise :class:`BadRecord` when it is bad."""
    return encode(Contract.ROUTE_ATTEMPT, record)


def decode_task(raw: bytes | None) -> TaskRecord:
    """A task record from a record value; raise :class:`BadRecord` when it is not one."""
    return cast(TaskRecord, decode(Contract.TASK, raw))


def encode_task(record: TaskRecord) -> bytes:
    """The value of a task record; raise :class:`BadRecord` when it breaks the contract."""
    return encode(Contract.TASK, record)


RECORD_TYPES: dict[Contract, type[Any]] = {
    Contract.EVENT: EventRecord,
    Contract.DELIVERY: DeliveryRecord,
    Contract.ATTEMPT: AttemptRecord,
    Contract.CONFIG: ConfigRecord,
    Contract.DEAD_LETTER: DeadLetterRecord,
    Contract.REPLY: ReplyRecord,
    Contract.INBOUND: InboundRecord,
    Contract.INBOUND_ROUTED: InboundRoutedRecord,
    Contract.ROUTE_DELIVERY: RouteDeliveryRecord,
    Contract.ROUTE_ATTEMPT: RouteAttemptRecord,
    Contract.TASK: TaskRecord,
}
"""The record type of each contract (the unit test of the types walks it)."""
