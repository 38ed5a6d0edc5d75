"""``/healthz``, ``/readyz`` and ``/metrics`` for every service, and running a FastAPI app
in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import APIRouter, FastAPI, Response

from shared import metrics
from shared.json_response import OrjsonResponse

Readiness = Callable[[], dict[str, bool]]


def health_router(checks: Readiness) -> APIRouter:
    """Routes answering ``/healthz`` (the process is alive), ``/readyz`` (every check true) and
    ``/metrics`` (Prometheus)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> OrjsonResponse:
        return OrjsonResponse({"status": "ok"})

    @router.get("/readyz", summary="Kafka reachable and configuration caught up")
    async def readyz() -> OrjsonResponse:
        results = checks()
        ready = all(results.values())
        return OrjsonResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics of this process (text format)")
    async def prometheus() -> Response:
        return Response(await metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    return router


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
        timeout_graceful_shutdown=max(1, round(grace)),
    )
    server = _QuietServer(config)
    return server, asyncio.create_task(server.serve(), name=f"http-{port}")


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the service's own shutdown logic."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield
