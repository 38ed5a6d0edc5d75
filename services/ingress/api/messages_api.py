"""``/v1/apps/{app}/messages``: publishing one message or a batch (the log is read in
:mod:`services.ingress.api.delivery_log_api`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from services.ingress.api.apps_api import find_app
from services.ingress.api.examples import (
    DUPLICATE,
    MESSAGE,
    MESSAGE_IN,
    answers,
    body_examples,
)
from services.ingress.api.models import BatchIn, MessageIn
from services.ingress.publish.use_case import publish, verdict_headers
from services.ingress.web.auth import authorized
from services.ingress.web.hub import HubDep
from shared.errors import Unprocessable
from shared.json_response import OrjsonResponse

api = APIRouter(prefix="/v1/apps/{app}", tags=["messages"], dependencies=[Depends(authorized)])
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Replays the first answer for 24 h instead of publishing again",
    ),
]
KEY_REUSED = {
    "error": {
        "code": "idempotency_key_reused",
        "message": "this Idempotency-Key was used with a different request in the last 24 hours",
        "details": {"id": "evt-2026-0042"},
    }
}


@api.post(
    "/messages",
    status_code=202,
    summary="Publish a message to the app's endpoints",
    openapi_extra=body_examples(MESSAGE_IN),
    responses=answers(
        202,
        MESSAGE,
        errors={
            409: ("The id was published in the last 24 hours: nothing delivered", DUPLICATE),
            413: ("The message is over HOOKBUS_MAX_PAYLOAD_BYTES", None),
            422: ("Invalid, breaks its event type's schema, or Idempotency-Key reused", KEY_REUSED),
        },
    ),
)
async def create_message(
    app: str, body: MessageIn, hub: HubDep, idempotency_key: IdempotencyKey = None
) -> OrjsonResponse:
    """Accept one message: answered 202 only once the event is durable in Kafka.

    With an ``id`` or an ``Idempotency-Key`` the answer waits for the duplicate check (see the
    README): 409 for an id seen in the last 24 h; the first answer again for a repeated key.
    """
    found = await find_app(hub, app)
    [outcome] = await publish(hub, found["id"], [body], idempotency_key, batch=False)
    return OrjsonResponse(
        outcome.body, status_code=outcome.status, headers=verdict_headers([outcome])
    )


@api.post(
    "/messages/batch",
    status_code=202,
    summary="Publish up to 1000 messages at once",
    openapi_extra=body_examples({"messages": [MESSAGE_IN]}),
    responses=answers(202, {"data": [MESSAGE, {"id": "evt-2026-0041", **DUPLICATE}]}),
)
async def create_batch(
    app: str, body: BatchIn, hub: HubDep, idempotency_key: IdempotencyKey = None
) -> OrjsonResponse:
    """Accept every message or none: nothing is written when one is invalid or too large.

    Answers 202 with one item per message, in order: the message, or ``{id, error}`` for a
    duplicate id. A repeated ``Idempotency-Key`` replays the whole first answer; reused with
    different messages it is refused (422).
    """
    found = await find_app(hub, app)
    outcomes = await publish(hub, found["id"], body.messages, idempotency_key, batch=True)
    reused = [i for i, outcome in enumerate(outcomes) if outcome.status == 422]
    if reused:
        raise Unprocessable(
            "this Idempotency-Key was used with different messages in the last 24 hours",
            {"messages": reused},
            code="idempotency_key_reused",
        )
    data = [o.body if o.status == 202 else {"id": o.message_id, **o.body} for o in outcomes]
    return OrjsonResponse({"data": data}, status_code=202, headers=verdict_headers(outcomes))
