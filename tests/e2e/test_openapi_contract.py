"""``/openapi.json`` is true: schemathesis (every check) finds no 5xx and no contract mismatch
over every operation of the running API, and a Python client generated from the document
drives a publish to a real receiver.

Before, every success answer was declared ``{"type": "string"}``, the bearer token and the
error statuses (400, 401, 404, 409, 413, 415) were missing, the error body was FastAPI's
rather than ``{"error": {...}}``, and ``limit``'s bounds were written ``ge``/``le``.

Streaming operations (``text/event-stream``) are left out of the schemathesis run: an answer
that never ends cannot be checked case by case (their own tests cover them).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from tests.support.receiver import Receiver
from tests.support.stack import Stack, poll

# Sync mode waits for routes at most this long, so a fuzzed sync request ends quickly.
STACK_ENV = {"HOOKBUS_SYNC_TIMEOUT": "2s"}
BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 25
SEED = 20261204  # reproducible cases; change it to explore others


def spec(stack: Stack) -> dict[str, Any]:
    answer = stack.client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def streaming(document: dict[str, Any]) -> list[str]:
    """operationIds of the operations answering ``text/event-stream``."""
    return [
        operation["operationId"]
        for methods in document["paths"].values()
        for operation in methods.values()
        if any(
            "text/event-stream" in (answer.get("content") or {})
            for answer in operation.get("responses", {}).values()
        )
    ]


def test_the_document_declares_bearer_errors_and_bounds(stack: Stack) -> None:
    document = spec(stack)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "HOOKBUS_ADMIN_TOKEN (or a portal token, for its own app)",
    }
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            answers = operation["responses"]
            for status, answer in answers.items():
                json_answer = answer.get("content", {}).get("application/json")
                if json_answer is None:
                    continue
                schema = json_answer.get("schema")
                assert schema != {"type": "string"}, where
                if status.startswith("2") and path.startswith("/v1"):
                    assert schema, f"{where} {status} has no schema"
                if status in ("400", "401", "409", "413", "415", "422", "431"):
                    assert schema == error_ref, f"{where} {status}"
            if not path.startswith("/v1"):
                continue
            assert operation["security"] == [{"bearerAuth": []}], where
            assert {"401", "431", "503"} <= set(answers), where
            assert answers["401"]["headers"]["WWW-Authenticate"]["required"] is True
            if "{" in path:
                assert "404" in answers, where
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(answers), where
            for param in operation.get("parameters", []):
                if param["name"] == "limit":
                    number = param["schema"]["anyOf"][0]
                    assert (number["minimum"], number["maximum"]) == (1, 250), where
    text = orjson.dumps(document).decode()
    for pydantic_only in ('"ge":', '"le":', "HTTPValidationError"):
        assert pydantic_only not in text
    publish = document["paths"]["/v1/apps/{app}/messages"]["post"]["responses"]
    assert publish["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Message"
    }
    assert publish["409"]["content"]["application/json"]["example"]["error"]["code"] == (
        "duplicate_id"
    )


def test_schemathesis_finds_no_server_error_and_no_contract_mismatch(
    stack: Stack, tmp_path: Path
) -> None:
    document = spec(stack)
    skipped = [arg for op in streaming(document) for arg in ("--exclude-operation-id", op)]
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{stack.base_url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--header",
        f"Authorization: Bearer {stack.token}",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--generation-database",
        "none",
        "--no-shrink",
        "--no-color",
        *skipped,
    ]
    # Run from a scratch folder: schemathesis keeps a cache of crashes where it runs.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    report = done.stdout[-20000:] + done.stderr[-5000:]
    assert done.returncode == 0, report
    assert "Tested: " in report


def test_a_generated_client_publishes(stack: Stack, receiver: Receiver, tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_bytes(orjson.dumps(spec(stack)))
    package = tmp_path / "hookbus_client"
    made = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(package),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert made.returncode == 0, made.stdout + made.stderr
    # Only the receiving URLs (any content type a provider needs) are left out of the client.
    for warning in made.stdout.split("WARNING parsing ")[1:]:
        assert warning.startswith(("POST /in/", "POST /hooks/")), warning[:300]
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("hookbus_client")
        apps = importlib.import_module("hookbus_client.api.apps.create_app")
        endpoints = importlib.import_module("hookbus_client.api.endpoints.create_endpoint")
        messages = importlib.import_module("hookbus_client.api.messages.create_message")
        models = importlib.import_module("hookbus_client.models")
        client = client_module.AuthenticatedClient(base_url=stack.base_url, token=stack.token)
        app = apps.sync(client=client, body=models.AppIn(name="generated"))
        assert isinstance(app, models.App) and app.id.startswith("app_")
        url = f"{receiver.url}/generated"
        created = endpoints.sync(
            app=app.id, client=client, body=models.EndpointIn(url=url, ping=False)
        )
        assert isinstance(created, models.Endpoint) and created.url == url
        payload = models.MessageInPayload.from_dict({"invoice": "inv_gen", "amount": 7})
        body = models.MessageIn(event_type="generated.paid", payload=payload)
        sent = messages.sync(app=app.id, client=client, body=body)
        assert isinstance(sent, models.Message), sent
        assert sent.event_type == "generated.paid"
        refused = messages.sync(
            app="app_missing", client=client, body=models.MessageIn(event_type="a", payload=payload)
        )
        assert isinstance(refused, models.ErrorBody) and refused.error.code == "not_found"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "hookbus_client"]:
            del sys.modules[name]
    arrived = poll(lambda: [r for r in receiver.requests if r.headers.get("webhook-id") == sent.id])
    assert orjson.loads(arrived[0].body)["data"] == {"invoice": "inv_gen", "amount": 7}
