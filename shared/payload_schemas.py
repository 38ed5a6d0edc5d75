"""JSON Schemas of the event-type catalogue: checked when written, compiled once, applied at
publish time.

Schemas are compiled offline: a ``$ref`` to a remote document is refused rather than fetched,
so writing an event type never makes the ingress call out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import jsonschema_rs
import orjson

from shared.errors import Unprocessable

# How many problems one refusal lists.
MAX_PROBLEMS = 10


def _path(parts: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in parts)


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Any:
    return jsonschema_rs.validator_for(orjson.loads(text), offline=True, validate_formats=True)


def _validator(schema: Mapping[str, Any]) -> Any:
    """The compiled validator of ``schema``, cached by its canonical text."""
    return _compiled(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode())


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise :class:`Unprocessable` naming the place when ``schema`` is not a usable JSON Schema.

    Checks it against its draft's meta-schema (2020-12 unless ``$schema`` says otherwise), then
    compiles it (bad patterns, unresolvable or remote references).
    """
    try:
        jsonschema_rs.meta.validate(dict(schema))
        _validator(schema)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as exc:
        where = _path(["schema", *getattr(exc, "instance_path", [])])
        message = str(exc).splitlines()[0]
        raise Unprocessable(
            f"{where}: not a valid JSON Schema: {message}", [{"path": where, "msg": message}]
        ) from None


def payload_problems(
    schema: Mapping[str, Any], payload: Any, prefix: Sequence[str | int]
) -> list[dict[str, str]]:
    """Where ``payload`` breaks ``schema``: ``[{path, msg}]`` with paths under ``prefix``."""
    problems = []
    for error in _validator(schema).iter_errors(payload):
        problems.append({"path": _path([*prefix, *error.instance_path]), "msg": error.message})
        if len(problems) == MAX_PROBLEMS:
            break
    return problems


def mismatch(catalogued: Mapping[str, Any] | None, event_type: str, payload: Any) -> str | None:
    """Why ``payload`` breaks the schema of its catalogue entry ``catalogued`` (``path: what
    (schema of event type ...)``), or None when it fits or the type has no schema."""
    if catalogued is None or not catalogued.get("schema"):
        return None
    problems = payload_problems(catalogued["schema"], payload, ["payload"])
    if not problems:
        return None
    first = problems[0]
    return f"{first['path']}: {first['msg']} (schema of event type {event_type!r})"


def refuse(problems: list[dict[str, str]], event_type: str) -> Unprocessable:
    """The 422 for payloads that break their event type's schema."""
    first = problems[0]
    return Unprocessable(
        f"{first['path']}: {first['msg']} (schema of event type {event_type!r})",
        problems,
        code="schema_mismatch",
    )
