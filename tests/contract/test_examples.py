"""Every example record passes its schema, and typical mistakes are refused with a path."""

from __future__ import annotations

import orjson
import pytest

from shared.contracts import Contract, decode, examples, problems
from shared.errors import BadRecord


@pytest.mark.parametrize("contract", list(Contract))
def test_every_contract_has_examples(contract: Contract) -> None:
    assert examples(contract), f"contracts/examples/{contract.value}/ holds no example"


@pytest.mark.parametrize(
    "path",
    [path for contract in Contract for path in examples(contract)],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_example_is_valid(path: object) -> None:
    contract = Contract(path.parent.name)  # type: ignore[attr-defined]
    raw = path.read_bytes()  # type: ignore[attr-defined]
    assert problems(contract, orjson.loads(raw)) == []
    assert decode(contract, raw)["v"] == 1


def test_missing_field_is_named() -> None:
    raw = (examples(Contract.EVENT)[0]).read_bytes()
    record = orjson.loads(raw)
    del record["app_id"]
    with pytest.raises(BadRecord, match="app_id"):
        decode(Contract.EVENT, orjson.dumps(record))


def test_wrong_type_names_the_path() -> None:
    succeeded = next(p for p in examples(Contract.ATTEMPT) if p.stem == "succeeded")
    record = orjson.loads(succeeded.read_bytes())
    record["response"]["status"] = "200"
    assert any(p.startswith("$.response.status") for p in problems(Contract.ATTEMPT, record))


def test_unknown_version_is_refused() -> None:
    record = orjson.loads(examples(Contract.DELIVERY)[0].read_bytes())
    record["v"] = 99
    assert problems(Contract.DELIVERY, record) == ["$.v: unsupported delivery schema version 99"]


def test_not_json_is_a_bad_record() -> None:
    with pytest.raises(BadRecord, match="not JSON"):
        decode(Contract.CONFIG, b"{nope")
