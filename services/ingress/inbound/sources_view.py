"""Sources as the ingress reads them: lookup, status, parsed verification, public shape.

A source's ``status`` lives in its own config object (``source_state/<id>``), written once by
whichever ingress copy first saw a verified request or answered challenge; it is kept apart
from the source so that write never undoes a concurrent PATCH of the source.
"""

from __future__ import annotations

from typing import Any

import orjson

from services.ingress.inbound.verification import (
    CHALLENGE_PROVIDERS,
    SourceStatus,
    SourceVerification,
    parse_verification,
)
from shared.config_state import ConfigState
from shared.records import JsonObject

# Fields of `verification` that are credentials: never shown by the API.
SECRET_FIELDS = frozenset({"secret", "password", "key", "verify_token"})
REDACTED = "[redacted]"


def status_of(view: ConfigState, source_id: str) -> SourceStatus:
    """``verified`` once the source's state says so, else ``unverified``."""
    state = view.get("source_state", source_id)
    return "verified" if state is not None and state.get("status") == "verified" else "unverified"


def redacted(verification: Any) -> Any:
    """``verification`` with every credential replaced by ``[redacted]``."""
    if not isinstance(verification, dict):
        return verification
    shown: JsonObject = {}
    for name, value in verification.items():
        if name in SECRET_FIELDS:
            shown[name] = REDACTED
        elif name == "headers" and isinstance(value, dict):
            shown[name] = dict.fromkeys(value, REDACTED)
        else:
            shown[name] = value
    return shown


def public(source: JsonObject, view: ConfigState, base_url: str) -> JsonObject:
    """The source as the API shows it: its receiving ``url`` and ``status``, never its secret."""
    state = view.get("source_state", source["id"]) or {}
    return {
        "id": source["id"],
        "name": source["name"],
        "provider": source["provider"],
        "url": f"{base_url}/in/{source['id']}",
        "status": status_of(view, source["id"]),
        "verified_at": state.get("verified_at"),
        "verification": redacted(source.get("verification")),
        "has_secret": bool(source.get("secret")),
        "priority": source.get("priority", 0),
        "match": source.get("match"),
        "response": source.get("response"),
        "challenge_required": source.get("challenge_required", False),
        "enabled": source.get("enabled", True),
        "dedupe": source.get("dedupe"),
        "created_at": source["created_at"],
        "updated_at": source["updated_at"],
    }


def challenge_gate(source: JsonObject, status: SourceStatus) -> SourceStatus:
    """The status the challenge gate sees: ``verified`` when the source opted out of waiting."""
    if source.get("provider") in CHALLENGE_PROVIDERS and not source.get("challenge_required", True):
        return "verified"
    return status


class Verifiers:
    """Parsed verification settings per source, parsed again only when the source changed."""

    def __init__(self, public_base_url: str | None) -> None:
        self._public = public_base_url
        self._cache: dict[str, tuple[bytes, SourceVerification]] = {}

    def parse(self, source: JsonObject) -> SourceVerification:
        """The source's settings; raise ``Unprocessable`` when its fields are invalid."""
        return parse_verification(
            source["provider"],
            source.get("secret"),
            source.get("verification"),
            public_base_url=self._public,
        )

    def settings(self, source: JsonObject) -> SourceVerification:
        """Like :meth:`parse`, cached until the source's verification fields change."""
        fields = (source["provider"], source.get("secret"), source.get("verification"))
        fingerprint = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        cached = self._cache.get(source["id"])
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        parsed = self.parse(source)
        if len(self._cache) > 10_000:  # sources deleted long ago must not accumulate
            self._cache.clear()
        self._cache[source["id"]] = (fingerprint, parsed)
        return parsed
