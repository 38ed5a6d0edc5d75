"""``hookbus run``: all four services behind one URL, and a service that dies comes back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from tests.support.stack import REPO, free_port
from tests.support.waiting import poll


def children(pid: int) -> dict[str, int]:
    """The service processes ``hookbus run`` started, by service name."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"serve" in cmdline:
            found[cmdline[cmdline.index(b"serve") + 1].decode()] = int(entry.name)
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped yet has stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_run(kafka_bootstrap: str, data: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """``hookbus run`` on free ports (by setting name) with its own topic prefix."""
    ports = {name: free_port() for name in ("HTTP", "AUDIT", "ROUTER", "DISPATCHER")}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HOOKBUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "HOOKBUS_TOPIC_PREFIX": f"run{uuid.uuid4().hex[:8]}.",
        "HOOKBUS_PARTITIONS": "2",
        "HOOKBUS_DATA_DIR": str(data),
        "HOOKBUS_ADMIN_TOKEN": "run-token",
        **{f"HOOKBUS_{name}_PORT": str(port) for name, port in ports.items()},
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    return run, ports


def test_run_serves_everything_and_restarts_a_killed_service(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    run, ports = start_run(kafka_bootstrap, tmp_path)
    try:
        assert run.stdout is not None
        announced = run.stdout.readline() + run.stdout.readline()
        assert f"http://127.0.0.1:{ports['HTTP']}" in announced and "run-token" in announced
        # "ready" is announced only once every service is, not the ingress alone.
        assert "hookbus is ready" in announced
        assert all(ready(port) for port in ports.values())
        listed = httpx.get(
            f"http://127.0.0.1:{ports['HTTP']}/v1/apps",
            headers={"authorization": "Bearer run-token"},
        )
        assert listed.status_code == 200, listed.text
        # Only the built-in app of operational events is there from the start.
        assert [app["uid"] for app in listed.json()["data"]] == ["operational"]

        before = poll(lambda: len(children(run.pid)) == 4 and children(run.pid))
        os.kill(before["dispatcher"], signal.SIGKILL)
        after = poll(
            lambda: (
                children(run.pid).get("dispatcher") not in (None, before["dispatcher"])
                and children(run.pid)
            ),
            timeout=60,
        )
        assert after["router"] == before["router"]
        poll(lambda: ready(ports["DISPATCHER"]), timeout=90)
    finally:
        run.send_signal(signal.SIGINT)
        code = run.wait(60)
    assert code == 0
    assert children(run.pid) == {}


def test_services_stop_when_run_is_killed_outright(kafka_bootstrap: str, tmp_path: Path) -> None:
    """SIGKILL leaves ``hookbus run`` no chance to stop its services: they stop by themselves,
    so a new ``hookbus run`` finds its ports free rather than old copies answering for it."""
    run, ports = start_run(kafka_bootstrap, tmp_path)
    try:
        assert run.stdout is not None
        assert "hookbus is ready" in run.stdout.readline() + run.stdout.readline()
        services = poll(lambda: len(children(run.pid)) == 4 and children(run.pid))
    finally:
        run.kill()
        run.wait(30)
    poll(lambda: not any(alive(pid) for pid in services.values()), timeout=60)
    assert not any(ready(port) for port in ports.values())
