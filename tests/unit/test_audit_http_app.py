"""The audit HTTP API over real SQLite and PostgreSQL stores: auth, shapes, 404s, 422s, cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from services.audit import queries
from services.audit.http_app import build_app
from services.audit.store import Store
from tests.unit.test_audit_store import APP, EP, OTHER_APP, attempt, event, write

TOKEN = "test-admin-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(store: Store) -> TestClient:
    app = build_app(store, TOKEN, lambda: {"config": True, "consumer": True, "database": True})
    return TestClient(app, headers=AUTH)


def assert_error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "details"}
    return error


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_every_log_route_needs_the_admin_token(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"authorization": header}
    for path in (
        f"/v1/apps/{APP}/messages",
        f"/v1/apps/{APP}/messages/x",
        f"/v1/apps/{APP}/messages/x/attempts",
        f"/v1/apps/{APP}/attempts/atm_x",
        f"/v1/apps/{APP}/endpoints/{EP}/attempts",
        f"/v1/apps/{APP}/endpoints/{EP}/stats",
        "/v1/dead-letters",
    ):
        client.headers.pop("authorization", None)
        assert_error(client.get(path, headers=headers), 401, "unauthorized")


def test_health_needs_no_token(client: TestClient) -> None:
    client.headers.pop("authorization")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_attempt_by_id_and_404s(client: TestClient, store: Store) -> None:
    record = attempt("msg_1", "2026-11-22T10:00:00Z")
    write(store, record)
    shown = client.get(f"/v1/apps/{APP}/attempts/{record['id']}").json()
    assert shown == {k: v for k, v in record.items() if k not in ("v", "app_id")}
    assert_error(client.get(f"/v1/apps/{OTHER_APP}/attempts/{record['id']}"), 404, "not_found")
    assert_error(client.get(f"/v1/apps/{APP}/attempts/atm_nope"), 404, "not_found")


def test_endpoint_attempts_status_mapping(client: TestClient, store: Store) -> None:
    records = {
        outcome: attempt("m", f"2026-11-22T10:00:0{i}Z", outcome)
        for i, outcome in enumerate(("succeeded", "retrying", "failed", "exhausted"))
    }
    write(store, *records.values())
    path = f"/v1/apps/{APP}/endpoints/{EP}/attempts"

    def listed(**params: Any) -> list[str]:
        answer = client.get(path, params=params).json()
        assert answer["next_cursor"] is None
        return [item["outcome"] for item in answer["data"]]

    assert listed() == ["exhausted", "failed", "retrying", "succeeded"]
    assert listed(status="succeeded") == ["succeeded"]
    assert listed(status="failed") == ["exhausted", "failed"]
    assert listed(status="pending") == ["retrying"]
    assert_error(client.get(path, params={"status": "done"}), 422, "validation_error")


@pytest.mark.parametrize("limit", ["0", "251", "ten", "-1"])
def test_limit_out_of_range_is_422(client: TestClient, limit: str) -> None:
    answer = client.get(f"/v1/apps/{APP}/messages", params={"limit": limit})
    error = assert_error(answer, 422, "validation_error")
    assert "limit" in error["message"]


@pytest.mark.parametrize(
    "params",
    [
        {"after": "yesterday"},
        {"before": "2026-13-01T00:00:00Z"},
        {"cursor": "!!"},
        {"cursor": "e30"},
    ],
)
def test_bad_time_or_cursor_is_422(client: TestClient, params: dict[str, str]) -> None:
    assert_error(client.get(f"/v1/apps/{APP}/messages", params=params), 422, "validation_error")


def test_messages_list_filters_and_pages(client: TestClient, store: Store) -> None:
    write(store, *(event(f"m{i}", f"2026-11-22T10:00:0{i}Z") for i in range(5)))
    write(store, event("x", "2026-11-22T10:00:09Z", event_type="other.type", channels=["ops"]))
    path = f"/v1/apps/{APP}/messages"
    seen, cursor = [], None
    while True:
        answer = client.get(
            path,
            params={"limit": 2, "event_type": "invoice.paid"}
            | ({"cursor": cursor} if cursor else {}),
        ).json()
        seen.append([m["id"] for m in answer["data"]])
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == [["m4", "m3"], ["m2", "m1"], ["m0"]]
    after = {"after": "2026-11-22T10:00:01Z", "before": "2026-11-22T11:00:03+01:00"}
    assert [m["id"] for m in client.get(path, params=after).json()["data"]] == ["m2"]
    only = client.get(path, params={"channel": "ops"}).json()["data"]
    assert only == [
        {
            "id": "x",
            "event_type": "other.type",
            "payload": {"invoice_id": "inv_1", "amount": 4200, "currency": "EUR"},
            "channels": ["ops"],
            "timestamp": "2026-11-22T10:00:09Z",
        }
    ]


def test_message_by_id_and_its_attempts(client: TestClient, store: Store) -> None:
    first, second = attempt("m1", "2026-11-22T10:00:01Z"), attempt("m1", "2026-11-22T10:00:02Z")
    write(store, event("m1", "2026-11-22T10:00:00Z"), first, second)
    assert client.get(f"/v1/apps/{APP}/messages/m1").json()["id"] == "m1"
    assert_error(client.get(f"/v1/apps/{OTHER_APP}/messages/m1"), 404, "not_found")
    listed = client.get(f"/v1/apps/{APP}/messages/m1/attempts").json()
    assert [a["id"] for a in listed["data"]] == [second["id"], first["id"]]
    assert listed["data"][0]["request"]["method"] == "POST"


def test_attempts_of_a_message_or_request_that_is_not_there_are_404(
    client: TestClient, store: Store
) -> None:
    write(store, event("m1", "2026-11-22T10:00:00Z"), attempt("m1", "2026-11-22T10:00:01Z"))
    assert_error(client.get(f"/v1/apps/{OTHER_APP}/messages/m1/attempts"), 404, "not_found")
    assert_error(client.get(f"/v1/apps/{APP}/messages/nope/attempts"), 404, "not_found")
    assert_error(client.get("/v1/inbound/in_nope/attempts"), 404, "not_found")
    assert client.get(f"/v1/apps/{APP}/messages/m1/attempts").status_code == 200


def test_stats(client: TestClient, store: Store) -> None:
    write(
        store, attempt("m", "2026-11-22T10:00:01Z"), attempt("m", "2026-11-22T10:00:02Z", "failed")
    )
    assert client.get(f"/v1/apps/{APP}/endpoints/{EP}/stats").json() == {
        "succeeded": 1,
        "retrying": 0,
        "failed": 1,
        "exhausted": 0,
        "last_success_at": "2026-11-22T10:00:01.000Z",
        "last_failure_at": "2026-11-22T10:00:02.000Z",
    }


def test_unknown_route_and_method_keep_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.post(f"/v1/apps/{APP}/messages"), 405, "method_not_allowed")


def test_dead_letters_route(client: TestClient) -> None:
    answer = client.get("/v1/dead-letters", params={"kind": "exhausted"})
    assert answer.json() == {"data": [], "next_cursor": None}
    assert_error(client.get("/v1/dead-letters", params={"kind": "other"}), 422, "validation_error")


def test_unreachable_database_is_503(tmp_path: Path) -> None:
    missing = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'a.sqlite3'}")
    app = build_app(Store(missing), TOKEN, lambda: {"database": False})
    client = TestClient(app, headers=AUTH)
    assert_error(client.get(f"/v1/apps/{APP}/messages"), 503, "database_unavailable")


def test_a_bug_still_answers_in_the_error_shape(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(queries, "get_message", broken)
    app = build_app(store, TOKEN, lambda: {"database": True})
    client = TestClient(app, headers=AUTH, raise_server_exceptions=False)
    assert_error(client.get(f"/v1/apps/{APP}/messages/m1"), 500, "internal_error")
