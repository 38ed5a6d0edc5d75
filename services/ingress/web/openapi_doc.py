"""``/openapi.json`` as the API really answers, so clients can be generated from it and fuzzers
find no contract failure.

FastAPI's own document is completed here, once, when first asked for:

- every answer has its schema: an operation's own ``response_model``, else the model named in
  :data:`ANSWERS` (handlers answer pre-encoded JSON, so FastAPI cannot see the shape);
- the bearer token is the ``bearerAuth`` security scheme of every ``/v1`` operation;
- every error status an operation can give is listed with the real body, ``{"error": {code,
  message, details}}``, and an example: 401 (with ``WWW-Authenticate``) and 503 on every ``/v1``
  call, 404 where a path names something, 400/413/415/422 where a body is read, 422 where a
  query is checked, 431 everywhere, and each operation's own (409s) from its ``responses``;
- JSON Schema keywords: pydantic's ``ge``/``le`` written as ``minimum``/``maximum``.

Operations added later describe themselves with ``response_model`` and ``responses``; the
error statuses above are added to them by the same rules.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from services.ingress.api import answer_models as m
from services.ingress.web.openapi_tables import ANSWERS, CONFLICTS, ERRORS

Json = dict[str, Any]
SCHEME = "bearerAuth"
RECEIVING_PREFIXES = ("/in/", "/hooks/")


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` (built once, on first request)."""
    built: Json = {}

    def openapi() -> Json:
        if not built:
            built.update(complete(app))
        return built

    app.openapi = openapi  # type: ignore[method-assign]


def complete(app: FastAPI) -> Json:
    """FastAPI's document for ``app`` with answers, security and errors filled in."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    schemas: Json = doc.setdefault("components", {}).setdefault("schemas", {})
    doc["components"]["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "HOOKBUS_ADMIN_TOKEN (or a portal token, for its own app)",
        }
    }
    names = _operation_names(app)
    originals = _declared(app)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            key = (method.upper(), path)
            if key in names:
                operation["operationId"] = names[key]
            responses, extra, response_model = originals.get(key, ({}, {}, None))
            _restore_examples(operation, responses, extra)
            _complete_operation(key, operation, schemas, response_model)
    _empty_limit(doc)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _json_schema_keywords(doc)
    return doc


def _complete_operation(
    key: tuple[str, str], operation: Json, schemas: Json, response_model: Any = None
) -> None:
    path = key[1]
    responses: Json = operation.setdefault("responses", {})
    own = response_model if isinstance(response_model, type) else None
    model = ANSWERS.get(key) or (own if own and issubclass(own, BaseModel) else None)
    for code, answer in responses.items():
        if code.startswith("2"):
            _success_schema(answer, model, schemas)
    if path.startswith("/v1"):
        operation["security"] = [{SCHEME: []}]
    if path == "/readyz":
        ready = responses["200"]
        responses["503"] = {"description": "Not ready", "content": copy.deepcopy(ready["content"])}
    for status, description in _error_statuses(key, operation).items():
        _error_answer(responses, status, description, schemas)
    if path.startswith(RECEIVING_PREFIXES):
        _receiving_answers(responses, schemas)
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    for content in [
        body,
        *(a.get("content", {}).get("application/json") for a in responses.values()),
    ]:
        if content is not None and "example" not in content:
            _example_from_schema(content, schemas)
    operation["responses"] = dict(sorted(responses.items()))


def _error_statuses(key: tuple[str, str], operation: Json) -> dict[int, str]:
    method, path = key
    params = operation.get("parameters", [])
    has_body = "requestBody" in operation
    found: dict[int, str] = {431: ERRORS[431][0]}
    if path.startswith("/v1"):
        found.update({401: ERRORS[401][0], 403: ERRORS[403][0], 503: ERRORS[503][0]})
    if any(p.get("in") in ("path", "query") for p in params):
        # A path names something, and a query may filter by something (?app=): either may
        # not be there.
        found[404] = ERRORS[404][0]
    if has_body:
        found.update({400: ERRORS[400][0], 413: ERRORS[413][0], 422: ERRORS[422][0]})
        if path.startswith("/v1"):
            found[415] = ERRORS[415][0]
    if any(p.get("in") in ("query", "header") for p in params) or method == "DELETE":
        found[422] = ERRORS[422][0]
    if key in CONFLICTS:
        found[409] = CONFLICTS[key]
    # What the route itself declared (422 for a bad Idempotency-Key, say) is kept.
    for status in operation.get("responses", {}):
        if status[:1] in "45" and status.isdigit():
            found.setdefault(int(status), ERRORS.get(int(status), ("Refused",))[0])
    return found


def _success_schema(answer: Json, model: type[BaseModel] | None, schemas: Json) -> None:
    content = answer.get("content", {}).get("application/json")
    if content is None:
        return
    placeholder = content.get("schema") in (None, {}, {"type": "string"})
    if model is not None and placeholder:
        content["schema"] = _ref(model, schemas)
    elif placeholder:
        # An answer nothing describes is any JSON value, rather than the "string" FastAPI
        # guesses for a handler returning a Response.
        content["schema"] = {}


def _error_answer(responses: Json, status: int, description: str, schemas: Json) -> None:
    key = str(status)
    code, message = ERRORS.get(status, ("", "error", "refused"))[1:]
    given = responses.get(key, {})
    example = given.get("content", {}).get("application/json", {}).get("example")
    if not (isinstance(example, dict) and "error" in example):
        example = {"error": {"code": code, "message": message, "details": None}}
    own = given.get("description")
    answer: Json = {
        "description": own if own and own != "Validation Error" else description,
        "content": {"application/json": {"schema": _ref(m.ErrorBody, schemas), "example": example}},
    }
    if status == 401 and description == ERRORS[401][0]:
        answer["headers"] = {
            "WWW-Authenticate": {
                "description": "Bearer: the scheme the call needs",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    responses[key] = answer


def _receiving_answers(responses: Json, schemas: Json) -> None:
    """The receiving URLs answer what each source or provider needs: 202 ``{id}`` by default, a
    challenge's echo, a source's own ``response``, or sync mode's outcomes."""
    anything: Json = {"*/*": {"schema": {}}}
    responses["200"] = {
        "description": "A challenge answered, a source's own response, or sync mode's success",
        "content": {"application/json": {"schema": {}}, **anything},
    }
    responses["202"] = {
        "description": "Accepted: durable in Kafka and logged",
        "content": {"application/json": {"schema": _ref(m.InboundAccepted, schemas)}, **anything},
    }
    responses["2XX"] = {"description": "A source's own response status", "content": anything}
    for status, why in (
        (400, "The client went away before the body ended"),
        (401, "Verification failed (logged as rejected)"),
        (403, "Ignored until the provider's challenge was answered"),
        (413, "The body is over HOOKBUS_MAX_BODY"),
        (503, "Kafka unavailable: nothing was accepted"),
    ):
        _error_answer(responses, status, why, schemas)
    sync = {"application/json": {"schema": _ref(m.SyncOutcome, schemas)}}
    responses["404"]["content"]["application/json"]["schema"] = {
        "anyOf": [_ref(m.ErrorBody, schemas), _ref(m.SyncOutcome, schemas)]
    }
    responses["500"] = {"description": "Sync mode: a route failed", "content": sync}
    responses["504"] = {"description": "Sync mode: routes still pending", "content": sync}


def _example_from_schema(content: Json, schemas: Json) -> None:
    """An example beside a schema that carries ``examples`` (a model's own), for ``/docs``."""
    schema = content.get("schema") or {}
    ref = schema.get("$ref", "")
    named = schemas.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    examples = named.get("examples")
    if isinstance(examples, list) and examples:
        content["example"] = copy.deepcopy(examples[0])


def _ref(model: type[BaseModel], schemas: Json) -> Json:
    """A ``$ref`` to ``model``'s schema, added (with the models it uses) to ``schemas``."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    for name, nested in schema.pop("$defs", {}).items():
        schemas.setdefault(name, nested)
    name = _schema_name(model)
    schemas.setdefault(name, schema)
    return {"$ref": f"#/components/schemas/{name}"}


def _schema_name(model: type[BaseModel]) -> str:
    return model.__name__.replace("[", "_").replace("]", "").replace(".", "_")


def _operation_names(app: FastAPI) -> dict[tuple[str, str], str]:
    """Each operation's handler name as its ``operationId`` (``list_apps`` rather than
    ``list_apps_v1_apps_get``), where that name is unique; generated clients use it."""
    seen: dict[str, int] = {}
    named: dict[tuple[str, str], str] = {}
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        methods, name, path = route.methods or set(), route.name, route.path_format
        if name and path:
            seen[name] = seen.get(name, 0) + len(methods)
            named.update({(method, path): name for method in methods})
    return {key: name for key, name in named.items() if seen[name] == 1}


def _empty_limit(doc: Json) -> None:
    """``?limit=`` left empty is the default page size (an empty filter is no filter): say so."""
    for methods in doc["paths"].values():
        for operation in methods.values():
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if param.get("in") == "query" and param["name"] == "limit" and "type" in schema:
                    number = {k: schema.pop(k) for k in list(schema) if k not in ("title",)}
                    default = number.pop("default", None)
                    description = number.pop("description", "page size")
                    schema["anyOf"] = [number, {"type": "string", "maxLength": 0}]
                    schema["default"] = default
                    schema["description"] = f"{description} (left empty: {default})"


def _declared(app: FastAPI) -> dict[tuple[str, str], tuple[Json, Json, Any]]:
    """Each operation's ``responses``, ``openapi_extra`` and ``response_model`` as its route
    declared them."""
    found: dict[tuple[str, str], tuple[Json, Json, Any]] = {}
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.path_format:
            responses = {str(k): v for k, v in route.responses.items()}
            declared = (responses, route.openapi_extra or {}, route.response_model)
            found.update({(method, route.path_format): declared for method in route.methods or ()})
    return found


def _restore_examples(operation: Json, responses: Json, extra: Json) -> None:
    """Put back the ``null`` s FastAPI drops from examples (it writes the document without
    None values), so an example shows every field the answer has."""
    for status, declared in responses.items():
        for media, content in declared.get("content", {}).items():
            shown = operation.get("responses", {}).get(status, {}).get("content", {}).get(media)
            if shown is not None and "example" in content:
                shown["example"] = copy.deepcopy(content["example"])
    body = extra.get("requestBody", {}).get("content", {})
    shown_body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        if media in shown_body and "example" in content:
            shown_body[media]["example"] = copy.deepcopy(content["example"])


def _json_schema_keywords(node: Any) -> None:
    """``ge``/``le``/``gt``/``lt`` (pydantic's names, which JSON Schema ignores) as the
    keywords JSON Schema has."""
    renames: dict[str, Callable[[Json, Any], None]] = {
        "ge": lambda d, v: d.setdefault("minimum", v),
        "le": lambda d, v: d.setdefault("maximum", v),
        "gt": lambda d, v: d.setdefault("exclusiveMinimum", v),
        "lt": lambda d, v: d.setdefault("exclusiveMaximum", v),
    }
    if isinstance(node, dict):
        is_schema = "type" in node or "anyOf" in node
        for key in [
            k for k in node if is_schema and k in renames and not isinstance(node[k], dict)
        ]:
            renames[key](node, node.pop(key))
        for value in node.values():
            _json_schema_keywords(value)
    elif isinstance(node, list):
        for item in node:
            _json_schema_keywords(item)
