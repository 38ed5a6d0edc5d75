"""The JSON-Schema contracts of every topic record, compiled once, and decode/validate helpers.

Schemas live in ``contracts/<name>.v<version>.schema.json`` at the repository root, with example
records in ``contracts/examples/<name>/``. Every record carries ``"v"``: the schema version.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from shared.errors import BadRecord

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


def encode(contract: Contract, record: dict[str, Any]) -> bytes:
    """Validate and serialise a record we are about to produce; raise :class:`BadRecord`."""
    return orjson.dumps(validate(contract, record))


def examples(contract: Contract) -> list[Path]:
    """The example record files of ``contract``."""
    return sorted((CONTRACTS_DIR / "examples" / contract.value).glob("*.json"))
