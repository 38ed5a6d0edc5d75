"""The README's settings table names every variable ``Settings.from_env`` reads, once each, with
its real default."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from shared.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `(HOOKBUS_[A-Z_]+)` \| ([^|]+) \|")
FIELDS = {"HOOKBUS_SECRET_KEY": "secret_keys"}  # the others: the name, lowercased
RANDOM = {"admin_token", "instance_id"}


class Recording(Mapping[str, str]):
    """An empty environment that remembers every variable asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __getitem__(self, key: str) -> str:
        self.asked.append(key)
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.append(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def table() -> dict[str, str]:
    """The settings table: variable -> its default cell. Asserts no variable appears twice."""
    text = README.read_text()
    section = text[text.index("\n## Settings\n") :]
    section = section[: section.index("\n## ", 1)]
    rows = [m.groups() for line in section.splitlines() if (m := ROW.match(line))]
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), f"listed twice: {sorted(names)}"
    return {name: cell.strip() for name, cell in rows}


def field(variable: str) -> str:
    return FIELDS.get(variable, variable.removeprefix("HOOKBUS_").lower())


def comparable(settings: Settings) -> dict[str, object]:
    return {k: v for k, v in vars(settings).items() if k not in RANDOM}


def test_the_table_lists_every_variable_settings_read() -> None:
    env = Recording()
    Settings.from_env(env)
    read = {name for name in env.asked if name.startswith("HOOKBUS_")}
    assert set(table()) == read


def test_each_default_in_the_table_is_the_real_one() -> None:
    rows = table()
    literals = {
        name: m.group(1) for name, cell in rows.items() if (m := re.match(r"`([^`]+)`", cell))
    }
    default = Settings.from_env({})
    for name, cell in rows.items():
        attribute = field(name)
        assert hasattr(default, attribute), name
        if cell.startswith("unset"):
            assert getattr(default, attribute) in (None, ()), name
        elif cell.startswith("random"):
            assert getattr(Settings.from_env({}), attribute) != getattr(default, attribute), name
        else:
            assert name in literals, f"{name}: the default should start with a `literal`"
            given = re.sub(r"\$(HOOKBUS_[A-Z_]+)", lambda m: literals[m.group(1)], literals[name])
            written = Settings.from_env({name: os.path.expanduser(given)})
            assert comparable(written) == comparable(default), f"{name}: {cell}"
