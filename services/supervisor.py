"""Keeping the four services running on one machine, as Compose or Kubernetes would."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from shared.parent_death import dies_with_parent

log = logging.getLogger(__name__)
SERVICES = ("audit", "router", "dispatcher", "ingress")
MAX_BACKOFF = 10.0


@dataclass
class Child:
    """One supervised service process and its restart bookkeeping."""

    name: str
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


class Supervisor:
    """Starts each service as ``hookbus serve <name>`` and restarts it when it dies."""

    def __init__(self, env: dict[str, str], services: tuple[str, ...] = SERVICES) -> None:
        self.env = env
        self.children = [Child(name) for name in services]

    def _spawn(self, child: Child) -> None:
        command = [sys.executable, "-m", "services.cli", "serve", child.name]
        # A supervisor killed outright takes its services with it, so a new one can start.
        child.process = subprocess.Popen(command, env=self.env, preexec_fn=dies_with_parent())
        child.started_at = time.monotonic()
        log.info("service started", extra={"service": child.name, "pid": child.process.pid})

    def start(self) -> None:
        """Start every service."""
        for child in self.children:
            self._spawn(child)

    def check(self) -> None:
        """Restart services that exited, backing off when one keeps dying."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None:
                continue
            if child.next_start == 0.0:
                # A service that ran a while before dying starts over with a short backoff.
                if now - child.started_at > 60:
                    child.restarts = 0
                delay = min(MAX_BACKOFF, 0.5 * 2**child.restarts)
                child.next_start = now + delay
                log.warning(
                    "service exited; restarting",
                    extra={
                        "service": child.name,
                        "code": child.process.returncode,
                        "in_seconds": delay,
                    },
                )
            elif now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                self._spawn(child)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every service (they drain and commit), SIGKILL what outlives ``timeout``."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def child_env(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment plus ``overrides``, for the service processes."""
    return {**os.environ, **overrides}
