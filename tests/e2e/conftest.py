"""One running hookbus (four service processes) per end-to-end module, on the session broker.

A module that needs other settings names them in ``STACK_ENV`` (``HOOKBUS_*`` variables).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.receiver import Receiver
from tests.support.stack import Stack, running


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The module's hookbus, with its ``STACK_ENV``; asserts every service stopped cleanly."""
    env: dict[str, str] = getattr(request.module, "STACK_ENV", {})
    data = Path(tmp_path_factory.mktemp("hookbus"))
    with running(Stack(kafka_bootstrap, data, **env)) as started:
        yield started


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
