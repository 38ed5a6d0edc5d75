"""An app's endpoint as a delivery target: the rendered message, signed the Standard Webhooks
way, POSTed; its attempts count for the endpoint's health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.dispatcher.attempt import DEFAULT_TIMEOUT_MS, Tried, unsent
from services.dispatcher.request import NoSigningSecret, OutboundRequest, build_request
from services.dispatcher.target import Keyed, Unsendable, ids_of
from shared.contracts import Contract

Object = dict[str, Any]


class EndpointTarget:
    """``delivery`` (contracts/delivery.v1) to ``endpoint`` as configured now; ``keys`` open
    sealed secrets (``Settings.secret_keys``)."""

    delivery_contract: Contract = Contract.DELIVERY

    def __init__(self, delivery: Object, endpoint: Object, keys: tuple[bytes, ...] = ()) -> None:
        self._delivery, self._keys = delivery, keys
        self._endpoint = endpoint
        self.endpoint: Object | None = endpoint
        self.key = str(endpoint["id"])
        self.ids = ids_of(delivery)
        self.ordered = bool(endpoint.get("ordered"))
        self.timeout_ms = int(endpoint.get("timeout_ms") or DEFAULT_TIMEOUT_MS)
        self.blocked: str | None = None
        if not endpoint.get("enabled", True):
            self.blocked = f"endpoint disabled: {endpoint.get('disabled_reason') or 'disabled'}"

    def request(self, now: datetime) -> OutboundRequest:
        """The signed POST; raise :class:`Unsendable` when no secret may sign now."""
        try:
            return build_request(self._delivery, self._endpoint, now, self._keys)
        except NoSigningSecret as exc:
            raise Unsendable(str(exc)) from exc

    def unsent(self, reason: str) -> Tried:
        """A try that sent nothing, failed for ``reason``."""
        return unsent(self._delivery, self._endpoint, reason)

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[Object, Contract]:
        """The contracts/attempt.v1 record of ``tried``."""
        return tried.record(outcome), Contract.ATTEMPT

    def replies(self, tried: Tried, outcome: str) -> list[Keyed]:
        """None: nobody waits on an endpoint's attempt."""
        return []
