"""Background tasks through the public API on the real broker: replay (all, failed only, by
event type and time range), recover as a task, and a task that survives the death of the audit
process working it."""

from __future__ import annotations

import signal
from collections import Counter
from typing import Any

from tests.support.outbound import new_app, new_endpoint, publish
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack
from tests.support.waiting import poll

# One short retry so failures end (exhausted) quickly; one item per task page, so a task of a
# few hundred messages runs long enough to be interrupted.
STACK_ENV = {"HOOKBUS_RETRY_SCHEDULE": "1s", "HOOKBUS_TASK_PAGE_SIZE": "1"}
EPOCH = "2000-01-01T00:00:00Z"


def finished(stack: Stack, task_id: str, timeout: float = 90) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        task: dict[str, Any] = stack.client.get(f"/v1/tasks/{task_id}").json()
        return task if task["status"] != "running" else None

    task: dict[str, Any] = poll(check, timeout)
    return task


def deliveries(receiver: Receiver) -> Counter[str]:
    return Counter(r.headers.get("webhook-id", "") for r in receiver.requests)


def test_replay_sends_each_delivery_again_in_the_background(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack)
    endpoint = new_endpoint(stack, app, receiver.url)
    paid = [publish(stack, app, "replay.paid", {"n": n}) for n in range(4)]
    voided = publish(stack, app, "replay.voided")
    receiver.wait_for(lambda r: True, 5)
    # A replay walks the log: wait until audit has logged the five deliveries (it may lag the
    # receiver by a moment), as a user replays what the log shows.
    logged = f"/v1/apps/{app}/endpoints/{endpoint['id']}/attempts?status=succeeded"
    poll(lambda: len(api.get(logged).json()["data"]) >= 5, 30)
    answer = api.post(
        f"/v1/apps/{app}/replay", json={"since": EPOCH, "event_types": ["replay.paid"]}
    )
    assert answer.status_code == 202, answer.text
    task_id = answer.json()["id"]
    assert task_id.startswith("task_")
    assert api.get(f"/v1/tasks/{task_id}").status_code == 200  # readable at once
    task = finished(stack, task_id)
    assert (task["status"], task["kind"], task["total"], task["done"]) == ("done", "replay", 4, 4)
    assert task["sent"] == 4 and task["finished_at"] and task["app_id"] == app
    poll(lambda: all(deliveries(receiver)[m["id"]] == 2 for m in paid), 60)
    assert deliveries(receiver)[voided["id"]] == 1
    listed = api.get(f"/v1/tasks?app={app}").json()
    assert [t["id"] for t in listed["data"]] == [task_id]
    # A range that ends before the first message: nothing to do.
    empty = api.post(f"/v1/apps/{app}/replay", json={"since": EPOCH, "until": paid[0]["timestamp"]})
    assert finished(stack, empty.json()["id"])["total"] == 0


def test_replay_refusals(stack: Stack) -> None:
    api = stack.client
    app = new_app(stack)
    base = f"/v1/apps/{app}/replay"
    assert api.post(base, json={"since": "yesterday"}).status_code == 422
    later = {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}
    assert api.post(base, json=later).status_code == 422
    assert api.post(base, json={"since": EPOCH, "only": "some"}).status_code == 422
    assert api.post(base, json={"since": EPOCH, "endpoint_id": "ep_nope"}).status_code == 422
    assert api.post("/v1/apps/app_nope/replay", json={"since": EPOCH}).status_code == 404
    assert api.get("/v1/tasks/task_nope").status_code == 404


def test_recover_and_failed_only_replay_resend_what_ended_failed(stack: Stack) -> None:
    failing = True

    def respond(_: Received) -> tuple[int, bytes]:
        return (500, b"down") if failing else (200, b"ok")

    with Receiver(respond) as receiver:
        api = stack.client
        app = new_app(stack)
        endpoint = new_endpoint(stack, app, receiver.url)
        sent = [publish(stack, app, "recover.me", {"n": n}) for n in range(3)]
        base = f"/v1/apps/{app}/endpoints/{endpoint['id']}/attempts?status=failed"
        poll(lambda: len(api.get(base).json()["data"]) == 3, 60)  # each exhausted
        failing = False
        answer = api.post(
            f"/v1/apps/{app}/endpoints/{endpoint['id']}/recover", json={"since": EPOCH}
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["count"] == 3
        task = finished(stack, answer.json()["task_id"])
        assert (task["kind"], task["status"], task["sent"]) == ("recover", "done", 3)
        poll(lambda: all(deliveries(receiver)[m["id"]] == 3 for m in sent), 60)
        # Their last attempts succeeded now: a failed-only replay has nothing to send.
        poll(lambda: len(api.get(base.replace("failed", "succeeded")).json()["data"]) == 3, 60)
        again = api.post(f"/v1/apps/{app}/replay", json={"since": EPOCH, "only": "failed"})
        task = finished(stack, again.json()["id"])
        assert (task["total"], task["sent"]) == (3, 0)


def test_a_task_survives_the_death_of_the_audit_process_working_it(
    stack: Stack, receiver: Receiver
) -> None:
    api = stack.client
    app = new_app(stack)
    new_endpoint(stack, app, receiver.url)
    batch = {"messages": [{"event_type": "bulk.item", "payload": {"n": n}} for n in range(300)]}
    published = api.post(f"/v1/apps/{app}/messages/batch", json=batch)
    assert published.status_code == 202, published.text
    ids = [m["id"] for m in published.json()["data"]]
    receiver.wait_for(lambda r: True, 300, timeout=120)
    task_id = api.post(f"/v1/apps/{app}/replay", json={"since": EPOCH}).json()["id"]
    poll(lambda: api.get(f"/v1/tasks/{task_id}").json()["done"] >= 5, 60, 0.02)
    stack.processes["audit"].send_signal(signal.SIGKILL)
    stack.processes["audit"].wait(30)
    stack.start_service("audit")
    stack.wait_ready("audit")
    task = finished(stack, task_id, 180)
    assert (task["status"], task["total"], task["done"]) == ("done", 300, 300)
    assert "task resumed" in (stack.log_dir / "audit.log").read_text()
    poll(lambda: all(deliveries(receiver)[i] >= 2 for i in ids), 120)
