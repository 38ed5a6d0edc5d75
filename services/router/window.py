"""The duplicate window: caller event ids and Idempotency-Keys claimed in the last 24 hours.

Claims live in memory, one store per events partition (:mod:`services.router.claims`), and
every claim is also a record on the window's changelog topic, produced like any other record of
the event and awaited before the event is committed; a router given a partition rebuilds its
store from that changelog. Keys start with the app id, the key of the events, and each claim is
written to the changelog partition of the event that made it: the partition that owns the event
owns its claims. Inbound requests of a source that dedupes claim ``<source id>/in/<key>`` the
same way (inbound records are keyed by source id), for the source's own window.

At least once: an event consumed again after a crash finds its own claims (same partition and
offset) and is routed again, never refused as its own duplicate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from services.router.deliveries import Outgoing
from shared import clock

ACCEPTED, DUPLICATE, KEY_REUSED = 202, 409, 422


@dataclass(frozen=True)
class Verdict:
    """What the window says of one event: route it or not, and what its publisher hears."""

    status: int
    route: bool
    message_id: str
    timestamp: str
    replayed: bool = False


@dataclass(frozen=True)
class Claim:
    """Who claimed a key: the event's place in the log, its id and time, and its answer."""

    partition: int
    offset: int
    message_id: str
    timestamp: str
    status: int
    request_hash: str | None
    expires: float

    def encode(self) -> bytes:
        return orjson.dumps(self.__dict__)

    @classmethod
    def decode(cls, raw: bytes) -> Claim:
        return cls(**orjson.loads(raw))


def window_keys(event: Mapping[str, Any]) -> tuple[bytes | None, bytes | None]:
    """The store keys of an event's id (when deduplicated) and of its Idempotency-Key."""
    app = event["app_id"]
    by_id = f"{app}/id/{event['id']}".encode() if event.get("dedupe", True) else None
    idempotency = event.get("idempotency")
    by_key = f"{app}/key/{idempotency['key']}".encode() if idempotency else None
    return by_id, by_key


class Stores(Protocol):
    """The claim stores, one per events partition."""

    def store(self, partition: int) -> MutableMapping[bytes, bytes]:
        """The claims made by events of ``partition``, by window key."""

    def purge(self, now: float) -> int:
        """Drop the claims that expired by ``now``; return how many."""


class Window:
    """Judges events against the claims of their partition and claims for the ones it accepts."""

    def __init__(
        self,
        claims: Stores,
        changelog_topic: str,
        ttl: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.claims = claims
        self.changelog_topic = changelog_topic
        self.ttl = ttl
        self._now = now

    def judge(
        self, event: Mapping[str, Any], partition: int, offset: int
    ) -> tuple[Verdict, list[Outgoing]]:
        """The verdict on ``event`` (read at ``partition``/``offset``) and the changelog
        records of the claims it made; the store already holds those claims."""
        by_id, by_key = window_keys(event)
        idempotency = event.get("idempotency") or {}
        own = Verdict(ACCEPTED, True, event["id"], event["timestamp"])
        store = self.claims.store(partition)
        key_claim = self._other(store, by_key, partition, offset)
        if key_claim is not None:
            if key_claim.request_hash != idempotency.get("hash"):
                return Verdict(KEY_REUSED, False, key_claim.message_id, key_claim.timestamp), []
            replay = Verdict(key_claim.status, False, key_claim.message_id, key_claim.timestamp)
            return Verdict(**{**replay.__dict__, "replayed": True}), []
        verdict = own
        if self._other(store, by_id, partition, offset) is not None:
            verdict = Verdict(DUPLICATE, False, event["id"], event["timestamp"])
        claims = []
        expires = self._now() + self.ttl
        for key in (by_id if verdict.route else None, by_key):
            if key is not None:
                claim = Claim(
                    partition,
                    offset,
                    event["id"],
                    event["timestamp"],
                    verdict.status,
                    idempotency.get("hash"),
                    expires,
                )
                claims.append(self._claim(store, key, claim))
        return verdict, claims

    def judge_inbound(
        self, inbound: Mapping[str, Any], partition: int, offset: int
    ) -> tuple[str | None, list[Outgoing]]:
        """For an inbound request carrying a ``dedupe`` key: the first request's id when the
        key was claimed within the request's window by another request (then nothing is
        claimed), else None and the changelog record of the claim it made."""
        dedupe = inbound["dedupe"]
        key = f"{inbound['source_id']}/in/{dedupe['key']}".encode()
        store = self.claims.store(partition)
        window = float(dedupe["window_s"])
        other = self._other(store, key, partition, offset)
        if other is not None and clock.parse(other.timestamp).timestamp() + window > self._now():
            return other.message_id, []
        expires = self._now() + window
        claim = Claim(partition, offset, inbound["id"], inbound["received_at"], 202, None, expires)
        return None, [self._claim(store, key, claim)]

    def _other(
        self, store: Mapping[bytes, bytes], key: bytes | None, partition: int, offset: int
    ) -> Claim | None:
        """The live claim on ``key`` made by another event, or None."""
        raw = None if key is None else store.get(key)
        if raw is None:
            return None
        claim = Claim.decode(raw)
        if claim.expires <= self._now() or (claim.partition, claim.offset) == (partition, offset):
            return None
        return claim

    def _claim(self, store: MutableMapping[bytes, bytes], key: bytes, claim: Claim) -> Outgoing:
        value = claim.encode()
        store[key] = value
        return Outgoing(self.changelog_topic, key, value, claim.partition)

    def purge(self) -> int:
        """Drop expired claims from memory; return how many. (The changelog forgets them by
        retention.)"""
        return self.claims.purge(self._now())
