"""``GET /docs`` and ``GET /redoc``: the OpenAPI pages, with their scripts served by hookbus.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet
access (a common place to run a self-hosted webhook platform) they stay blank. The assets come
from the pinned ``fastapi-offline`` package, which bundles Swagger UI 5 (it reads OpenAPI 3.1,
which FastAPI writes) and ReDoc; only its files are used, the application stays a plain FastAPI.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from services.ingress.web import openapi_doc

ASSETS_URL = "/docs/assets"
TITLE = "hookbus API"


def install(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) and ``/redoc`` without any request leaving the machine,
    and the document they show, ``/openapi.json``, as :mod:`.openapi_doc` completes it."""
    openapi_doc.install(app)
    assets = resources.files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_page() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=TITLE,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=TITLE,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
