"""An app's endpoint as a delivery target: the rendered message, signed the Standard Webhooks
way, POSTed; its attempts count for the endpoint's health."""

from __future__ import annotations

from datetime import datetime

from services.dispatcher.deliveries import ids_of
from services.dispatcher.targets.attempt import DEFAULT_TIMEOUT_MS, unsent
from services.dispatcher.targets.request import NoSigningSecret, OutboundRequest, build_request
from services.dispatcher.targets.target import AnyAttempt, Keyed, Unsendable
from services.dispatcher.targets.tried import Tried
from shared import clock
from shared.contracts import Contract
from shared.ids import new_id
from shared.records import AttemptRecord, DeliveryRecord, JsonObject
from shared.secret_headers import masked


class EndpointTarget:
    """``delivery`` (contracts/delivery.v1) to ``endpoint`` as configured now; ``keys`` open
    sealed secrets (``Settings.secret_keys``)."""

    delivery_contract: Contract = Contract.DELIVERY

    def __init__(
        self, delivery: DeliveryRecord, endpoint: JsonObject, keys: tuple[bytes, ...] = ()
    ) -> None:
        self._delivery, self._keys = delivery, keys
        self._endpoint = endpoint
        self.endpoint: JsonObject | None = endpoint
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

    def attempt_record(self, tried: Tried, outcome: str) -> tuple[AnyAttempt, Contract]:
        """The contracts/attempt.v1 record of ``tried``."""
        return attempt_record(self._delivery, tried, outcome), Contract.ATTEMPT

    def replies(self, tried: Tried, outcome: str) -> list[Keyed]:
        """None: nobody waits on an endpoint's attempt."""
        return []


def attempt_record(delivery: DeliveryRecord, tried: Tried, outcome: str) -> AttemptRecord:
    """The ``attempts`` record (contracts/attempt.v1) of ``tried``, a try of the endpoint
    delivery ``delivery``, with its final outcome."""
    exchange = tried.exchange
    return {
        "v": 1,
        "id": new_id("atm"),
        "delivery_id": delivery["id"],
        "message_id": delivery["message_id"],
        "app_id": delivery["app_id"],
        "endpoint_id": delivery["endpoint_id"],
        "event_type": delivery["event_type"],
        "attempt": delivery["attempt"],
        "timestamp": clock.iso(tried.started),
        "duration_ms": max(0, tried.duration_ms),
        "request": {
            "url": tried.request.url,
            "method": "POST",
            "headers": masked(tried.request.headers),  # the log never holds credentials
            "body": delivery["body"],
        },
        "response": exchange.response_record(),
        "error": exchange.error,
        "outcome": outcome,
    }
