"""The ingress's reply inbox: it follows this instance's partition of the replies topic and
completes the HTTP calls waiting for a reply (see :mod:`shared.request_reply` for the protocol).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from shared.contracts import Contract, decode
from shared.errors import BadRecord, KafkaUnavailable
from shared.kafka_io import stop_reading
from shared.request_reply import Reply, ReplyAddress, reply_partition

log = logging.getLogger(__name__)


@dataclass
class _Gathering:
    """Replies to one address so far, and a signal that another arrived."""

    replies: list[Reply] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class ReplyInbox:
    """The replies of one instance: follows its partition and completes waiting futures."""

    def __init__(self, bootstrap: str, topic: str, instance: str) -> None:
        self.instance = instance
        self._topic = topic
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=f"hookbus-replies-{instance}",
            group_id=None,
            enable_auto_commit=False,
        )
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._gathering: dict[str, _Gathering] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, partitions: int) -> None:
        """Connect, and start reading this instance's partition (of ``partitions``, the replies
        topic's count) from its current end. Any reply produced after this returns is seen.

        Blocks on the broker; raises ``KafkaError``.
        """
        await self._consumer.start()
        tp = TopicPartition(self._topic, reply_partition(self.instance, partitions))
        self._consumer.assign([tp])
        await self._consumer.seek_to_end(tp)
        await self._consumer.position(tp)  # resolve "end" now, not at the first fetch
        self._task = asyncio.create_task(self._follow(), name="reply-inbox")

    async def stop(self) -> None:
        """Stop reading; calls still waiting get no reply."""
        await stop_reading(self._task, self._consumer)

    def new_address(self) -> ReplyAddress:
        """A fresh address whose reply :meth:`wait` will deliver; call :meth:`wait` or
        :meth:`forget` with it, so nothing is left waiting."""
        address = ReplyAddress(self.instance, secrets.token_hex(12))
        self._waiting[address.correlation_id] = asyncio.get_running_loop().create_future()
        return address

    async def wait(self, address: ReplyAddress, timeout: float) -> Reply | None:
        """The reply to ``address``, or None when none came within ``timeout`` seconds."""
        future = self._waiting.get(address.correlation_id)
        if future is None:
            raise KeyError(address.correlation_id)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None
        finally:
            self.forget(address)

    def forget(self, address: ReplyAddress) -> None:
        """Stop waiting for ``address`` (a reply arriving later is ignored)."""
        self._gathering.pop(address.correlation_id, None)
        future = self._waiting.pop(address.correlation_id, None)
        if future is not None and not future.done():
            future.cancel()

    def new_gathering_address(self) -> ReplyAddress:
        """A fresh address that may get several replies (from several services), which
        :meth:`gather` collects; call :meth:`gather` or :meth:`forget` with it."""
        address = ReplyAddress(self.instance, secrets.token_hex(12))
        self._gathering[address.correlation_id] = _Gathering()
        return address

    async def gather(
        self, address: ReplyAddress, enough: Callable[[list[Reply]], bool], timeout: float
    ) -> tuple[list[Reply], bool]:
        """The replies to ``address`` in arrival order, once ``enough(replies)`` holds or
        ``timeout`` seconds have passed; and whether it held. Forgets the address."""
        gathering = self._gathering.get(address.correlation_id)
        if gathering is None:
            raise KeyError(address.correlation_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not enough(gathering.replies):
                left = deadline - loop.time()
                if left <= 0:
                    return list(gathering.replies), False
                gathering.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(gathering.arrived.wait(), left)
            return list(gathering.replies), True
        finally:
            self.forget(address)

    async def _follow(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=1000)
            except KafkaError as exc:
                log.warning("reading replies failed", extra={"error": str(exc)})
                await asyncio.sleep(0.5)
                continue
            for records in batches.values():
                for record in records:
                    self._deliver(record.value)

    def _deliver(self, value: bytes | None) -> None:
        try:
            record = decode(Contract.REPLY, value)
        except BadRecord as exc:
            log.warning("bad reply record ignored", extra={"reason": exc.reason})
            return
        if record["instance"] != self.instance:
            return  # another instance whose id hashes to the same partition
        gathering = self._gathering.get(record["correlation_id"])
        if gathering is not None:
            gathering.replies.append(Reply(record["kind"], record["status"], record["body"]))
            gathering.arrived.set()
            return
        future = self._waiting.get(record["correlation_id"])
        if future is not None and not future.done():
            future.set_result(Reply(record["kind"], record["status"], record["body"]))


async def start_inbox(
    bootstrap: str, topic: str, instance: str, producer: AIOKafkaProducer
) -> ReplyInbox:
    """A started :class:`ReplyInbox` (``producer``, started, tells the partition count);
    raise :class:`KafkaUnavailable` when it cannot start."""
    inbox = ReplyInbox(bootstrap, topic, instance)
    try:
        partitions = await producer.partitions_for(topic)
        await inbox.start(len(partitions))
    except KafkaError as exc:
        await inbox.stop()
        raise KafkaUnavailable(f"replies topic unavailable: {exc}") from exc
    return inbox
