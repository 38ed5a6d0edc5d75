"""HTTP details every hookbus API answers with: a 401 names the scheme (``WWW-Authenticate:
Bearer``), a 405 lists every method the path serves (``Allow``), and a recovery's ``since`` is
ISO 8601 text only (``{"since": 12345}`` was taken as a Unix time)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from services.ingress.api.recovery_api import RecoverIn
from shared import http_errors


def client() -> TestClient:
    app = FastAPI()
    http_errors.install(app)
    guarded = [Depends(http_errors.admin_only("t0ken"))]

    @app.get("/things/{thing}", dependencies=guarded)
    async def get_thing(thing: str) -> dict[str, str]:
        return {"id": thing}

    @app.patch("/things/{thing}")
    async def patch_thing(thing: str) -> dict[str, str]:
        return {"id": thing}

    @app.delete("/things/{thing}")
    async def delete_thing(thing: str) -> None:
        return None

    return TestClient(app)


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic t0ken"])
def test_a_401_says_the_bearer_scheme(header: str | None) -> None:
    headers = {} if header is None else {"authorization": header}
    answer = client().get("/things/a", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "unauthorized"


def test_a_405_lists_every_method_of_the_path() -> None:
    answer = client().put("/things/a")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, GET, PATCH"
    assert answer.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("since", [12345, "12345", 1.5, None, True, "yesterday", "2026-13-01"])
def test_since_must_be_an_iso_8601_timestamp(since: Any) -> None:
    with pytest.raises(ValidationError, match="ISO 8601"):
        RecoverIn(since=since)


def test_since_in_iso_8601_is_read_in_utc() -> None:
    assert RecoverIn(since="2026-11-22T10:00:00+01:00").since.isoformat() == (
        "2026-11-22T09:00:00+00:00"
    )
    assert RecoverIn(since="2026-11-22T10:00:00").since.hour == 10
