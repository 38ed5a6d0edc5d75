"""The installed ``hookbus`` command against a running stack: manage, send, the logs, paging,
exit codes, replay, tail and listen, each through the public API only."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from standardwebhooks.webhooks import Webhook

from tests.support.commands import Background, answer, hookbus
from tests.support.inbound import logged
from tests.support.inbound import send as receive
from tests.support.outbound import of_type, with_id
from tests.support.receiver import Received, Receiver
from tests.support.stack import Stack, free_port
from tests.support.waiting import poll


def test_manage_and_send_reach_the_receiver(
    stack: Stack, receiver: Receiver, tmp_path: Path
) -> None:
    app = answer(stack, "apps", "create", "Acme CLI", "--uid", "acme-cli")
    assert app["id"].startswith("app_") and app["name"] == "Acme CLI"
    renamed = answer(stack, "apps", "update", "acme-cli", "--name", "Acme Corp")
    assert renamed["name"] == "Acme Corp"
    table = hookbus(stack, "apps", "list", "--limit", "250")
    assert table.returncode == 0, table.stderr
    header, *rows = [line for line in table.stdout.splitlines() if line.strip()]
    assert header.split()[:3] == ["ID", "UID", "NAME"]
    assert any(app["id"] in row and "Acme Corp" in row for row in rows), table.stdout

    endpoint = answer(
        stack, "endpoints", "create", "acme-cli", receiver.url + "/in", "--event-type", "invoice.*"
    )
    assert endpoint["event_types"] == ["invoice.*"]
    secret = answer(stack, "endpoints", "secret", "acme-cli", endpoint["id"])["secret"]
    # The payload from a file, from stdin and from the argument.
    (tmp_path / "invoice.json").write_text('{"invoice": "inv_1", "amount": 42}')
    by_file = answer(
        stack, "send", "acme-cli", "invoice.paid", "--data", f"@{tmp_path}/invoice.json"
    )
    by_stdin = answer(stack, "send", "acme-cli", "invoice.paid", "--data", "-", stdin='{"n": 2}')
    plain = hookbus(stack, "send", "acme-cli", "invoice.voided", "--data", '{"n": 3}')
    assert plain.returncode == 0 and plain.stdout.startswith("sent msg_"), plain
    delivered = receiver.wait_for(with_id(by_file["id"]))[0]
    assert orjson.loads(delivered.body)["data"] == {"invoice": "inv_1", "amount": 42}
    Webhook(secret).verify(delivered.body, delivered.headers)
    assert orjson.loads(receiver.wait_for(with_id(by_stdin["id"]))[0].body)["data"] == {"n": 2}
    receiver.wait_for(of_type("invoice.voided"))

    # The logs: the message, its attempt, the endpoint's attempts as a table.
    listed = answer(stack, "messages", "list", "acme-cli", "--event-type", "invoice.paid")
    assert {m["id"] for m in listed["data"]} == {by_file["id"], by_stdin["id"]}
    shown = answer(stack, "messages", "get", "acme-cli", by_file["id"])
    assert shown["payload"] == {"invoice": "inv_1", "amount": 42}

    def attempted() -> list[dict[str, object]]:
        found = answer(stack, "attempts", "list", "acme-cli", "--message", by_file["id"])
        return [a for a in found["data"] if a["outcome"] == "succeeded"]

    attempt = poll(attempted)[0]
    assert answer(stack, "attempts", "get", "acme-cli", attempt["id"])["response"]["status"] == 200
    attempts = hookbus(stack, "attempts", "list", "acme-cli", "--endpoint", endpoint["id"])
    assert attempt["id"] in attempts.stdout and "succeeded" in attempts.stdout

    # Ping, rotate, update, delete.
    ping = answer(stack, "endpoints", "ping", "acme-cli", endpoint["id"])
    receiver.wait_for(with_id(ping["message_id"]))
    rotated = answer(stack, "endpoints", "rotate", "acme-cli", endpoint["id"])["secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    off = answer(stack, "endpoints", "update", "acme-cli", endpoint["id"], "--disable")
    assert off["enabled"] is False
    gone = hookbus(stack, "endpoints", "delete", "acme-cli", endpoint["id"])
    assert gone.returncode == 0 and f"deleted endpoint {endpoint['id']}" in gone.stdout
    assert hookbus(stack, "endpoints", "get", "acme-cli", endpoint["id"]).returncode == 1


def test_event_types_sources_routes_and_the_received_log(stack: Stack, receiver: Receiver) -> None:
    schema = '{"type": "object", "required": ["amount"]}'
    created = answer(stack, "event-types", "create", "order.placed", "--schema", schema)
    assert created["schema"]["required"] == ["amount"]
    answer(stack, "event-types", "update", "order.placed", "--description", "An order")
    assert answer(stack, "event-types", "get", "order.placed")["description"] == "An order"
    names = hookbus(stack, "event-types", "list")
    assert "order.placed" in names.stdout and "An order" in names.stdout
    assert hookbus(stack, "event-types", "delete", "order.placed").returncode == 0

    source = answer(stack, "sources", "create", "CLI source", "--verification", '{"type": "none"}')
    assert source["id"].startswith("src_")
    route = answer(
        stack,
        "routes",
        "create",
        "to receiver",
        "--source",
        source["id"],
        "--forward-to",
        receiver.url + "/forwarded",
    )
    assert route["destination"]["type"] == "http"
    assert route["destination"]["url"] == receiver.url + "/forwarded"
    assert source["id"] in hookbus(stack, "sources", "list", "--all").stdout
    assert route["id"] in hookbus(stack, "routes", "list", "--source", source["id"]).stdout

    sent = receive(stack, f"/in/{source['id']}/push", json={"ref": "main"})
    assert sent.status_code == 202, sent.text
    inbound_id = sent.json()["id"]
    logged(stack, inbound_id, routed=True)
    receiver.wait_for(lambda r: r.path.startswith("/forwarded"))
    shown = answer(stack, "inbound", "get", inbound_id)
    assert shown["status"] == "accepted" and shown["path"] == "push"
    table = hookbus(stack, "inbound", "list", "--source", source["id"])
    assert inbound_id in table.stdout and "accepted" in table.stdout
    again = answer(stack, "inbound", "resubmit", inbound_id)
    assert again["resubmission_of"] == inbound_id
    receiver.wait_for(lambda r: r.path.startswith("/forwarded"), count=2)
    assert hookbus(stack, "routes", "delete", route["id"]).returncode == 0
    assert hookbus(stack, "sources", "delete", source["id"]).returncode == 0


def test_paging_follows_cursors(stack: Stack) -> None:
    made = {answer(stack, "apps", "create", f"paged {n}")["id"] for n in range(3)}
    first = answer(stack, "apps", "list", "--limit", "1")
    assert len(first["data"]) == 1 and first["next_cursor"]
    second = answer(stack, "apps", "list", "--limit", "1", "--cursor", first["next_cursor"])
    assert second["data"][0]["id"] != first["data"][0]["id"]
    every = answer(stack, "apps", "list", "--limit", "1", "--all")
    assert made <= {a["id"] for a in every["data"]} and every["next_cursor"] is None
    table = hookbus(stack, "apps", "list", "--limit", "1")
    assert "more: --cursor" in table.stderr


def test_exit_codes(stack: Stack) -> None:
    refused = hookbus(stack, "apps", "get", "no-such-app")
    assert refused.returncode == 1
    assert "error: not_found:" in refused.stderr, refused.stderr
    bad_token = hookbus(stack, "apps", "list", HOOKBUS_TOKEN="wrong")
    assert bad_token.returncode == 1 and "401" not in bad_token.stdout
    assert "HOOKBUS_TOKEN" in bad_token.stderr
    # The admin token's variable is the fallback when HOOKBUS_TOKEN is not set.
    fallback = hookbus(
        None, "apps", "list", HOOKBUS_URL=stack.base_url, HOOKBUS_ADMIN_TOKEN=stack.token
    )
    assert fallback.returncode == 0, fallback.stderr
    assert hookbus(stack, "apps", "create").returncode == 2  # NAME missing
    assert hookbus(stack, "send", "x", "y", "--data", "{nope").returncode == 2
    assert hookbus(stack, "no-such-command").returncode == 2
    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = hookbus(stack, "--url", nowhere, "apps", "list")
    assert unreachable.returncode == 3 and nowhere in unreachable.stderr
    assert hookbus(stack, "--url", nowhere, "tail", "any").returncode == 3
    assert hookbus(stack, "tail", "no-such-app").returncode == 1
    helped = hookbus(None, "replay", "--help")
    assert helped.returncode == 0 and "Example:" in helped.stdout


def test_replay_runs_to_done(stack: Stack, receiver: Receiver) -> None:
    answer(stack, "apps", "create", "Replayed", "--uid", "replayed")
    answer(stack, "endpoints", "create", "replayed", receiver.url + "/r", "--no-ping")
    sent = [answer(stack, "send", "replayed", "order.shipped")["id"] for _ in range(3)]
    for message_id in sent:
        receiver.wait_for(with_id(message_id))
    replayed = hookbus(stack, "replay", "replayed", "--since", "1h")
    assert replayed.returncode == 0, replayed.stderr
    assert "done: 3 of 3 messages, 3 deliveries sent" in replayed.stdout, replayed.stdout
    for message_id in sent:
        receiver.wait_for(with_id(message_id), count=2)
    # Nothing failed, so a replay of the failed ones looks at all three and sends none.
    final = answer(stack, "replay", "replayed", "--since", "1h", "--only", "failed")
    assert (final["status"], final["total"], final["sent"]) == ("done", 3, 0), final
    listed = answer(stack, "tasks", "list", "--app", "replayed")
    assert final["id"] in {t["id"] for t in listed["data"]}


def test_tail_prints_new_messages_and_attempts(stack: Stack, receiver: Receiver) -> None:
    answer(stack, "apps", "create", "Tailed", "--uid", "tailed")
    answer(stack, "endpoints", "create", "tailed", receiver.url + "/t", "--no-ping")
    with Background(stack, "tail", "tailed") as tail:
        tail.wait_line("tailing app tailed", stderr=True)
        message = answer(stack, "send", "tailed", "user.created", "--data", '{"n": 1}')
        line = tail.wait_line(message["id"])
        assert "message" in line and "user.created" in line
        attempt = tail.wait_line(f"{message['id']} -> ")
        assert "attempt" in attempt and "succeeded" in attempt and " 200 " in attempt
        assert tail.interrupt() == 0
    source = answer(stack, "sources", "create", "tailed", "--verification", '{"type": "none"}')
    with Background(stack, "--json", "tail", "--inbound", "--source", source["id"]) as tail:
        tail.wait_line("tailing received requests", stderr=True)
        inbound_id = receive(stack, f"/in/{source['id']}/x", json={}).json()["id"]
        assert orjson.loads(tail.wait_line(inbound_id))["source_id"] == source["id"]
        assert tail.interrupt() == 0


def test_listen_forwards_signed_messages_and_received_requests(
    stack: Stack, receiver: Receiver
) -> None:
    answer(stack, "apps", "create", "Listened", "--uid", "listened")
    with Background(stack, "listen", "listened", "--forward", receiver.url + "/local") as listen:
        secret = listen.wait_line("signing secret for this run: ", stderr=True).split()[-1]
        message = answer(stack, "send", "listened", "invoice.paid", "--data", '{"a": 1}')
        forwarded: Received = receiver.wait_for(with_id(message["id"]))[0]
        assert forwarded.path == "/local"
        Webhook(secret).verify(forwarded.body, forwarded.headers)
        assert orjson.loads(forwarded.body)["data"] == {"a": 1}
        assert "-> 200" in listen.wait_line(message["id"])
        assert listen.interrupt() == 0

    # A local server that is down: a line saying so, and listen goes on.
    down = f"http://127.0.0.1:{free_port()}/hooks"
    with Background(stack, "listen", "listened", "--forward", down) as listen:
        listen.wait_line("signing secret", stderr=True)
        first = answer(stack, "send", "listened", "invoice.paid")
        assert "could not reach" in listen.wait_line(first["id"])
        second = answer(stack, "send", "listened", "invoice.paid")
        listen.wait_line(second["id"])
        assert listen.interrupt() == 0

    source = answer(stack, "sources", "create", "listened", "--verification", '{"type": "none"}')
    args = ("listen", "--source", source["id"], "--forward", receiver.url + "/gh")
    with Background(stack, *args) as listen:
        listen.wait_line("forwarding source", stderr=True)
        sent = receive(
            stack,
            f"/in/{source['id']}/push",
            params={"env": "prod"},
            headers={"x-github-event": "push"},
            content=b'{"ref": "main"}',
        )
        got = receiver.wait_for(lambda r: r.path.startswith("/gh"))[0]
        assert got.path == "/gh/push?env=prod"
        assert got.headers["x-github-event"] == "push" and got.body == b'{"ref": "main"}'
        assert "-> 200" in listen.wait_line(sent.json()["id"])
        assert listen.interrupt() == 0


def test_dead_letters_are_listed_and_read(stack: Stack) -> None:
    record = f"{{not json {uuid.uuid4().hex}"
    produce_raw(stack, "events", record.encode())

    def letter() -> dict[str, object] | None:
        found = answer(stack, "dead-letters", "list", "--kind", "bad_record", "--after", "1h")
        return next((d for d in found["data"] if d["record"] == record), None)

    dead = poll(letter)
    shown = hookbus(stack, "dead-letters", "get", str(dead["id"]))
    assert shown.returncode == 0 and record in shown.stdout and "bad_record" in shown.stdout
    table = hookbus(stack, "dead-letters", "list", "--kind", "bad_record")
    assert str(dead["id"]) in table.stdout
    # Only an exhausted delivery can be sent again: hookbus refuses, and the command says why.
    refused = hookbus(stack, "dead-letters", "redrive", str(dead["id"]))
    assert refused.returncode == 1 and "error: conflict:" in refused.stderr


def produce_raw(stack: Stack, topic: str, value: bytes) -> None:
    """A record as it is, straight onto one of the stack's topics."""

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=stack.env["HOOKBUS_KAFKA_BOOTSTRAP"])
        await producer.start()
        try:
            await producer.send_and_wait(stack.env["HOOKBUS_TOPIC_PREFIX"] + topic, value)
        finally:
            await producer.stop()

    asyncio.run(run())


def test_tail_resumes_after_the_connection_drops_missing_nothing(stack: Stack) -> None:
    """Last, as it restarts the ingress: an attempt logged while tail had no connection is
    printed once it reconnects (with Last-Event-ID; a fresh stream would start after it)."""

    def slow(_request: Received) -> tuple[int, bytes]:
        time.sleep(3)  # the attempt is logged only after the ingress has gone
        return 200, b"ok"

    app = answer(stack, "apps", "create", "Resumed")
    with Receiver(slow) as receiver, Background(stack, "tail", app["id"]) as tail:
        answer(stack, "endpoints", "create", app["id"], receiver.url, "--no-ping")
        tail.wait_line(f"tailing app {app['id']}", stderr=True)
        message = answer(stack, "send", app["id"], "order.paid")
        tail.wait_line(message["id"])
        ingress = stack.processes["ingress"]
        ingress.send_signal(signal.SIGTERM)
        assert ingress.wait(60) == 0, stack.log("ingress")
        tail.wait_line("stream dropped", stderr=True)
        audit = f"http://127.0.0.1:{stack.ports['audit']}/v1/apps/{app['id']}"
        auth = {"authorization": f"Bearer {stack.token}"}

        def stored() -> list[object]:
            found = httpx.get(f"{audit}/messages/{message['id']}/attempts", headers=auth)
            return list(found.json()["data"]) if found.status_code == 200 else []

        attempt_id = poll(stored)[0]["id"]
        stack.start_service("ingress")
        stack.wait_ready("ingress")
        assert "succeeded" in tail.wait_line(attempt_id)
        tail.wait_line("reconnected", stderr=True)
        assert tail.interrupt() == 0
