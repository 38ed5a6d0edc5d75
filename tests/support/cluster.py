"""hookbus scaled out on one machine: one ingress and several copies of router, dispatcher and
audit as processes against one broker, each copy with its own port, name and data directory."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.stack import REPO, Stack, free_port
from tests.support.waiting import poll

SCALED = ("router", "dispatcher", "audit")
PORT_VARIABLE = {"router": "ROUTER", "dispatcher": "DISPATCHER", "audit": "AUDIT"}


class Cluster(Stack):
    """``ingress`` plus ``router-1``, ``router-2``... (``copies`` of each scaled service)."""

    def __init__(self, bootstrap: str, data_dir: Path, copies: int = 2, **env: str) -> None:
        super().__init__(bootstrap, data_dir, **env)
        self.data_dir = data_dir
        self.copies = [f"{name}-{n}" for name in SCALED for n in range(1, copies + 1)]
        self.ports.update({copy: free_port() for copy in self.copies})
        # Log reads go to the first audit copy; both write the same database.
        self.env["HOOKBUS_AUDIT_URL"] = f"http://127.0.0.1:{self.ports['audit-1']}"

    def start_service(self, name: str) -> None:
        """Start (or restart) ``ingress`` or one copy such as ``router-2``."""
        service = name.split("-")[0]
        env = dict(self.env, HOOKBUS_INSTANCE_ID=name)
        if service in PORT_VARIABLE:
            env[f"HOOKBUS_{PORT_VARIABLE[service]}_PORT"] = str(self.ports[name])
            env["HOOKBUS_DATA_DIR"] = str(self.data_dir / name)
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", service],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> Cluster:
        """Start every copy and the ingress; wait until each one is ready."""
        names = [*self.copies, "ingress"]
        for name in names:
            self.start_service(name)
        for name in names:
            self.wait_ready(name)
        return self

    def kill(self, name: str) -> None:
        """SIGKILL one process: no drain, no commit, no goodbye to its consumer group."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(30)

    def owned(self, name: str, topic: str) -> set[int]:
        """Partitions of ``topic`` the copy ``name`` owns now, read from its ``/metrics``."""
        answer = httpx.get(f"http://127.0.0.1:{self.ports[name]}/metrics", timeout=30)
        found = set()
        for family in text_string_to_metric_families(answer.text):
            for sample in family.samples:
                if sample.name == "hookbus_consumer_lag" and sample.labels["topic"] == topic:
                    found.add(int(sample.labels["partition"]))
        return found

    def wait_owned(self, name: str, topic: str, partitions: int, timeout: float = 90) -> None:
        """Poll until the copy ``name`` owns every one of the ``partitions`` of ``topic``."""
        poll(lambda: self.owned(name, topic) == set(range(partitions)), timeout, 0.5)
