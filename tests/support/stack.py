"""The four services as real processes against the session's broker, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

from tests.support.waiting import poll

SERVICES = ("audit", "router", "dispatcher", "ingress")
S = TypeVar("S", bound="Stack")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port that was free a moment ago on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """ingress, router, dispatcher and audit as subprocesses with their own topic prefix."""

    def __init__(self, bootstrap: str, data_dir: Path, **env: str) -> None:
        self.token = "test-" + uuid.uuid4().hex
        ports = {name: free_port() for name in SERVICES}
        self.ports = ports
        self.base_url = f"http://127.0.0.1:{ports['ingress']}"
        self.log_dir = data_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
            "HOOKBUS_TOPIC_PREFIX": f"e2e{uuid.uuid4().hex[:8]}.",
            "HOOKBUS_PARTITIONS": "3",
            "HOOKBUS_ADMIN_TOKEN": self.token,
            "HOOKBUS_DATA_DIR": str(data_dir),
            "HOOKBUS_HTTP_PORT": str(ports["ingress"]),
            "HOOKBUS_AUDIT_PORT": str(ports["audit"]),
            "HOOKBUS_ROUTER_PORT": str(ports["router"]),
            "HOOKBUS_DISPATCHER_PORT": str(ports["dispatcher"]),
            "HOOKBUS_ALLOW_PRIVATE_DESTINATIONS": "true",
            **env,
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.client = httpx.Client(
            base_url=self.base_url, headers={"authorization": f"Bearer {self.token}"}, timeout=30
        )

    def start_service(self, name: str) -> None:
        """Start (or restart) one service process."""
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, name: str, timeout: float = 90.0) -> None:
        """Poll the service's ``/readyz`` until it answers 200."""
        url = f"http://127.0.0.1:{self.ports[name]}/readyz"

        def ready() -> bool:
            process = self.processes[name]
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}: {self.log(name)}")
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        poll(ready, timeout, 0.2)

    def start(self) -> Stack:
        """Start all four services and wait until each is ready."""
        for name in SERVICES:
            self.start_service(name)
        for name in SERVICES:
            self.wait_ready(name)
        return self

    def stop(self, timeout: float = 40.0) -> dict[str, int]:
        """SIGTERM every service; return each exit code (SIGKILLed ones as negative)."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait()
        self.client.close()
        return codes

    def log(self, name: str) -> str:
        """The tail of a service's log, for failure messages."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def assert_stopped_cleanly(codes: dict[str, int], killed: bool = False) -> None:
    """Every service exited 0 on SIGTERM; with ``killed``, those the test SIGKILLed (-9) are
    left out."""
    if killed:
        codes = {name: code for name, code in codes.items() if code != -9}
    assert codes == dict.fromkeys(codes, 0), f"services did not stop cleanly: {codes}"


@contextmanager
def running(stack: S, killed: bool = False) -> Iterator[S]:
    """``stack`` started and ready; stopped at the end, asserting it stopped cleanly (see
    :func:`assert_stopped_cleanly`)."""
    stack.start()
    yield stack
    assert_stopped_cleanly(stack.stop(), killed)
