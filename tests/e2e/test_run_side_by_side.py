"""``hookbus run`` beside another copy, and what it shows while it starts.

A second copy with only ``HOOKBUS_HTTP_PORT`` and a data dir set used to say "ready" because
its readiness checks found the first copy's services on the default internal ports, while its
own could not bind them; everything published to it was accepted and never delivered. Now
internal ports that are not set are chosen free, readiness is asked of its own services, a
taken port is a clear error, and the start is shown step by step with a tick per service.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.receiver import Receiver
from tests.support.stack import REPO, free_port, poll

TOKEN = "side-by-side"


def run_env(kafka_bootstrap: str, data: Path, **extra: str) -> dict[str, str]:
    """What a user sets for a second copy: the public port and a data dir (here also the
    shared test broker and a topic prefix of its own). No internal port is set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("HOOKBUS_") and k.endswith("_PORT"))
    }
    return {
        **env,
        "PYTHONPATH": str(REPO),
        "PYTHONIOENCODING": "utf-8",
        "HOOKBUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "HOOKBUS_TOPIC_PREFIX": f"sbs{uuid.uuid4().hex[:8]}.",
        "HOOKBUS_PARTITIONS": "1",
        "HOOKBUS_DATA_DIR": str(data),
        "HOOKBUS_ADMIN_TOKEN": TOKEN,
        "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true",
        "HOOKBUS_HTTP_PORT": str(free_port()),
        **extra,
    }


def command() -> list[str]:
    return [sys.executable, "-m", "services.cli", "run"]


@contextmanager
def running(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``hookbus run`` until it said ready (its stdout's two lines); stopped with Ctrl-C."""
    run = subprocess.Popen(
        command(), env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        announced = run.stdout.readline() + run.stdout.readline()
        assert "hookbus is ready" in announced, announced
        yield run, announced
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(90)


def deliver_one(base_url: str, receiver: Receiver) -> None:
    """Create an app and endpoint on this copy, publish once, and see the receiver get it."""
    api = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {TOKEN}"})
    app = api.post("/v1/apps", json={"name": "side"}).json()["id"]
    url = f"{receiver.url}/{app}"
    created = api.post(f"/v1/apps/{app}/endpoints", json={"url": url, "ping": False})
    assert created.status_code == 201, created.text
    sent = api.post(f"/v1/apps/{app}/messages", json={"event_type": "a.b", "payload": {}})
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["id"]
    poll(lambda: any(r.headers.get("webhook-id") == message_id for r in receiver.requests), 90)


def test_two_copies_side_by_side_each_deliver_and_show_their_start(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    first_env = run_env(kafka_bootstrap, tmp_path / "one")
    second_env = run_env(kafka_bootstrap, tmp_path / "two")
    with Receiver() as receiver, running(first_env), running(second_env) as (second, said):
        base_url = f"http://127.0.0.1:{second_env['HOOKBUS_HTTP_PORT']}"
        assert base_url in said and TOKEN in said
        deliver_one(base_url, receiver)
        deliver_one(f"http://127.0.0.1:{first_env['HOOKBUS_HTTP_PORT']}", receiver)
    assert second.stderr is not None
    progress = second.stderr.read()
    lines = [line.strip() for line in progress.splitlines()]
    assert f"hookbus: starting; logs in {tmp_path / 'two' / 'logs'}" in lines
    ticks = [line.split()[1] for line in lines if line.startswith("✓")]
    assert ticks == ["Kafka", "audit", "router", "dispatcher", "ingress"], progress
    for name in ("audit", "router", "dispatcher", "ingress"):
        assert (tmp_path / "two" / "logs" / f"{name}.log").stat().st_size > 0


def test_a_taken_port_is_a_clear_error_never_ready(kafka_bootstrap: str, tmp_path: Path) -> None:
    with Receiver() as taken:  # something else already listens on the public port
        port = taken.url.rsplit(":", 1)[1].split("/")[0]
        env = run_env(kafka_bootstrap, tmp_path, HOOKBUS_HTTP_PORT=port)
        done = subprocess.run(
            command(), env=env, cwd=REPO, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert "ready" not in done.stdout
    assert f"HOOKBUS_HTTP_PORT={port}: port {port} on 127.0.0.1 is taken" in done.stderr


def test_a_service_that_does_not_come_up_is_named_with_its_log(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    # Audit cannot reach its database, so it exits: run names it and its log, and stops.
    env = run_env(
        kafka_bootstrap, tmp_path, HOOKBUS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x"
    )
    done = subprocess.run(command(), env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "ready" not in done.stdout
    log = tmp_path / "logs" / "audit.log"
    assert "✗ audit: exited with code 1 (see its log)" in done.stderr, done.stderr
    assert f"log: {log}" in done.stderr
    assert "hookbus: stopping; see the log named above" in done.stderr
