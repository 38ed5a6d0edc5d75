"""Fixtures several unit test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.audit.store import Store


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An empty audit store on SQLite, then on PostgreSQL (see tests/postgres_server.py). A
    module that needs another store defines its own ``store``."""
    opened = Store.open(database_url)
    yield opened
    opened.close()
