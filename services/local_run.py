"""``hookbus run``: a local broker (unless one is given) and the four services on one machine.

Several copies may run side by side: internal ports that are not set are chosen free, every
port is checked before anything starts (a taken one is an error naming its variable), and
readiness is asked of this run's own services only, on the ports it gave them, while watching
that they are still alive. So a copy never reports "ready" because another copy answered.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType

import httpx

from services.run_progress import Progress
from services.supervisor import SERVICES, Supervisor, child_env
from shared import log as logs
from shared.settings import Settings

log = logging.getLogger("hookbus")
READY_TIMEOUT_S = 90.0
# The variable naming each service's port; the ingress's is the public one.
PORT_VARIABLES = {
    "ingress": "HOOKBUS_HTTP_PORT",
    "audit": "HOOKBUS_AUDIT_PORT",
    "router": "HOOKBUS_ROUTER_PORT",
    "dispatcher": "HOOKBUS_DISPATCHER_PORT",
}


class PortTaken(Exception):
    """A port this run needs is in use by another program (or another hookbus)."""


def port_free(host: str, port: int) -> bool:
    """True when ``port`` could be bound on ``host`` now (as uvicorn binds: SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port the system says is free on ``host`` at this moment."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def plan_ports(settings: Settings, env: dict[str, str]) -> dict[str, int]:
    """Each service's port: as set, or (internal ones not set) a free one. Raise
    :class:`PortTaken` naming the variable of the first port that is in use.

    Audit's port stays as configured when ``HOOKBUS_AUDIT_URL`` is set: the ingress finds
    audit there, not on a port chosen here.
    """
    configured = {
        "ingress": settings.http_port,
        "audit": settings.audit_port,
        "router": settings.router_port,
        "dispatcher": settings.dispatcher_port,
    }
    fixed = {name for name, variable in PORT_VARIABLES.items() if env.get(variable)}
    fixed |= {"ingress"} | ({"audit"} if env.get("HOOKBUS_AUDIT_URL") else set())
    ports: dict[str, int] = {}
    for name in PORT_VARIABLES:
        if name in fixed:
            port = configured[name]
            if not port_free(settings.http_host, port):
                raise PortTaken(
                    f"{PORT_VARIABLES[name]}={port}: port {port} on {settings.http_host} is "
                    "taken (another hookbus, or another program); choose another port"
                )
        else:
            port = free_port(settings.http_host)
        ports[name] = port
    return ports


def local_host(host: str) -> str:
    """Where to reach a server listening on ``host`` from this machine."""
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)


def is_ready(host: str, port: int) -> bool:
    """True when ``/readyz`` on ``host:port`` answers 200."""
    where = f"[{host}]" if ":" in host else host
    try:
        return httpx.get(f"http://{where}:{port}/readyz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for_services(
    supervisor: Supervisor,
    ports: dict[str, int],
    host: str,
    progress: Progress,
    stopping: Callable[[], bool],
) -> bool:
    """Report each service as it becomes ready, in start order; True once all are. False as
    soon as one exits (named, with its log) or ``stopping()`` says so. A service slower than
    :data:`READY_TIMEOUT_S` is named with its log once, and still waited for."""
    patience = time.monotonic() + READY_TIMEOUT_S
    for name in SERVICES:
        progress.begin(name)
        while not is_ready(host, ports[name]):
            code = supervisor.exit_code(name)
            if code is not None:
                why = "its port is taken" if code == 3 else "see its log"
                progress.failed(f"exited with code {code} ({why})", supervisor.log_path(name))
                return False
            if stopping():
                return False
            if time.monotonic() > patience:
                progress.slow(f"not ready after {READY_TIMEOUT_S:.0f} s", supervisor.log_path(name))
                patience = float("inf")
            time.sleep(0.25)
        progress.done(f"port {ports[name]}")
    return True


def run() -> int:
    """Start the broker (unless one is given) and the four services; stop all on Ctrl-C.

    Returns 1 when something cannot start (a port taken, the broker or a service failing).
    """
    logs.setup("hookbus")
    settings = Settings.from_env()
    token = os.environ.get("HOOKBUS_ADMIN_TOKEN") or "hb_" + secrets.token_urlsafe(24)
    progress = Progress()
    log_dir = settings.data_dir / "logs"
    progress.say(f"hookbus: starting; logs in {log_dir}")
    try:
        ports = plan_ports(settings, dict(os.environ))
    except PortTaken as exc:
        progress.say(f"hookbus: cannot start: {exc}")
        return 1
    broker = None
    bootstrap = settings.kafka_bootstrap
    progress.begin("Kafka broker")
    if bootstrap:
        progress.done(f"{bootstrap} (HOOKBUS_KAFKA_BOOTSTRAP)")
    else:
        from shared.local_kafka import LocalBroker, LocalKafkaError

        broker = LocalBroker(data_dir=settings.data_dir / "kafka", tied=True)
        try:
            bootstrap = broker.start()
        except LocalKafkaError as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0]
            progress.failed(reason, settings.data_dir / "kafka" / "logs" / "broker.out")
            return 1
        progress.done(bootstrap)
    if settings.allow_private_destinations:
        log.warning("private destinations are allowed: for local development only")
    overrides = {
        "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
        "HOOKBUS_ADMIN_TOKEN": token,
        "HOOKBUS_DATA_DIR": str(settings.data_dir),
        **{PORT_VARIABLES[name]: str(port) for name, port in ports.items()},
    }
    supervisor = Supervisor(child_env(overrides), SERVICES, log_dir)
    try:
        return _supervise(settings, supervisor, ports, token, progress)
    finally:
        if broker is not None:
            broker.stop()


def _supervise(
    settings: Settings,
    supervisor: Supervisor,
    ports: dict[str, int],
    token: str,
    progress: Progress,
) -> int:
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    supervisor.start()
    host = local_host(settings.http_host)
    try:
        # Ready once all four are: the ingress alone would accept events the router has not yet
        # joined its group to route.
        if not wait_for_services(supervisor, ports, host, progress, lambda: stopping):
            if not stopping:
                progress.say("hookbus: stopping; see the log named above")
            return 0 if stopping else 1
        # The address and token go to stdout: a generated token is shown nowhere else.
        base_url = f"http://{settings.http_host}:{ports['ingress']}"
        print(f"hookbus is ready at {base_url}\nadmin token: {token}", flush=True)
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    finally:
        supervisor.stop()
    return 0
