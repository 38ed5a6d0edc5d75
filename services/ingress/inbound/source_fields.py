"""How a ``/v1/sources`` create or patch body becomes the source as stored.

The verification fields themselves are checked afterwards by the verification library, on the
whole source; this only shapes them: defaults, the Meta ``verify_token`` given at the top
level, a PATCH's ``verification`` merged into the current one, ``match`` without null groups.
"""

from __future__ import annotations

from services.ingress.inbound.dedupe import stored
from services.ingress.inbound.source_models import SourceFields, SourceIn
from services.ingress.inbound.verification import CHALLENGE_PROVIDERS
from shared import clock
from shared.errors import Unprocessable
from shared.ids import new_id
from shared.records import JsonObject

# Fields the API takes but stores elsewhere (or derives): never copied as they are.
SHAPED = frozenset({"challenge_required", "verify_token", "verification_key"})


def _refuse(path: str, message: str) -> Unprocessable:
    return Unprocessable(f"{path}: {message}", [{"path": path, "msg": message}])


def new_source(body: SourceIn) -> JsonObject:
    """The source to store for a create; raise ``Unprocessable`` for a misplaced field."""
    now = clock.iso()
    source: JsonObject = {
        "id": new_id("src"),
        **body.model_dump(exclude=set(SHAPED), mode="json"),
        "priority": body.priority or 0,
        "enabled": body.enabled is not False,
        "created_at": now,
        "updated_at": now,
    }
    return _finish(source, body, None)


def patched_source(current: JsonObject, body: SourceFields) -> JsonObject:
    """``current`` with the fields of a PATCH ``body``; raise ``Unprocessable`` likewise."""
    changes = body.model_dump(exclude_unset=True, exclude=set(SHAPED), mode="json")
    for required in ("name", "provider", "priority", "enabled"):
        if changes.get(required, "") is None:
            del changes[required]
    _merge_verification(current, changes)
    return _finish({**current, **changes, "updated_at": clock.iso()}, body, current)


def _finish(source: JsonObject, body: SourceFields, before: JsonObject | None) -> JsonObject:
    source["challenge_required"] = _challenge_required(source, body.challenge_required, before)
    _fold_verify_token(source, body.verify_token, body.verification)
    _fold_verification_key(source, body.verification_key, body.verification)
    if source["provider"] == "generic" and source.get("verification") is None:
        if source.get("secret"):
            raise _refuse(
                "verification",
                "a generic source with a secret needs a verification saying how to check it, "
                'e.g. {"type": "hmac", "header": "x-signature", "algorithm": "sha256", '
                '"encoding": "hex"}',
            )
        source["verification"] = {"type": "none"}  # accepts every request, and shows it
    source["dedupe"] = stored(source.get("dedupe"))
    if source.get("match") is not None:  # a predicate group left out is stored absent
        source["match"] = {k: v for k, v in source["match"].items() if v is not None}
    return source


def _challenge_required(source: JsonObject, given: bool | None, before: JsonObject | None) -> bool:
    """True for a challenge provider unless opted out; false for any other provider, where
    asking for a challenge is refused (it would never come)."""
    if source["provider"] not in CHALLENGE_PROVIDERS:
        if given is True:
            raise _refuse(
                "challenge_required", "only slack, meta and twitter sources have a challenge"
            )
        return False
    if given is not None:
        return given
    if before is not None and before["provider"] == source["provider"]:
        return bool(before.get("challenge_required", True))
    return True


def _fold_verify_token(source: JsonObject, token: str | None, given: JsonObject | None) -> None:
    """Store a top-level ``verify_token`` where Meta's settings keep it: in ``verification``
    (``given`` is the body's own ``verification``, which must not say otherwise)."""
    if token is None:
        return
    if source["provider"] != "meta":
        raise _refuse("verify_token", "only meta sources have a verify token")
    if (given or {}).get("verify_token", token) != token:
        raise _refuse("verify_token", "differs from verification.verify_token; give it once")
    source["verification"] = {**(source.get("verification") or {}), "verify_token": token}


def _fold_verification_key(source: JsonObject, key: str | None, given: JsonObject | None) -> None:
    """Store a top-level ``verification_key`` (SendGrid's public key) in ``verification``."""
    if key is None:
        return
    if source["provider"] != "sendgrid":
        raise _refuse("verification_key", "only sendgrid sources have a verification key")
    if (given or {}).get("verification_key", key) != key:
        raise _refuse("verification_key", "differs from verification.verification_key")
    source["verification"] = {**(source.get("verification") or {}), "verification_key": key}


def _merge_verification(current: JsonObject, changes: JsonObject) -> None:
    """A PATCH's ``verification`` merged into the current one (as a JSON merge patch: null
    removes a field), unless the provider or the generic ``type`` changes: then it replaces."""
    given, before = changes.get("verification"), current.get("verification")
    if changes.get("provider", current["provider"]) != current["provider"]:
        # The old provider's settings mean nothing to the new one: dropped unless replaced.
        changes.setdefault("verification", None)
        return
    if not isinstance(given, dict) or not isinstance(before, dict):
        return
    if given.get("type", before.get("type")) != before.get("type"):
        return
    merged = {**before, **given}
    changes["verification"] = {name: value for name, value in merged.items() if value is not None}
