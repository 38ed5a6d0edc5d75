"""``/dashboard/`` and ``/portal/``: the web UI, static files shipped as package data.

The pages are a client of the public ``/v1`` API and nothing more (the browser calls it with
the admin token, or with a portal token on ``/portal/``). Every page has its own URL, routed in
the browser with the history API, so the server answers every path under either prefix with
the same shell page; the assets live under ``/dashboard/assets/``. A Content-Security-Policy
lets the pages load and call nothing but this server: they work offline, and no request leaves
the machine.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

ASSETS_URL = "/dashboard/assets"
PREFIXES = ("/dashboard", "/portal")
HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    # A portal token rides in the URL fragment, which is never sent; nothing else leaks either.
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
}


def install(app: FastAPI) -> None:
    """Serve the assets and answer every page URL under both prefixes with the shell."""
    static = resources.files(__package__) / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(static)), name="dashboard-assets")
    shell = (static / "index.html").read_bytes()

    async def page(request: Request) -> Response:
        return Response(shell, media_type="text/html; charset=utf-8", headers=HEADERS)

    async def to_slash(request: Request) -> Response:
        return RedirectResponse(request.url.path + "/", status_code=308)

    for prefix in PREFIXES:
        app.add_route(prefix, to_slash, methods=["GET", "HEAD"], include_in_schema=False)
        app.add_route(
            prefix + "/{path:path}", page, methods=["GET", "HEAD"], include_in_schema=False
        )
