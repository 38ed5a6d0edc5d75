"""Command line: ``python -m shared.local_kafka install | run [--port N] [--data-dir D]``."""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from shared.local_kafka.broker import LocalBroker
from shared.local_kafka.errors import LocalKafkaError
from shared.local_kafka.install import KAFKA_VERSION, install

logger = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_WATCH_INTERVAL_S = 0.5


def run_forever(port: int | None, data_dir: Path | None) -> int:
    """Run a local broker in the foreground until SIGINT or SIGTERM, then stop it cleanly.

    Prints ``KAFKA_BOOTSTRAP=127.0.0.1:<port>`` on stdout once the broker serves clients. Blocks
    until a stop signal arrives or the broker exits by itself. Installs signal handlers, so it
    must run in the main thread (restored before returning). Returns the process exit code:
    0 after a requested stop, 1 if the broker could not start or died.
    """
    previous = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS}
    broker = LocalBroker(data_dir=data_dir, port=port)
    try:
        bootstrap = broker.start()
        print(f"KAFKA_BOOTSTRAP={bootstrap}", flush=True)
        return _watch(broker)
    except KeyboardInterrupt:
        logger.info("stop requested")
        return 0
    except LocalKafkaError as exc:
        logger.error("%s", exc)
        return 1
    finally:
        # A second Ctrl-C must not abandon the JVM halfway through its shutdown.
        for sig in _STOP_SIGNALS:
            signal.signal(sig, _already_stopping)
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m shared.local_kafka``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m shared.local_kafka",
        description=f"Install and run a local single-node Apache Kafka {KAFKA_VERSION} broker.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="download the broker jars into the cache (once)")
    run = commands.add_parser("run", help="run a broker in the foreground until Ctrl-C")
    run.add_argument("--port", type=int, default=None, help="client port (default: a free one)")
    run.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep topics in this folder across runs (default: a temporary folder)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "install":
        return _install()
    return run_forever(args.port, args.data_dir)


def _install() -> int:
    try:
        logger.info("Kafka %s jars are in %s", KAFKA_VERSION, install())
    except LocalKafkaError as exc:
        logger.error("%s", exc)
        return 1
    return 0


def _watch(broker: LocalBroker) -> int:
    while (exit_code := broker.poll()) is None:
        time.sleep(_WATCH_INTERVAL_S)
    logger.error("the Kafka broker exited by itself with code %d\n%s", exit_code, broker.log_tail())
    return 1


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C: unwind to run_forever's cleanup.
    raise KeyboardInterrupt


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    logger.info("already stopping the Kafka broker")
