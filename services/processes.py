"""The ``hookbus`` command: ``run`` everything, ``kafka`` alone, or ``serve`` one service."""

# The API client commands are services/cli_client; services/cli.py picks between the two.
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from services import local_run
from services.supervisor import SERVICES
from shared.setting_values import SettingsError


def serve(name: str) -> int:
    """Run one service in this process until SIGTERM."""
    module = importlib.import_module(f"services.{name}.main")
    result: int = module.main()
    return result


def kafka(port: int | None, data_dir: Path | None) -> int:
    """Run only the local single-node KRaft broker."""
    from shared.local_kafka import run_forever

    return run_forever(port, data_dir)


def run() -> int:
    """Start the broker (unless one is given) and the four services; see
    :mod:`services.local_run`."""
    return local_run.run()


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
    """Entry point of the ``hookbus`` command; exits 2, with one line, on a bad setting."""
    args = parser().parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args.service)
        if args.command == "kafka":
            return kafka(args.port, args.data_dir)
        return run()
    except SettingsError as exc:
        print(f"hookbus: {exc}", file=sys.stderr, flush=True)
        return 2
