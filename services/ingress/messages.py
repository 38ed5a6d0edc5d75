"""``/v1/apps/{app}/messages``: publishing one message or a batch (the log is read in
:mod:`services.ingress.delivery_log`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from services.ingress import id_reuse
from services.ingress.apps import find_app
from services.ingress.auth import authorized
from services.ingress.examples import (
    DUPLICATE,
    MESSAGE,
    MESSAGE_IN,
    answers,
    body_examples,
)
from services.ingress.models import BatchIn, MessageIn
from services.ingress.publisher import message_view
from services.ingress.publishing import (
    PENDING_HEADER,
    REPLAYED_HEADER,
    Publication,
    check_payloads,
    prepare,
    publish_and_judge,
)
from services.ingress.state import Hub
from shared.errors import Unprocessable
from shared.json_response import OrjsonResponse
from shared.request_reply import Reply

router = APIRouter(prefix="/v1/apps/{app}", tags=["messages"], dependencies=[Depends(authorized)])
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


def _outcome(publication: Publication, reply: Reply | None) -> tuple[int, dict[str, Any], str]:
    """``(status, body, verdict)`` of one message; verdict is '', 'pending' or 'replayed'."""
    view = message_view(publication.record)
    if publication.address is None:
        return 202, view, ""
    if reply is None:
        return 202, view, "pending"
    replayed = "replayed" if reply.body.get("replayed") else ""
    if reply.status != 202:
        return reply.status, {"error": reply.body.get("error")}, replayed
    return 202, {**view, "id": reply.body["id"], "timestamp": reply.body["timestamp"]}, replayed


def _headers(verdicts: list[str]) -> dict[str, str]:
    headers = {}
    if "pending" in verdicts:
        headers[PENDING_HEADER] = "pending"
    if verdicts and all(v == "replayed" for v in verdicts):
        headers[REPLAYED_HEADER] = "true"
    return headers


@router.post(
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
    app: str, body: MessageIn, hub: Hub, idempotency_key: IdempotencyKey = None
) -> OrjsonResponse:
    """Accept one message: answered 202 only once the event is durable in Kafka.

    With an ``id`` or an ``Idempotency-Key`` the answer waits for the duplicate check (see the
    README): 409 for an id seen in the last 24 h; the first answer again for a repeated key.
    """
    found = await find_app(hub, app)
    check_payloads(hub, [body], batch=False)
    if await id_reuse.taken(hub, found["id"], [body.id]):
        return OrjsonResponse(id_reuse.duplicate(str(body.id)), status_code=409)
    publications = prepare(hub, found["id"], [body], idempotency_key, batch=False)
    replies = await publish_and_judge(hub, publications)
    status, answer, verdict = _outcome(publications[0], replies[0])
    return OrjsonResponse(answer, status_code=status, headers=_headers([verdict]))


@router.post(
    "/messages/batch",
    status_code=202,
    summary="Publish up to 1000 messages at once",
    openapi_extra=body_examples({"messages": [MESSAGE_IN]}),
    responses=answers(202, {"data": [MESSAGE, {"id": "evt-2026-0041", **DUPLICATE}]}),
)
async def create_batch(
    app: str, body: BatchIn, hub: Hub, idempotency_key: IdempotencyKey = None
) -> OrjsonResponse:
    """Accept every message or none: nothing is written when one is invalid or too large.

    Answers 202 with one item per message, in order: the message, or ``{id, error}`` for a
    duplicate id. A repeated ``Idempotency-Key`` replays the whole first answer; reused with
    different messages it is refused (422).
    """
    found = await find_app(hub, app)
    check_payloads(hub, body.messages, batch=True)
    taken = await id_reuse.taken(hub, found["id"], [m.id for m in body.messages])
    publications = prepare(hub, found["id"], body.messages, idempotency_key, batch=True)
    repeated = [m.id is not None and m.id in taken for m in body.messages]
    for publication, is_repeat in zip(publications, repeated, strict=True):
        if is_repeat and publication.address is not None:
            hub.replies.forget(publication.address)
    fresh = [p for p, is_repeat in zip(publications, repeated, strict=True) if not is_repeat]
    judged = iter(await publish_and_judge(hub, fresh))
    outcomes = [
        (409, id_reuse.duplicate(p.record["id"]), "") if is_repeat else _outcome(p, next(judged))
        for p, is_repeat in zip(publications, repeated, strict=True)
    ]
    reused = [i for i, (status, _, _) in enumerate(outcomes) if status == 422]
    if reused:
        raise Unprocessable(
            "this Idempotency-Key was used with different messages in the last 24 hours",
            {"messages": reused},
            code="idempotency_key_reused",
        )
    data = [
        answer if status == 202 else {"id": p.record["id"], **answer}
        for p, (status, answer, _) in zip(publications, outcomes, strict=True)
    ]
    headers = _headers([verdict for _, _, verdict in outcomes])
    return OrjsonResponse({"data": data}, status_code=202, headers=headers)
