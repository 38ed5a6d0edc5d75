"""The ingress's HTTP API in-process: FastAPI's TestClient over an in-memory stand-in for the
Kafka side (tests/support/memory_ingress.py). Fast checks of publish, apps, endpoints and
errors; the end-to-end tests run the same calls through the real services and broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shared.topics import Topic
from tests.support.memory_ingress import MemoryKafka, memory_ingress

URL = "https://93.184.216.34/in"  # a global address: no DNS needed


@pytest.fixture
def ingress() -> Iterator[tuple[TestClient, MemoryKafka]]:
    with memory_ingress(allow_private_destinations=False) as running:
        yield running


@pytest.fixture
def api(ingress: tuple[TestClient, MemoryKafka]) -> TestClient:
    return ingress[0]


@pytest.fixture
def kafka(ingress: tuple[TestClient, MemoryKafka]) -> MemoryKafka:
    return ingress[1]


def new_app(api: TestClient, **fields: object) -> str:
    answer = api.post("/v1/apps", json={"name": "Acme", **fields})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_an_app_is_a_config_record_and_reads_back(api: TestClient, kafka: MemoryKafka) -> None:
    app = new_app(api, uid="acme")
    assert app.startswith("app_")
    written = [r for r in kafka.records(Topic.CONFIG) if r["kind"] == "app" and r["id"] == app]
    assert written and written[-1]["data"]["uid"] == "acme"
    assert api.get("/v1/apps/acme").json()["id"] == app
    assert app in [item["id"] for item in api.get("/v1/apps").json()["data"]]
    patched = api.patch(f"/v1/apps/{app}", json={"name": "Acme 2"})
    assert patched.status_code == 200 and patched.json()["name"] == "Acme 2"
    assert api.delete(f"/v1/apps/{app}").status_code == 204
    assert api.get(f"/v1/apps/{app}").status_code == 404


def test_apps_page_with_the_shared_cursor(api: TestClient) -> None:
    made = sorted(new_app(api, name=f"App {n}") for n in range(3))
    first = api.get("/v1/apps", params={"limit": 2}).json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    rest = api.get("/v1/apps", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    seen = [item["id"] for item in first["data"] + rest["data"]]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    bad = api.get("/v1/apps", params={"cursor": "not-ours"})
    assert bad.status_code == 422 and bad.json()["error"]["details"] == {"cursor": "not-ours"}
    assert api.get("/v1/apps", params={"limit": 251}).status_code == 422


def test_endpoints_are_created_listed_patched_and_deleted(api: TestClient) -> None:
    app = new_app(api)
    url = f"/v1/apps/{app}/endpoints"
    created = api.post(url, json={"url": URL, "uid": "billing", "ping": False})
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert endpoint["id"].startswith("ep_") and endpoint["url"] == URL
    assert "secrets" not in endpoint and "secret" not in endpoint
    assert api.get(f"{url}/billing").json()["id"] == endpoint["id"]
    assert [e["id"] for e in api.get(url).json()["data"]] == [endpoint["id"]]
    patched = api.patch(f"{url}/billing", json={"event_types": ["invoice.*"]})
    assert patched.status_code == 200 and patched.json()["event_types"] == ["invoice.*"]
    assert api.delete(f"{url}/billing").status_code == 204
    assert api.get(f"{url}/billing").status_code == 404


def test_an_endpoint_on_a_private_address_is_refused(api: TestClient) -> None:
    app = new_app(api)
    answer = api.post(f"/v1/apps/{app}/endpoints", json={"url": "http://127.0.0.1:9/x"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"]


def test_publish_writes_one_durable_event_and_answers_202(
    api: TestClient, kafka: MemoryKafka
) -> None:
    app = new_app(api)
    answer = api.post(
        f"/v1/apps/{app}/messages",
        json={"event_type": "invoice.paid", "payload": {"n": 1}, "channels": ["billing"]},
    )
    assert answer.status_code == 202, answer.text
    message = answer.json()
    events = [e for e in kafka.records(Topic.EVENTS) if e["id"] == message["id"]]
    assert len(events) == 1
    event = events[0]
    assert (event["app_id"], event["event_type"], event["payload"]) == (
        app,
        "invoice.paid",
        {"n": 1},
    )
    assert event["channels"] == ["billing"] and event["schema_checked"] is True
    assert "reply_to" not in event  # nothing waits for a verdict without an id or a key


def test_a_chosen_id_waits_for_the_verdict_and_a_repeat_is_409(
    api: TestClient, kafka: MemoryKafka
) -> None:
    app = new_app(api)
    body = {"id": "order-1", "event_type": "order.created", "payload": {}}
    first = api.post(f"/v1/apps/{app}/messages", json=body)
    assert first.status_code == 202 and first.json()["id"] == "order-1"
    again = api.post(f"/v1/apps/{app}/messages", json=body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_id"
    written = [e for e in kafka.records(Topic.EVENTS) if e["id"] == "order-1"]
    assert len(written) == 2 and all(e["reply_to"] for e in written)


def test_publish_to_an_unknown_app_is_404_and_writes_nothing(
    api: TestClient, kafka: MemoryKafka
) -> None:
    before = len(kafka.records(Topic.EVENTS))
    answer = api.post("/v1/apps/app_nope/messages", json={"event_type": "a", "payload": {}})
    assert answer.status_code == 404
    assert set(answer.json()["error"]) == {"code", "message", "details"}
    assert len(kafka.records(Topic.EVENTS)) == before


def test_errors_have_the_one_json_shape(api: TestClient) -> None:
    app = new_app(api)
    no_token = api.get("/v1/apps", headers={"Authorization": ""})
    assert no_token.status_code == 401
    not_json = api.post(
        f"/v1/apps/{app}/messages",
        content=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code in (400, 422)
    bad_field = api.post(f"/v1/apps/{app}/messages", json={"event_type": 7, "payload": {}})
    assert bad_field.status_code == 422
    for answer in (no_token, not_json, bad_field):
        assert set(answer.json()["error"]) == {"code", "message", "details"}, answer.text
