"""The objects of the config log by kind and id, as every service's config view holds them.
No I/O: :class:`shared.config_view.ConfigView` keeps one up to date from the config topic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from shared.records import JsonObject


class ConfigState:
    """The objects of the config log by kind and id, with a ``uid`` index. No I/O."""

    def __init__(self) -> None:
        self._objects: dict[str, dict[str, JsonObject]] = defaultdict(dict)
        self._uids: dict[tuple[str, str, str], str] = {}

    def apply(self, key: str, value: JsonObject | None) -> tuple[str, str]:
        """Apply one record (``value`` None deletes); return ``(kind, id)``."""
        kind, _, ident = key.partition("/")
        old = self._objects[kind].pop(ident, None)
        if old is not None and old.get("uid"):
            self._uids.pop((kind, old.get("app_id", ""), old["uid"]), None)
        if value is not None:
            self._objects[kind][ident] = value
            if value.get("uid"):
                self._uids[(kind, value.get("app_id", ""), value["uid"])] = ident
        return kind, ident

    def get(self, kind: str, ident: str) -> JsonObject | None:
        """The object ``kind/ident``, or None."""
        return self._objects[kind].get(ident)

    def lookup(self, kind: str, ref: str, app_id: str = "") -> JsonObject | None:
        """Find by id or by user-chosen ``uid``; scoped objects must belong to ``app_id``."""
        found = self._objects[kind].get(ref)
        if found is None:
            ident = self._uids.get((kind, app_id, ref))
            found = None if ident is None else self._objects[kind].get(ident)
        if found is not None and found.get("app_id", "") != app_id:
            return None
        return found

    def all(self, kind: str) -> Iterator[JsonObject]:
        """Every object of ``kind``, in id (creation) order."""
        objects = self._objects[kind]
        return (objects[ident] for ident in sorted(objects))

    def children(self, kind: str, app_id: str) -> Iterator[JsonObject]:
        """Every object of ``kind`` that belongs to ``app_id``."""
        return (obj for obj in self.all(kind) if obj.get("app_id") == app_id)
