"""Two copies each of router, dispatcher and audit share partitioned topics; one copy of each is
SIGKILLed mid-stream and never comes back. The survivors take over its partitions (their
``/metrics`` show them), every message the API accepted reaches every endpoint subscribed to
it (a ledger, duplicates counted), ordered endpoints get their messages in publish order, and
audit logs every message."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.partitioner import murmur2

from tests.postgres_server import fresh_database
from tests.support.cluster import Cluster
from tests.support.outbound import Ledger
from tests.support.receiver import Received, Receiver
from tests.support.stack import running
from tests.support.waiting import poll

pytestmark = pytest.mark.kafka
PARTITIONS = 4
APPS = 4
PER_APP = 250
BATCH = 10  # small batches keep each batch's records in order on their partition


@pytest.fixture(scope="module")
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """PostgreSQL when the session has one (as in production); else one SQLite file both
    audit copies share."""
    try:
        server: str = request.getfixturevalue("postgres_url")
    except pytest.skip.Exception:
        yield f"sqlite:///{tmp_path_factory.mktemp('scale') / 'audit.sqlite3'}"
        return
    with fresh_database(server) as url:
        yield url


@pytest.fixture(scope="module")
def cluster(
    kafka_bootstrap: str, database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    scaled = Cluster(
        kafka_bootstrap,
        Path(tmp_path_factory.mktemp("scale")),
        HOOKBUS_PARTITIONS=str(PARTITIONS),
        HOOKBUS_DATABASE_URL=database,
        HOOKBUS_RETRY_SCHEDULE="1s,2s,4s",
    )
    with running(scaled, killed=True) as started:  # some copies are SIGKILLed on purpose
        yield started


def partition_of(key: str) -> int:
    """The partition Kafka's default partitioner picks for ``key`` (murmur2, as every client)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


def owner(cluster: Cluster, copies: tuple[str, str], topic: str, partition: int) -> str:
    """Which of ``copies`` owns ``partition`` of ``topic`` now; both must own some."""
    owned = {name: cluster.owned(name, topic) for name in copies}
    assert all(owned.values()), f"a copy owns nothing: {owned}"
    return next(name for name, parts in owned.items() if partition in parts)


def test_survivors_take_over_and_deliver_everything_in_order(cluster: Cluster) -> None:
    prefix = cluster.env["HOOKBUS_TOPIC_PREFIX"]
    with Receiver() as receiver:
        apps, paths = [], {}
        for a in range(APPS):
            app = cluster.client.post("/v1/apps", json={"name": f"scale-{a}"}).json()["id"]
            apps.append(app)
            # Every app has an endpoint; the first two also an ordered one.
            kinds = ("plain", "ordered") if a < 2 else ("plain",)
            for kind in kinds:
                path = f"/{app}/{kind}"
                fields = {"url": receiver.url + path, "ping": False, "ordered": kind == "ordered"}
                created = cluster.client.post(f"/v1/apps/{app}/endpoints", json=fields)
                assert created.status_code == 201, created.text
                paths[path] = created.json()["id"]
        ordered = [path for path in paths if path.endswith("/ordered")]
        # The dispatcher copy to kill is the one delivering to the first ordered endpoint.
        deliveries = prefix + "deliveries"
        victim = owner(
            cluster, ("dispatcher-1", "dispatcher-2"), deliveries, partition_of(paths[ordered[0]])
        )
        survivor = "dispatcher-2" if victim == "dispatcher-1" else "dispatcher-1"
        for copies in (("router-1", "router-2"), ("audit-1", "audit-2")):
            owner(cluster, copies, prefix + "events", 0)  # both copies have partitions

        ledger = Ledger(apps)
        ledger.start(cluster, PER_APP, BATCH, "scale.test")
        expected = APPS * PER_APP + 2 * PER_APP
        poll(lambda: len(receiver.requests) >= expected // 4, 180, 0.2)
        for name in ("router-2", victim, "audit-2"):
            cluster.kill(name)

        # The survivors own every partition of their topics, retry tiers included.
        cluster.wait_owned("router-1", prefix + "events", PARTITIONS)
        for topic in ("deliveries", "retry.1s", "retry.2s", "retry.4s"):
            cluster.wait_owned(survivor, prefix + topic, PARTITIONS)
        for topic in ("events", "attempts", "dead"):
            cluster.wait_owned("audit-1", prefix + topic, PARTITIONS)
        assert ledger.done.wait(300) and not ledger.failures, ledger.failures[:3]

        def arrived() -> dict[str, Counter[str]]:
            found: dict[str, Counter[str]] = {path: Counter() for path in paths}
            for request in receiver.matching(lambda _r: True):
                found[request.path][request.headers["webhook-id"]] += 1
            return found

        def complete() -> bool:
            counts = arrived()
            return all(
                all(counts[path][m] for m in ledger.accepted[path.split("/")[1]]) for path in paths
            )

        poll(complete, 300, 0.5)
        counts = arrived()
        firsts = {path: first_arrivals(receiver, path) for path in ordered}

    assert ledger.total == APPS * PER_APP
    for path, seen in counts.items():
        assert set(seen) == set(ledger.accepted[path.split("/")[1]]), path
    for path, order in firsts.items():
        assert order == ledger.accepted[path.split("/")[1]], f"{path} out of order"
    logged = audit_complete(cluster, ledger)
    repeats = {path: sum(n - 1 for n in seen.values()) for path, seen in counts.items()}
    print(f"\nscale-out: {ledger.total} messages to {len(paths)} endpoints ({len(ordered)} "
          f"ordered), {logged} logged by audit; repeats after the kills: {repeats}")  # fmt: skip


def first_arrivals(receiver: Receiver, path: str) -> list[str]:
    """The message ids ``path`` received, each at its first arrival, in arrival order."""
    seen: dict[str, None] = {}
    for request in receiver.matching(on(path)):
        seen.setdefault(request.headers["webhook-id"], None)
    return list(seen)


def audit_complete(cluster: Cluster, ledger: Ledger) -> int:
    """Poll until audit lists every accepted message; return how many it lists."""

    def listed(app: str) -> set[str]:
        found: set[str] = set()
        cursor = None
        while True:
            params = {"limit": 250, **({"cursor": cursor} if cursor else {})}
            page = cluster.client.get(f"/v1/apps/{app}/messages", params=params).json()
            found.update(m["id"] for m in page["data"])
            cursor = page["next_cursor"]
            if not cursor:
                return found

    def complete() -> int:
        sizes = [len(listed(app) & set(ids)) for app, ids in ledger.accepted.items()]
        return sum(sizes) if sum(sizes) == ledger.total else 0

    total: int = poll(complete, 120, 1.0)
    return total


def on(path: str):  # type: ignore[no-untyped-def]
    def check(request: Received) -> bool:
        return request.path == path

    return check
