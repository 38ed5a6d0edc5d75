"""Validation of a ``generic`` source's ``verification`` object into a typed check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import services.ingress.inbound.verification.checks as checks
from services.ingress.inbound.verification.settings import (
    Algorithm,
    ApiKeyCheck,
    BasicCheck,
    Encoding,
    GenericCheck,
    HeaderCheck,
    HmacCheck,
    NoCheck,
)

PATH = "verification"
TYPES = ("none", "header", "basic", "api_key", "hmac")
ALGORITHMS = ("sha1", "sha256", "sha512")
ENCODINGS = ("hex", "base64")
MAX_HEADERS = 20


def parse_generic(verification: Mapping[str, Any], secret: str | None) -> GenericCheck:
    """The typed check of ``verification``; raise ``Unprocessable`` when it is not valid.

    ``secret`` (the source's) is the HMAC key when the ``hmac`` object has no ``secret``, and
    the API key when the ``api_key`` object has no ``key``; the object's own value wins. The
    other types have no use for it and leave it unused (a client may send ``secret`` for every
    source it makes). ``type``, ``algorithm`` and ``encoding`` are read in any case.
    """
    verification = _lowercased(verification, ("type", "algorithm", "encoding"))
    kind = checks.choice(verification, "type", PATH, TYPES)
    if kind == "none":
        checks.only_fields(verification, PATH, {"type"})
        return NoCheck()
    if kind == "header":
        return _header(verification)
    if kind == "basic":
        return _basic(verification)
    if kind == "api_key":
        checks.only_fields(verification, PATH, {"type", "header", "key"})
        header = checks.header_name(verification.get("header"), f"{PATH}.header")
        if verification.get("key") is None and secret is not None:
            return ApiKeyCheck(header, checks.header_value(secret, "secret"))
        return ApiKeyCheck(header, checks.header_value(verification.get("key"), f"{PATH}.key"))
    return _hmac(verification, secret)


def _header(verification: Mapping[str, Any]) -> HeaderCheck:
    checks.only_fields(verification, PATH, {"type", "headers"})
    headers = verification.get("headers")
    if not isinstance(headers, dict) or not headers or len(headers) > MAX_HEADERS:
        checks.fail(f"{PATH}.headers", f"must be an object of 1 to {MAX_HEADERS} name: value")
    pairs = []
    for name, value in headers.items():
        checks.header_name(name, f"{PATH}.headers")
        pairs.append((name, checks.header_value(value, f"{PATH}.headers.{name}")))
    return HeaderCheck(tuple(pairs))


def _basic(verification: Mapping[str, Any]) -> BasicCheck:
    checks.only_fields(verification, PATH, {"type", "username", "password"})
    username = checks.text(verification, "username", PATH)
    password = checks.secret_text(verification.get("password"), f"{PATH}.password")
    assert username is not None
    if ":" in username:
        checks.fail(f"{PATH}.username", "must not contain ':' (Basic authentication splits there)")
    return BasicCheck(f"{username}:{password}".encode())


def _hmac(verification: Mapping[str, Any], secret: str | None) -> HmacCheck:
    checks.only_fields(
        verification, PATH, {"type", "header", "algorithm", "encoding", "prefix", "secret"}
    )
    header = checks.header_name(verification.get("header"), f"{PATH}.header")
    algorithm = checks.choice(verification, "algorithm", PATH, ALGORITHMS)
    encoding = checks.choice(verification, "encoding", PATH, ENCODINGS)
    prefix = verification.get("prefix", "")
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str) or len(prefix) > 64:
        checks.fail(f"{PATH}.prefix", "must be a string of at most 64 characters")
    own = verification.get("secret")
    if own is None and secret is None:
        checks.fail(f"{PATH}.secret", "is required (or the source's secret)")
    path = f"{PATH}.secret" if own is not None else "secret"
    key = checks.secret_text(own if own is not None else secret, path).encode()
    return HmacCheck(header, cast(Algorithm, algorithm), cast(Encoding, encoding), prefix, key)


def _lowercased(verification: Mapping[str, Any], names: tuple[str, ...]) -> Mapping[str, Any]:
    # "SHA256" or "Base64" name the same choice: only the spelling differs.
    lowered = {
        name: verification[name].lower()
        for name in names
        if isinstance(verification.get(name), str)
    }
    return {**verification, **lowered}
