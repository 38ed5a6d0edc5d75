"""The OpenAPI document's examples follow its own schemas: every example answer (success and
error) validates against the schema declared beside it, so what /docs shows and what clients
are generated from agree."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest

from services.ingress.http_app import create_app
from shared.settings import Settings


def document() -> dict[str, Any]:
    hub = SimpleNamespace(settings=Settings.from_env({}), config=None, kafka=None)
    spec: dict[str, Any] = create_app(hub).openapi()  # type: ignore[arg-type]
    return spec


DOC = document()
EXAMPLES = [
    (f"{method.upper()} {path} {status}", content["schema"], content["example"])
    for path, methods in DOC["paths"].items()
    for method, operation in methods.items()
    for status, answer in operation["responses"].items()
    for content in answer.get("content", {}).values()
    if "example" in content and "schema" in content
]


def test_there_are_examples_for_most_answers() -> None:
    assert len(EXAMPLES) > 200


@pytest.mark.parametrize(("where", "schema", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_example_follows_its_schema(where: str, schema: Any, example: Any) -> None:
    rooted = {**schema, "components": DOC["components"]}
    jsonschema.Draft202012Validator(rooted).validate(example)
