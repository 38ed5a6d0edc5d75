"""Audit rows as the consumer writes them, built from valid contract records, for storage tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.audit.rows import Origin, attempt_rows, dead_letter_rows, event_rows
from services.audit.schema import metadata
from services.audit.store import Store
from shared import ids
from shared.contracts import Contract, validate
from tests.support.records import example

APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9J"
OTHER_APP = "app_01JD3QXW2N0B7C4D5E6F7G8H9K"
EP = "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Y"
OTHER_EP = "ep_01JD3QXZ3P4Q5R6S7T8V9W0X1Z"


def event(msg_id: str, ts: str, app: str = APP, **fields: Any) -> dict[str, Any]:
    """A valid event record built on the contract's example."""
    record = {**example(Contract.EVENT, "message"), "id": msg_id, "app_id": app, "timestamp": ts}
    return validate(Contract.EVENT, {**record, **fields})


def attempt(
    msg_id: str, ts: str, outcome: str = "succeeded", app: str = APP, ep: str = EP, **fields: Any
) -> dict[str, Any]:
    """A valid attempt record built on the contract's example."""
    record = {
        **example(Contract.ATTEMPT, "succeeded"),
        "id": ids.new_id("atm"),
        "message_id": msg_id,
        "app_id": app,
        "endpoint_id": ep,
        "timestamp": ts,
        "outcome": outcome,
    }
    return validate(Contract.ATTEMPT, {**record, **fields})


def dead_letter(at: str, offset: int, **fields: Any) -> dict[str, Any]:
    """A valid dead-letter record written at ``at`` about origin offset ``offset``."""
    base = example(Contract.DEAD_LETTER, "bad_record")
    record = {**base, "at": at, "origin": {**base["origin"], "offset": offset}}
    return validate(Contract.DEAD_LETTER, {**record, **fields})


def write(store: Store, *records: dict[str, Any]) -> None:
    """Store records as the consumer would, each at its own made-up offset."""
    rows = []
    for offset, record in enumerate(records):
        origin = Origin("t.x", 0, offset)
        if "outcome" in record:
            rows += attempt_rows(record, origin)
        elif "reason" in record:
            rows += dead_letter_rows(record, origin)
        else:
            rows += event_rows(record, origin)
    store.write_batch(rows)


def counts(store: Store) -> dict[str, int]:
    """Rows per audit table."""
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }
