"""Filters (RFC 9535 JSONPath), transforms (JMESPath) and sealed secrets, without I/O."""

from __future__ import annotations

import os

import pytest

from services.dispatcher.targets.request import build_request
from shared import clock, signing
from shared.filters import FilterError, check_filter, compile_path, holds, json_equal
from shared.secret_box import SecretUnavailable, secret_box
from shared.setting_values import SettingsError, parse_secret_keys
from shared.transforms import TransformError, apply, compile_transform
from tests.support.records import delivery, endpoint

ENVELOPE = {
    "type": "deploy.finished",
    "timestamp": "2026-11-22T10:15:30.123Z",
    "data": {"environment": {"type": "production"}, "tags": ["eu", "us"], "n": 1},
}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"$.data.environment.type": "production"}, True),
        ({"$['type']": "deploy.finished", "$.data.n": 1.0}, True),
        ({"$.data.environment.type": "staging"}, False),
        ({"$.data.tags[*]": "us"}, True),
        ({"$.data.n": True}, False),  # JSON: true is not 1
        ({"$.data.missing": None}, False),  # selects nothing
        ({"$.data.environment": {"type": "production"}}, True),
        ({}, True),
        (None, True),
    ],
)
def test_filter_conditions(conditions: dict[str, object] | None, expected: bool) -> None:
    assert holds(conditions, ENVELOPE) is expected


def test_invalid_paths_are_named_and_compiled_once() -> None:
    problems = check_filter({"$.ok": 1, "data.x": 2, "$.a[": 3})
    assert [p.path for p in problems] == ["data.x", "$.a["]
    with pytest.raises(FilterError):
        holds({"$..[": 1}, ENVELOPE)
    assert compile_path("$.data.n") is compile_path("$.data.n")
    assert json_equal([1, {"a": 2}], [1.0, {"a": 2}]) and not json_equal(0, False)


def test_transform_reshapes_and_fails_loudly() -> None:
    assert apply("merge(data, {event: type})", ENVELOPE)["event"] == "deploy.finished"
    assert apply("data.tags", ENVELOPE) == ["eu", "us"]
    with pytest.raises(TransformError, match="null"):
        apply("data.nothing", ENVELOPE)
    with pytest.raises(TransformError):
        apply("length(data.n)", ENVELOPE)
    with pytest.raises(TransformError):
        compile_transform("{a: ")
    assert compile_transform("data") is compile_transform("data")


def test_secrets_seal_open_and_sign() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed = secret_box((old,)).seal("whsec_" + "A" * 40, "ep_1")
    assert sealed.startswith("enc:v1:") and "A" * 40 not in sealed
    assert secret_box((new, old)).open(sealed, "ep_1") == "whsec_" + "A" * 40
    with pytest.raises(SecretUnavailable):
        secret_box((old,)).open(sealed, "ep_2")  # bound to its endpoint
    with pytest.raises(SecretUnavailable):
        secret_box((new,)).open(sealed, "ep_1")
    assert secret_box(()).seal("whsec_x", "ep_1") == "whsec_x"

    plain = signing.generate_secret()
    target = endpoint(
        secrets=[{"secret": secret_box((old,)).seal(plain, "ep_s"), "expires_at": None}]
    )
    target["id"] = "ep_s"
    record = delivery()
    request = build_request(record, target, clock.now(), (old,))
    stamp = int(request.headers["webhook-timestamp"])
    assert signing.verify(
        plain, record["message_id"], stamp, request.body, request.headers["webhook-signature"]
    )


def test_secret_key_setting() -> None:
    key = os.urandom(32)
    import base64

    assert parse_secret_keys(base64.b64encode(key).decode()) == (key,)
    assert parse_secret_keys("") == ()
    with pytest.raises(SettingsError):
        parse_secret_keys("short")
