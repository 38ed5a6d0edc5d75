"""Records built from the contract examples, for tests of the consumers."""

from __future__ import annotations

from typing import Any

import orjson

from shared import signing
from shared.contracts import Contract, examples


def example(contract: Contract, stem: str) -> dict[str, Any]:
    """The example record ``contracts/examples/<contract>/<stem>.json``."""
    path = next(p for p in examples(contract) if p.stem == stem)
    record: dict[str, Any] = orjson.loads(path.read_bytes())
    return record


def delivery() -> dict[str, Any]:
    """A first-attempt delivery record."""
    return example(Contract.DELIVERY, "first_attempt")


def endpoint(**changes: Any) -> dict[str, Any]:
    """An endpoint config object with a fresh secret, updated with ``changes``."""
    data: dict[str, Any] = example(Contract.CONFIG, "endpoint")["data"]
    data["secrets"] = [{"secret": signing.generate_secret(), "expires_at": None}]
    return {**data, **changes}
