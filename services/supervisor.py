"""Keeping the four services running on one machine, as Compose or Kubernetes would."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

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
    """Starts each service as ``hookbus serve <name>`` and restarts it when it dies.

    With ``log_dir`` each service's output is appended to ``<log_dir>/<name>.log``; without,
    it goes where this process's does.
    """

    def __init__(
        self, env: dict[str, str], services: tuple[str, ...] = SERVICES, log_dir: Path | None = None
    ) -> None:
        self.env = env
        self.children = [Child(name) for name in services]
        self.log_dir = log_dir
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path | None:
        """The file service ``name`` writes its log to, or None when it inherits stderr."""
        return None if self.log_dir is None else self.log_dir / f"{name}.log"

    def exit_code(self, name: str) -> int | None:
        """The exit code of service ``name`` if its process has ended, else None."""
        for child in self.children:
            if child.name == name and child.process is not None:
                return child.process.poll()
        return None

    def _spawn(self, child: Child) -> None:
        command = [sys.executable, "-m", "services.cli", "serve", child.name]
        path = self.log_path(child.name)
        output = None if path is None else path.open("ab")
        try:
            # A supervisor killed outright takes its services with it, so a new one can start.
            child.process = subprocess.Popen(
                command,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT if output is not None else None,
                preexec_fn=dies_with_parent(),
            )
        finally:
            if output is not None:
                output.close()  # the child holds its own copy
        child.started_at = time.monotonic()
        # The first start is shown by hookbus run's progress; a restart is news.
        level = logging.INFO if child.restarts else logging.DEBUG
        log.log(level, "service started", extra={"service": child.name, "pid": child.process.pid})

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
