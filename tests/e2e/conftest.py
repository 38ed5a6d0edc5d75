"""One running hookbus (four service processes) per end-to-end module, on the session broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.receiver import Receiver
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(kafka_bootstrap, Path(tmp_path_factory.mktemp("hookbus"))).start()
    yield running
    codes = running.stop()
    assert codes == dict.fromkeys(codes, 0), f"services did not stop cleanly: {codes}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
