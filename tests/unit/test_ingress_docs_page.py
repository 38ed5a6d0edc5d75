"""The OpenAPI pages work without internet access: every script and style comes from hookbus."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.ingress.web import docs_page


def _client() -> TestClient:
    app = FastAPI(title="t", docs_url=None, redoc_url=None)

    @app.get("/v1/things")
    async def things() -> dict[str, str]:
        return {}

    docs_page.install(app)
    return TestClient(app)


def test_swagger_page_loads_only_local_assets_that_read_openapi_3_1() -> None:
    client = _client()
    page = client.get("/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(src.startswith("/docs/assets/") for src in sources), sources
    assert "url: '/openapi.json'" in page.text
    for src in sources:
        assert client.get(src).status_code == 200, src
    script = client.get("/docs/assets/swagger-ui-bundle.js").text
    # Swagger UI learnt OpenAPI 3.1 (what FastAPI writes) in version 5.
    assert re.search(r'"5\.\d+\.\d+"', script)
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_redoc_page_loads_only_local_assets() -> None:
    client = _client()
    page = client.get("/redoc")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(src.startswith("/docs/assets/") for src in sources), sources
    for src in sources:
        assert client.get(src).status_code == 200, src


def test_the_pages_are_not_part_of_the_api_description() -> None:
    paths = _client().get("/openapi.json").json()["paths"]
    assert set(paths) == {"/v1/things"}
