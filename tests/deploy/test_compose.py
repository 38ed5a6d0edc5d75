"""docker-compose.yml and the Dockerfile, checked offline (no Docker engine needed).

The Compose file is validated against the Compose Specification's JSON Schema, the copy that
the check-jsonschema package ships (vendored there from github.com/compose-spec/compose-spec
with its Apache 2.0 licence, ``vendor/licenses/LICENSE.compose-spec``). Then what the schema
cannot know: each service runs a command the ``hookbus`` CLI accepts, sets only variables the
settings read, answers health checks on the port those settings give it, and can be scaled.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest

from services.audit.database import driver_url
from services.dispatcher.main import DRAIN_SECONDS
from services.supervisor import SERVICES
from shared.local_kafka import KAFKA_VERSION
from shared.settings import Settings, parse_duration
from tests.deploy.support import (
    REPO,
    interpolate,
    load_yaml,
    served_service,
    service_port,
    settings_variables,
)

COMPOSE = REPO / "docker-compose.yml"


def _compose_validator() -> jsonschema.Draft7Validator:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("compose-spec.json").read_text("utf-8"))
    assert "draft-07" in schema["$schema"]
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    [document] = load_yaml(COMPOSE)
    return document


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """The file as Compose sees it with no variable set: every default taken."""
    document: dict[str, Any] = interpolate(raw, {})
    return document


@pytest.fixture(scope="module")
def hookbus(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The hookbus services by the service each one serves."""
    found = {}
    for name, service in compose["services"].items():
        if service.get("build"):
            found[served_service(service["command"])] = service | {"name": name}
    return found


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_the_compose_file_follows_the_compose_specification(
    raw: dict[str, Any], compose: dict[str, Any]
) -> None:
    validator = _compose_validator()
    for document in (raw, compose):
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors


@pytest.mark.parametrize(
    "mistake",
    [{"restrat": "always"}, {"restart": ["always"]}, {"healthcheck": {"test": 1}}],
    ids=["misspelt key", "wrong type", "wrong nested type"],
)
def test_the_schema_check_catches_mistakes(compose: dict[str, Any], mistake: Any) -> None:
    broken = compose | {"services": {**compose["services"], "x": {"image": "a", **mistake}}}
    assert not _compose_validator().is_valid(broken)


def test_each_service_runs_from_the_one_image_with_a_command_the_cli_accepts(
    hookbus: dict[str, dict[str, Any]],
) -> None:
    assert sorted(hookbus) == sorted(SERVICES)
    assert {(s["build"], s["image"]) for s in hookbus.values()} == {(".", "hookbus:local")}
    for name, service in hookbus.items():
        assert service["name"] == name
        assert service["command"] == ["serve", name]


def test_every_hookbus_variable_set_is_one_the_settings_read(
    compose: dict[str, Any], hookbus: dict[str, dict[str, Any]]
) -> None:
    known = settings_variables()
    for service in hookbus.values():
        env = _env(service)
        assert {k for k in env if k.startswith("HOOKBUS_")} <= known, service["name"]
        assert not [k for k in env if not k.startswith("HOOKBUS_")], service["name"]
        Settings.from_env(env)  # every value parses
    for name, service in compose["services"].items():
        if name not in {s["name"] for s in hookbus.values()}:
            assert not [k for k in _env(service) if k.startswith("HOOKBUS_")], name


def test_health_checks_ask_each_service_on_its_own_port(
    hookbus: dict[str, dict[str, Any]],
) -> None:
    for name, service in hookbus.items():
        settings = Settings.from_env(_env(service))
        check = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{service_port(settings, name)}/readyz" in check, name
        assert settings.http_host == "0.0.0.0", name
        assert service["restart"] == "unless-stopped", name


def test_services_scale_only_the_ingress_publishes_a_port(
    compose: dict[str, Any], hookbus: dict[str, dict[str, Any]]
) -> None:
    for service in compose["services"].values():
        assert "container_name" not in service
    for name, service in hookbus.items():
        settings = Settings.from_env(_env(service))
        if name == "ingress":
            [published] = service["ports"]
            assert published == f"8080:{settings.http_port}"
        else:
            assert "ports" not in service, name


def test_services_find_each_other_by_service_name(
    compose: dict[str, Any], hookbus: dict[str, dict[str, Any]]
) -> None:
    services = compose["services"]
    kafka = services["kafka"]["environment"]
    for name, service in hookbus.items():
        settings = Settings.from_env(_env(service))
        assert f"PLAINTEXT://{settings.kafka_bootstrap}" in kafka["KAFKA_ADVERTISED_LISTENERS"]
        assert services[name]["depends_on"]["kafka"] == {"condition": "service_healthy"}
        if name == "ingress":
            audit = Settings.from_env(_env(hookbus["audit"]))
            assert settings.audit_url == f"http://audit:{audit.audit_port}"
    audit = hookbus["audit"]
    url = driver_url(Settings.from_env(_env(audit)).sqlite_url)
    postgres = services["postgres"]["environment"]
    assert (url.drivername, url.host, url.port) == ("postgresql+psycopg", "postgres", 5432)
    assert (url.username, url.password) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert url.database == postgres["POSTGRES_DB"]
    assert audit["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_kafka_is_the_official_image_in_kraft_mode(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"  # the version the tests run
    assert KAFKA_VERSION.startswith("4.")  # 4.x has no ZooKeeper at all
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_the_dispatcher_gets_time_to_drain(hookbus: dict[str, dict[str, Any]]) -> None:
    for name, service in hookbus.items():
        grace = parse_duration(service["stop_grace_period"])
        assert grace > (DRAIN_SECONDS if name == "dispatcher" else 10), name


def test_the_image_is_slim_and_runs_unprivileged() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    [base] = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert base.startswith("python:3.11-") and "slim" in base
    [user] = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    assert re.search(r'^ENTRYPOINT \["hookbus"\]', dockerfile, re.MULTILINE)
    [command] = re.findall(r"^CMD (\[.*\])", dockerfile, re.MULTILINE)
    served_service(json.loads(command))
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.MULTILINE):
        assert (REPO / source).exists(), source
