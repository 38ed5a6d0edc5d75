"""What the inbound handlers share beside the ingress's own resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.ingress.inbound.sources_view import Verifiers
from services.ingress.publish.log_barrier import WrittenRecords
from shared.user_topics import UserTopics


@dataclass
class Inbound:
    """Parsed source settings, user topics and the records written, built once with the app."""

    verifiers: Verifiers
    topics: UserTopics
    written: WrittenRecords


async def inbound(request: Request) -> Inbound:
    """FastAPI dependency: the inbound state (async: a plain def would run in a thread)."""
    state: Inbound = request.app.state.inbound
    return state


InboundDep = Annotated[Inbound, Depends(inbound)]
