"""Each record type of shared.records has exactly its schema's properties, required as the
schema requires them, nested objects included, so the types and contracts/ cannot drift."""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import orjson
import pytest

from shared import contracts
from shared.contracts import RECORD_TYPES, Contract, load_schema


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and the ``then`` of each ``allOf`` condition (the task's record kinds)."""
    return [schema, *(part["then"] for part in schema.get("allOf", []) if "then" in part)]


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for branch in _branches(schema):
        for name, spec in branch.get("properties", {}).items():
            if isinstance(spec, dict) and (name not in found or spec.get("properties")):
                found[name] = spec
            found.setdefault(name, spec)
    return found


def _required(schema: dict[str, Any]) -> set[str]:
    return set(schema.get("required", []))


def _typed_dict(hint: Any) -> Any:
    """The TypedDict inside ``hint`` (``X``, ``X | None``, ``list[X]``), or None."""
    if is_typeddict(hint):
        return hint
    if get_origin(hint) in (typing.Union, types.UnionType, list):
        for arg in get_args(hint):
            if is_typeddict(arg):
                return arg
    return None


def _object_schema(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["items"] if spec.get("type") == "array" else spec


def _compare(kind: type[Any], schema: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    props = _properties(schema)
    hints = get_type_hints(kind)
    if set(hints) != set(props):
        problems.append(
            f"{where}: type has {sorted(set(hints) - set(props))} beyond the schema, "
            f"lacks {sorted(set(props) - set(hints))}"
        )
    if len(_branches(schema)) == 1 and set(kind.__required_keys__) != _required(schema):
        problems.append(
            f"{where}: required {sorted(kind.__required_keys__)} != {sorted(_required(schema))}"
        )
    if len(_branches(schema)) > 1 and set(kind.__required_keys__) != _required(schema):
        problems.append(f"{where}: always-required keys differ from the schema's")
    for name, hint in hints.items():
        inner = _typed_dict(hint)
        spec = props.get(name)
        if inner is not None and isinstance(spec, dict):
            problems += _compare(inner, _object_schema(spec), f"{where}.{name}")
        elif isinstance(spec, dict) and _object_schema(spec).get("properties"):
            problems.append(f"{where}.{name}: the schema lists properties, the type does not")
    return problems


@pytest.mark.parametrize("contract", list(Contract))
def test_record_type_matches_schema(contract: Contract) -> None:
    assert _compare(RECORD_TYPES[contract], load_schema(contract), contract.value) == []


def test_every_contract_has_a_type_and_typed_codec() -> None:
    assert set(RECORD_TYPES) == set(Contract)
    for contract in Contract:
        assert callable(getattr(contracts, f"decode_{contract.value}"))
        assert callable(getattr(contracts, f"encode_{contract.value}"))


@pytest.mark.parametrize("contract", list(Contract))
def test_typed_codec_round_trips_the_examples(contract: Contract) -> None:
    decode = getattr(contracts, f"decode_{contract.value}")
    encode = getattr(contracts, f"encode_{contract.value}")
    for path in contracts.examples(contract):
        raw = path.read_bytes()
        assert orjson.loads(encode(decode(raw))) == orjson.loads(raw)


def test_a_drifted_type_is_caught() -> None:
    class Narrow(typing.TypedDict):
        v: int

    assert _compare(Narrow, load_schema(Contract.REPLY), "reply")
