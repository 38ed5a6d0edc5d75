"""The dashboard's files: served by hookbus at every page URL, loading nothing from elsewhere,
their imports resolvable, and all of them shipped in the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.ingress import dashboard

STATIC = Path(dashboard.__file__).parent / "static"
REPO = Path(__file__).resolve().parents[2]
# Namespace names and placeholder text, never fetched.
NOT_FETCHED = {"http://www.w3.org/2000/svg", "https://example.com/webhooks"}


def _client() -> TestClient:
    app = FastAPI()
    dashboard.install(app)
    return TestClient(app)


def test_every_page_url_answers_the_shell_with_a_local_only_policy() -> None:
    client = _client()
    for path in ("/dashboard/", "/dashboard/apps/a/endpoints/b", "/portal/", "/portal/apps/a"):
        page = client.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], path
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy
        assert page.headers["referrer-policy"] == "no-referrer"
        for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert src.startswith("/dashboard/assets/"), src
            assert client.get(src).status_code == 200, src
    moved = client.get("/dashboard", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"].endswith("/dashboard/")
    assert client.get("/dashboard/assets/js/nope.js").status_code == 404
    script = client.get("/dashboard/assets/js/app.js")
    assert "javascript" in script.headers["content-type"]


def test_no_file_loads_anything_from_elsewhere() -> None:
    for path in STATIC.rglob("*"):
        if path.suffix in {".js", ".css", ".html", ".svg"}:
            urls = set(re.findall(r"https?://[^\"'\s)`]+", path.read_text()))
            assert urls <= NOT_FETCHED, (path, urls - NOT_FETCHED)


def test_every_import_resolves() -> None:
    for path in STATIC.rglob("*.js"):
        for target in re.findall(r'from "(\.[^"]+)"', path.read_text()):
            assert (path.parent / target).resolve().exists(), (path, target)


def test_every_file_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["services.ingress.dashboard"]
    shipped = {path for pattern in patterns for path in STATIC.parent.glob(pattern)}
    for path in STATIC.rglob("*"):
        assert path in shipped or path.is_dir(), path
