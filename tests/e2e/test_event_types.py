"""The event-type catalogue: CRUD at /v1/event-types, JSON Schemas checked when written and
applied at publish time (422 naming the failing path), for single and batch publishes."""

from __future__ import annotations

from typing import Any

from tests.support.outbound import arrives, body, new_app, new_endpoint
from tests.support.receiver import Receiver
from tests.support.stack import Stack

SCHEMA = {
    "type": "object",
    "required": ["invoice_id", "amount"],
    "properties": {
        "invoice_id": {"type": "string"},
        "amount": {"type": "integer", "minimum": 0},
        "lines": {"type": "array", "items": {"type": "object", "required": ["sku"]}},
    },
}


def test_catalogue_crud_and_bad_input(stack: Stack) -> None:
    api = stack.client
    created = api.post(
        "/v1/event-types", json={"name": "invoice.paid", "description": "Paid", "schema": SCHEMA}
    )
    assert created.status_code == 201, created.text
    event_type = created.json()
    assert event_type["name"] == "invoice.paid" and event_type["schema"] == SCHEMA
    assert api.get("/v1/event-types/invoice.paid").json() == event_type
    assert api.post("/v1/event-types", json={"name": "invoice.paid"}).status_code == 409

    refusals: list[tuple[dict[str, Any], str]] = [
        ({"name": "bad name!"}, "name"),
        ({"name": "x.y", "schema": {"type": "nope"}}, "schema.type"),
        ({"name": "x.y", "schema": {"properties": {"a": {"pattern": "("}}}}, "pattern"),
        ({"name": "x.y", "schema": {"$ref": "https://example.com/s.json"}}, "schema"),
        ({"name": "x.y", "unknown": 1}, "unknown"),
    ]
    for sent, named in refusals:
        answer = api.post("/v1/event-types", json=sent)
        assert answer.status_code == 422, (sent, answer.text)
        assert named in answer.json()["error"]["message"]
    assert api.get("/v1/event-types/x.y").status_code == 404  # nothing was written

    api.post("/v1/event-types", json={"name": "user.created"})
    listed = api.get("/v1/event-types?limit=1").json()
    assert [e["name"] for e in listed["data"]] == ["invoice.paid"] and listed["next_cursor"]
    rest = api.get(f"/v1/event-types?cursor={listed['next_cursor']}").json()
    assert [e["name"] for e in rest["data"]] == ["user.created"]

    patched = api.patch("/v1/event-types/user.created", json={"description": "A user"})
    assert patched.status_code == 200 and patched.json()["description"] == "A user"
    bad = api.patch("/v1/event-types/user.created", json={"schema": {"type": 5}})
    assert bad.status_code == 422
    assert api.get("/v1/event-types/user.created").json()["schema"] is None
    assert api.delete("/v1/event-types/user.created").status_code == 204
    assert api.get("/v1/event-types/user.created").status_code == 404
    assert api.delete("/v1/event-types/user.created").status_code == 404


def test_payload_breaking_the_schema_is_refused_naming_the_path(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    api.post("/v1/event-types", json={"name": "order.placed", "schema": SCHEMA})
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url, ordered=True)
    messages = f"/v1/apps/{app}/messages"
    good = {"invoice_id": "inv_1", "amount": 10, "lines": [{"sku": "a"}]}

    wrong = api.post(
        messages, json={"event_type": "order.placed", "payload": {**good, "amount": "10"}}
    )
    assert wrong.status_code == 422
    error = wrong.json()["error"]
    assert error["code"] == "schema_mismatch" and error["details"][0]["path"] == "payload.amount"
    nested = api.post(
        messages, json={"event_type": "order.placed", "payload": {**good, "lines": [{}, {"x": 1}]}}
    )
    paths = [d["path"] for d in nested.json()["error"]["details"]]
    assert nested.status_code == 422 and paths == ["payload.lines.0", "payload.lines.1"]

    batch = api.post(
        f"{messages}/batch",
        json={
            "messages": [
                {"event_type": "order.placed", "payload": good, "id": "ok-1"},
                {"event_type": "order.placed", "payload": {"invoice_id": "inv_2"}},
            ]
        },
    )
    assert batch.status_code == 422
    assert batch.json()["error"]["details"][0]["path"] == "messages.1.payload"
    assert "amount" in batch.json()["error"]["details"][0]["msg"]

    # A type outside the catalogue is not checked; a schema removed by PATCH no longer applies.
    arrives(stack, app, receiver, "not.catalogued", {"anything": True})
    accepted = api.post(
        messages, json={"event_type": "order.placed", "payload": good, "id": "ok-1"}
    )
    assert accepted.status_code == 202
    api.patch("/v1/event-types/order.placed", json={"schema": None})
    arrives(stack, app, receiver, "order.placed", {"free": "form"})
    # Nothing refused was written: the batch's valid first message (ok-1) was not published by
    # it, so ok-1's only delivery carries the accepted single publish.
    delivered = [(r.headers["webhook-id"], body(r)["type"]) for r in receiver.requests]
    assert delivered[0][1] == "not.catalogued"
    assert [d for d in delivered if d[0] == "ok-1"] == [("ok-1", "order.placed")]
    assert len(delivered) == 3
