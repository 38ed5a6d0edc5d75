"""A real headless Chromium (the system's, never a downloaded one) driven by Playwright, with
every request checked to stay on this machine and every console error kept."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1"}


def chromium() -> str | None:
    """The system's Chromium (``HOOKBUS_TEST_CHROMIUM`` or ``chromium`` on the PATH)."""
    given = os.environ.get("HOOKBUS_TEST_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def launched() -> Iterator[Any]:
    """A headless Chromium; skips the test, saying why, when there is none."""
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What a browser context did: every URL it asked for, those refused for leaving the
    machine, and console errors."""

    requested: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def unexpected_errors(self) -> list[str]:
        return list(self.errors)


def _is_api_refusal(message: Any) -> bool:
    # Chromium logs every 4xx answer as "Failed to load resource"; the pages handle an API's
    # refusal themselves (shown beside what caused it), so only those of /v1 calls are allowed.
    location = message.location or {}
    path = urlsplit(location.get("url", "")).path
    return message.text.startswith("Failed to load resource") and path.startswith("/v1/")


def watched_context(browser: Any, **options: Any) -> tuple[Any, Watch]:
    """A new browser context whose requests may only go to 127.0.0.1 (others are aborted and
    recorded), and whose pages' console errors are recorded."""
    context = browser.new_context(**options)
    watch = Watch()

    def guard(route: Any) -> None:
        url = route.request.url
        watch.requested.append(url)
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            watch.refused.append(url)
            route.abort()

    context.route("**/*", guard)

    def on_page(page: Any) -> None:
        page.on(
            "console",
            lambda m: m.type == "error" and not _is_api_refusal(m) and watch.errors.append(m.text),
        )
        page.on("pageerror", lambda e: watch.errors.append(f"uncaught: {e}"))

    context.on("page", on_page)
    return context, watch
