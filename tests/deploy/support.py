"""What the deployment files are checked against: the settings hookbus reads, the CLI, ports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from services.processes import parser
from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class _Recording(dict[str, str]):
    """An environment that remembers every name it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def settings_variables() -> set[str]:
    """Every ``HOOKBUS_*`` variable :meth:`Settings.from_env` reads."""
    env = _Recording()
    Settings.from_env(env)
    return {name for name in env.asked if name.startswith("HOOKBUS_")}


def served_service(command: list[str]) -> str:
    """The service a container command runs; fails unless the CLI accepts the command."""
    args = parser().parse_args(command)
    assert args.command == "serve", command
    return str(args.service)


def service_port(settings: Settings, service: str) -> int:
    """The port ``service`` serves its health (and API) routes on under ``settings``."""
    ports = {
        "ingress": settings.http_port,
        "audit": settings.audit_port,
        "router": settings.router_port,
        "dispatcher": settings.dispatcher_port,
    }
    return ports[service]


def load_yaml(path: Path) -> list[dict[str, Any]]:
    """Every document of a YAML file (empty documents left out)."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """``value`` with Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME-default}``
    replaced from ``env``; ``${NAME:?message}`` must be set."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
        found = env.get(name)
        if operator in (":?", "?") and not found:
            raise AssertionError(f"{name} must be set: {argument}")
        if found is None or (found == "" and operator == ":-"):
            return argument if operator in (":-", "-") else ""
        return found

    return _VARIABLE.sub(substitute, value)
