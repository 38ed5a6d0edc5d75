"""What audit's request handlers share (the store, the producer, the topic prefix), and the
FastAPI dependency that hands it to them: every ``*_api`` module declares ``hub: HubDep``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiokafka import AIOKafkaProducer
from fastapi import Depends, Request
from sqlalchemy import Engine

from services.audit.store import Store


@dataclass(frozen=True)
class Hub:
    """Audit's long-lived resources, built once at start. ``producer`` is None in an app built
    only to read (its writing calls are then not installed)."""

    store: Store
    producer: AIOKafkaProducer | None = None
    prefix: str = ""

    @property
    def db(self) -> Engine:
        """The log database."""
        return self.store.engine

    @property
    def writer(self) -> AIOKafkaProducer:
        """The producer of the writing calls (installed only when there is one)."""
        if self.producer is None:
            raise RuntimeError("this audit app was built without a Kafka producer")
        return self.producer


async def current_hub(request: Request) -> Hub:
    """FastAPI dependency: the running audit's hub (async: a plain def would run in a thread)."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(current_hub)]
