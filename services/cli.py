"""The ``hookbus`` command: ``run`` everything, ``kafka`` alone, or ``serve`` one service."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import httpx

from services.supervisor import SERVICES, Supervisor, child_env
from shared import log as logs
from shared.settings import Settings

log = logging.getLogger("hookbus")


def serve(name: str) -> int:
    """Run one service in this process until SIGTERM."""
    module = importlib.import_module(f"services.{name}.main")
    result: int = module.main()
    return result


def entry(argv: list[str] | None = None) -> int:
    """The ``hookbus`` console script: ``run``, ``kafka`` and ``serve`` start processes
    (:func:`main`); every other command is a client of a running hookbus's API
    (``services/cli_client``: ``hookbus apps list``, ``hookbus tail``...)."""
    given = sys.argv[1:] if argv is None else argv
    if given and given[0] in ("run", "kafka", "serve"):
        return main(given)
    from services.cli_client.entry import main as client

    return client(given)


def kafka(port: int | None, data_dir: Path | None) -> int:
    """Run only the local single-node KRaft broker."""
    from shared.local_kafka import run_forever

    return run_forever(port, data_dir)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_ready(urls: list[str], timeout: float) -> bool:
    """Poll every ``/readyz`` until all answer 200 (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    waiting = list(urls)
    while time.monotonic() < deadline:
        waiting = [url for url in waiting if not _ready(url)]
        if not waiting:
            return True
        time.sleep(0.5)
    return False


def _readiness_urls(settings: Settings) -> list[str]:
    """The ingress's public ``/readyz`` and the three internal services' own."""
    ports = [
        settings.http_port,
        settings.audit_port,
        settings.router_port,
        settings.dispatcher_port,
    ]
    return [f"http://{settings.http_host}:{port}/readyz" for port in ports]


def run() -> int:
    """Start the broker (unless one is given) and the four services; stop all on Ctrl-C."""
    logs.setup("hookbus")
    settings = Settings.from_env()
    token = os.environ.get("HOOKBUS_ADMIN_TOKEN") or "hb_" + secrets.token_urlsafe(24)
    broker = None
    bootstrap = settings.kafka_bootstrap
    if not bootstrap:
        from shared.local_kafka import LocalBroker

        broker = LocalBroker(data_dir=settings.data_dir / "kafka", tied=True)
        bootstrap = broker.start()
    if settings.allow_private_destinations:
        log.warning("private destinations are allowed: for local development only")
    overrides = {
        "HOOKBUS_KAFKA_BOOTSTRAP": bootstrap,
        "HOOKBUS_ADMIN_TOKEN": token,
        "HOOKBUS_DATA_DIR": str(settings.data_dir),
    }
    supervisor = Supervisor(child_env(overrides), SERVICES)
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    supervisor.start()
    base_url = f"http://{settings.http_host}:{settings.http_port}"
    # Ready once all four are: the ingress alone would accept events the router has not yet
    # joined its group to route. The address and token are printed either way: a generated
    # token is shown nowhere else.
    ready = _wait_ready(_readiness_urls(settings), 90.0)
    state = "ready" if ready else "not ready yet (see the logs)"
    print(f"hookbus is {state} at {base_url}\nadmin token: {token}", flush=True)
    try:
        while not stopping:
            supervisor.check()
            time.sleep(0.5)
    finally:
        supervisor.stop()
        if broker is not None:
            broker.stop()
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    top = argparse.ArgumentParser(prog="hookbus", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="broker (unless HOOKBUS_KAFKA_BOOTSTRAP) and all services")
    broker = commands.add_parser("kafka", help="the local single-node KRaft broker only")
    broker.add_argument("--port", type=int, default=None)
    broker.add_argument("--data-dir", type=Path, default=None)
    one = commands.add_parser("serve", help="one service")
    one.add_argument("service", choices=SERVICES)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hookbus`` command."""
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.service)
    if args.command == "kafka":
        return kafka(args.port, args.data_dir)
    return run()


if __name__ == "__main__":
    sys.exit(main())
