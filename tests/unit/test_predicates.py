"""JSONPath → value predicates (RFC 9535), shared by endpoint filters and inbound matches."""

from __future__ import annotations

from typing import Any

import pytest

from shared import filters, inbound
from shared.predicates import (
    PathError,
    all_hold,
    check_paths,
    compile_path,
    find,
    holds,
    json_equal,
)

DOC = {
    "event": {"type": "push"},
    "data": {"environment": {"type": "production"}, "n": 1, "flag": True, "none": None},
    "items": [{"id": "a", "n": 1}, {"id": "b", "n": 5}],
    "X-Hub": "yes",
}


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("$.data.environment.type", ["production"]),
        ("$['event']['type']", ["push"]),
        ("$.items[*].id", ["a", "b"]),
        ("$.items[?@.n > 1].id", ["b"]),  # RFC 9535 filter selector
        ("$..type", ["push", "production"]),
        ("$['X-Hub']", ["yes"]),
        ("$.items[-1].n", [5]),
        ("$.data.none", [None]),
        ("$.data.missing", []),
        ("$", [DOC]),
    ],
)
def test_rfc_9535_paths_select_in_document_order(path: str, values: list[Any]) -> None:
    assert find(path, DOC) == values


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("data.x", "starts with $"),
        ("action", "starts with $"),
        ("$[", "end of query"),
        ("$.", "shorthand"),
        ("$.a | $.b", "|"),  # the library's union extension, not RFC 9535
        ("$.a.length()", "("),
    ],
)
def test_invalid_paths_are_refused_with_a_reason(path: str, reason: str) -> None:
    with pytest.raises(PathError) as raised:
        compile_path(path)
    assert raised.value.path == path and reason in raised.value.reason
    assert isinstance(raised.value, ValueError)  # pydantic validators turn it into a 422


def test_paths_compile_once() -> None:
    assert compile_path("$.data.n") is compile_path("$.data.n")
    assert [p.path for p in check_paths(["$.ok", "data.x", "$.a["])] == ["data.x", "$.a["]


def test_json_equality() -> None:
    assert json_equal(1, 1.0) and json_equal({"a": [1, {"b": 2}]}, {"a": [1.0, {"b": 2}]})
    assert not json_equal(True, 1) and not json_equal(0, False)
    assert not json_equal([True], [1]) and not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal("1", 1) and json_equal(None, None) and not json_equal(None, 0)


def test_a_predicate_holds_when_any_selected_value_equals() -> None:
    assert holds("$.items[*].n", 5, DOC) and holds("$.data.n", 1.0, DOC)
    assert not holds("$.data.flag", 1, DOC)  # true is not 1
    assert holds("$.data.none", None, DOC)  # an explicit null is found
    assert not holds("$.data.missing", None, DOC)  # selecting nothing never holds
    assert holds("$.data.environment", {"type": "production"}, DOC)
    assert not holds("$.a", 1, [1, 2]) and not holds("$.a", 1, "text")
    assert all_hold(None, DOC) and all_hold({}, DOC)
    assert all_hold({"$.event.type": "push", "$.data.n": 1}, DOC)
    assert not all_hold({"$.event.type": "push", "$.data.n": 2}, DOC)
    with pytest.raises(PathError):
        holds("$[", 1, DOC)


CASES: list[dict[str, Any]] = [
    {"$.data.environment.type": "production"},
    {"$['event']['type']": "push", "$.data.n": 1.0},
    {"$.items[?@.n > 1].id": "b"},
    {"$.data.flag": 1},
    {"$.data.missing": None},
    {"$.data": {"environment": {"type": "production"}, "n": 1, "flag": True, "none": None}},
]


@pytest.mark.parametrize("predicates", CASES)
def test_filters_and_inbound_matches_agree_on_valid_paths(predicates: dict[str, Any]) -> None:
    assert filters.holds(predicates, DOC) is inbound.all_hold(predicates, DOC)
    assert filters.holds(predicates, DOC) is all_hold(predicates, DOC)


def test_each_caller_keeps_its_way_with_invalid_paths_and_missing_documents() -> None:
    with pytest.raises(filters.FilterError):  # outbound: reported (the endpoint is skipped)
        filters.holds({"$[": 1}, DOC)
    assert not inbound.all_hold({"$[": 1}, DOC)  # inbound: holds nothing, never raises
    assert inbound.find("$[", DOC) == [] and inbound.find("$.data.n", inbound.NO_DOCUMENT) == []
    assert not inbound.all_hold({"$.data.n": 1}, inbound.NO_DOCUMENT)
    assert inbound.all_hold({}, inbound.NO_DOCUMENT)
