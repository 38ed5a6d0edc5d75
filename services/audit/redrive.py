"""Redriving a dead letter: the exhausted delivery it holds is produced again as a new first
attempt (a new delivery id, the whole retry schedule), for the dispatcher to try like any other.

Only ``exhausted`` dead letters hold a delivery; a ``bad_record`` one holds a record no consumer
could read, which sending again would only dead-letter again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from shared import clock
from shared.contracts import Contract, problems
from shared.errors import Conflict
from shared.ids import new_id


def fresh_delivery(
    row: Mapping[Any, Any], config_offset: int
) -> tuple[Contract, str, dict[str, Any]]:
    """The contract, key and record that deliver ``row``'s exhausted delivery again; raise
    :class:`Conflict` when the dead letter holds none that can be sent."""
    if row["kind"] != "exhausted":
        raise Conflict("only exhausted deliveries can be redriven", {"kind": row["kind"]})
    try:
        original = orjson.loads(row["record"])
    except orjson.JSONDecodeError:
        original = None
    contract = Contract.ROUTE_DELIVERY if _is_route(original) else Contract.DELIVERY
    if not isinstance(original, dict) or problems(contract, original):
        raise Conflict("this dead letter's delivery cannot be read back (cut short or erased)")
    record = {key: value for key, value in original.items() if key != "reply_to"}
    record.update(
        id=new_id("dlv"),
        attempt=1,
        created_at=clock.iso(),
        due_at=None,
        config_offset=max(config_offset, int(original.get("config_offset", 0))),
    )
    key = record["route_id"] if contract is Contract.ROUTE_DELIVERY else record["endpoint_id"]
    return contract, str(key), record


def _is_route(original: Any) -> bool:
    return isinstance(original, dict) and original.get("kind") == "route"
