"""``/healthz``, ``/readyz`` and ``/metrics`` for every service, and running a FastAPI app
in-process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import PlainTextResponse
from uvicorn.config import STARTUP_FAILURE

from shared import metrics
from shared.bounded_http import BoundedHttpToolsProtocol
from shared.json_response import OrjsonResponse

Readiness = Callable[[], dict[str, bool]]
log = logging.getLogger(__name__)


def health_router(checks: Readiness) -> APIRouter:
    """Routes answering ``/healthz`` (the process is alive), ``/readyz`` (every check true) and
    ``/metrics`` (Prometheus)."""
    api = APIRouter(tags=["operations"])

    @api.get("/healthz", summary="The process is alive")
    async def healthz() -> OrjsonResponse:
        return OrjsonResponse({"status": "ok"})

    @api.get("/readyz", summary="Kafka reachable and configuration caught up")
    async def readyz() -> OrjsonResponse:
        results = checks()
        ready = all(results.values())
        return OrjsonResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @api.get(
        "/metrics",
        summary="Prometheus metrics of this process (text format)",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def prometheus() -> Response:
        return Response(await metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    return api


def start_http(
    app: FastAPI, host: str, port: int, grace: float = 10.0
) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve ``app`` on ``host:port`` in the running loop; stop with ``server.should_exit``.

    Once stopped, the server closes its listening socket at once, then gives requests in
    progress up to ``grace`` seconds to finish before it cancels them.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        http=BoundedHttpToolsProtocol,  # 431 for a request head over its bound
        timeout_graceful_shutdown=max(1, round(grace)),
    )
    server = _QuietServer(config)
    return server, asyncio.create_task(server.serve(), name=f"http-{port}")


async def listening(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Return once ``server`` (from :func:`start_http`) listens.

    When it cannot (its port is taken, say) raise ``SystemExit(3)``, uvicorn's startup-failure
    code, from the service's own coroutine, so the service unwinds what it started and exits
    before it takes any work, and a supervisor sees it fail.
    """
    while not server.started:
        if task.done():
            config = server.config
            log.error("cannot listen", extra={"host": config.host, "port": config.port})
            raise SystemExit(STARTUP_FAILURE)
        await asyncio.sleep(0.02)


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the service's own shutdown logic, and whose
    failure to start ends its task instead of the event loop (see :func:`listening`)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        except SystemExit:
            # uvicorn calls sys.exit(); raised in a task it would stop the loop mid-flight,
            # leaving Kafka clients unable to say goodbye. Ending the server is enough.
            self.should_exit = True
