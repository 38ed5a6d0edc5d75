"""Run the router: ``hookbus serve router``."""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType

import faust
import uvloop

from services.router.claims_log import changelog_spec
from services.router.config_gate import ConfigGate
from services.router.stream_app import create_app
from shared import lifecycle
from shared.config_view import ConfigView
from shared.settings import Settings
from shared.topics import Topic, physical

log = logging.getLogger(__name__)


async def _config_view(settings: Settings) -> ConfigView:
    # Our topics exist, with our settings, before faust subscribes; aiokafka clients must be
    # created inside the loop that runs them.
    await lifecycle.topics_ready(settings, extra=[changelog_spec(settings)])
    topic = physical(settings.topic_prefix, Topic.CONFIG)
    return ConfigView(settings.bootstrap, topic, client_id="hookbus-router-config")


class RouterWorker(faust.Worker):
    """faust's worker, without the moments where SIGTERM would kill the process outright."""

    def _shutdown_loop(self) -> None:
        try:
            super()._shutdown_loop()
        finally:
            # Closing the loop resets SIGTERM to its default; shutdown is already under way,
            # and a late SIGTERM (a supervisor repeating itself) must not cut the exit short.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _exit_before_start(signum: int, frame: FrameType | None) -> None:
    # Until faust installs its own handlers nothing was consumed: leaving at once is clean.
    raise SystemExit(0)


def main() -> int:
    """Route events until SIGTERM/SIGINT, then commit what is durable and return 0.

    Blocks until stopped. The faust worker owns the loop and the signal handlers: it starts the
    config view first, then the app (producer, web server, consumer, agent), and stops them in
    reverse order; events whose records are still unacknowledged after a short drain stay
    uncommitted for the next owner. Returns 1 when the worker crashed.
    """
    signal.signal(signal.SIGTERM, _exit_before_start)
    settings = lifecycle.prepare("router")
    (settings.data_dir / "router").mkdir(parents=True, exist_ok=True)
    # uvloop, as the other services: less CPU per wake-up. The policy also gives faust's
    # consumer thread (which makes its own loop) a uvloop one.
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    gate = ConfigGate(loop.run_until_complete(_config_view(settings)))
    app = create_app(settings, gate)
    worker = RouterWorker(
        app, gate, loop=loop, loglevel=settings.log_level, quiet=True, override_logging=False
    )
    worker.spinner = None  # a terminal progress spinner has no place in JSON logs
    log.info("router starting", extra={"group": app.conf.id, "port": settings.router_port})
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0
