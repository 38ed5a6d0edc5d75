"""The received log in audit, on real SQLite: inbound records by kind, routing records, route
attempts in any order, and the queries the API serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.audit.batch import sort_batch
from services.audit.inbound import queries as inbound_queries
from services.audit.inbound.schema import inbound_requests, inbound_routings, route_attempts
from services.audit.store import Store
from shared.contracts import Contract, decode, examples
from shared.topics import Topic
from tests.support.records import UNIT_PREFIX, consumed, example, polled

PREFIX = UNIT_PREFIX
TOPICS = {
    Contract.INBOUND: Topic.EVENTS,
    Contract.INBOUND_ROUTED: Topic.ATTEMPTS,
    Contract.ROUTE_ATTEMPT: Topic.ATTEMPTS,
}
TABLES = {
    Contract.INBOUND: inbound_requests,
    Contract.INBOUND_ROUTED: inbound_routings,
    Contract.ROUTE_ATTEMPT: route_attempts,
}
IN = "in_01JD3R0A00B1C2D3E4F5G6H7J8"


@pytest.mark.parametrize(
    "path",
    [p for contract in TOPICS for p in examples(contract)],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_inbound_example_becomes_rows(path: Path) -> None:
    contract = Contract(path.parent.name)
    batch = sort_batch(PREFIX, polled(consumed(TOPICS[contract], 3, path.read_bytes())))
    assert batch.dead == []
    assert batch.rows[0][0] is TABLES[contract]


def test_a_record_of_unknown_kind_is_dead_lettered_with_the_reason() -> None:
    odd = {**example(Contract.INBOUND, "github_push"), "kind": "mystery"}
    stray = {**example(Contract.ROUTE_ATTEMPT, "succeeded"), "outcome": "maybe"}
    batch = sort_batch(
        PREFIX, polled(consumed(Topic.EVENTS, 1, odd), consumed(Topic.ATTEMPTS, 1, stray))
    )
    reasons = sorted(decode(Contract.DEAD_LETTER, value)["reason"] for _, value in batch.dead)
    assert batch.rows == [] and len(reasons) == 2
    assert reasons[0].startswith("inbound:") and reasons[1].startswith("route_attempt:")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'audit.sqlite3'}")


def ingest(store: Store, *records: Any) -> None:
    batch = sort_batch(PREFIX, polled(*records))
    assert batch.dead == []
    store.write_batch(batch.rows)


def test_route_outcomes_follow_the_latest_attempt_whatever_arrives_first(store: Store) -> None:
    retrying = example(Contract.ROUTE_ATTEMPT, "retrying")
    succeeded = {**example(Contract.ROUTE_ATTEMPT, "succeeded"), "attempt": 2}
    ingest(store, consumed(Topic.ATTEMPTS, 0, retrying))  # before the request and its routing
    ingest(store, consumed(Topic.EVENTS, 0, example(Contract.INBOUND, "github_push")))
    entry = inbound_queries.get_inbound(store.engine, IN)
    assert entry is not None and entry["routed_at"] is None and entry["routes"] == []
    routed = example(Contract.INBOUND_ROUTED, "three_routes")
    ingest(store, consumed(Topic.ATTEMPTS, 1, routed), consumed(Topic.ATTEMPTS, 2, routed))
    entry = inbound_queries.get_inbound(store.engine, IN)
    assert entry is not None and entry["routed_at"] == routed["routed_at"]
    # The http route's first try failed and another is due: failed (as sync mode said), retrying.
    outcomes = [
        (r["destination"], r["outcome"], r["retrying"], r["attempts"]) for r in entry["routes"]
    ]
    assert outcomes == [
        ("kafka", "succeeded", False, 0),
        ("app", "succeeded", False, 0),
        ("http", "failed", True, 1),
    ]
    ingest(store, consumed(Topic.ATTEMPTS, 3, succeeded))
    entry = inbound_queries.get_inbound(store.engine, IN)
    assert entry is not None and entry["routes"][2]["outcome"] == "succeeded"
    assert entry["routes"][2]["retrying"] is False
    attempts = inbound_queries.list_route_attempts(store.engine, IN, limit=10).data
    assert [a["attempt"] for a in attempts] == [2, 1]
    assert attempts[0]["response"]["status"] == 204


def test_the_received_log_filters_by_source_and_status_newest_first(store: Store) -> None:
    accepted = example(Contract.INBOUND, "github_push")
    rejected = example(Contract.INBOUND, "rejected")
    other = example(Contract.INBOUND, "binary_body")
    ingest(
        store, *(consumed(Topic.EVENTS, n, r) for n, r in enumerate([accepted, rejected, other]))
    )

    def ids(**filters: Any) -> list[str]:
        page = inbound_queries.list_inbound(store.engine, limit=10, **filters)
        return [entry["id"] for entry in page.data]

    assert ids() == [other["id"], rejected["id"], accepted["id"]]
    assert ids(source_id=accepted["source_id"]) == [rejected["id"], accepted["id"]]
    assert ids(source_id=accepted["source_id"], status="accepted") == [accepted["id"]]
    assert ids(status="ignored") == []
    first = inbound_queries.list_inbound(store.engine, limit=2)
    assert len(first.data) == 2 and first.next_key is not None
    rest = inbound_queries.list_inbound(store.engine, limit=2, cursor=first.next_key)
    assert [e["id"] for e in rest.data] == [accepted["id"]] and rest.next_key is None
