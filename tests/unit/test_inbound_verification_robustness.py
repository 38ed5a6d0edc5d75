"""Malformed requests never make verification raise: each is a verdict, at worst Rejected."""

from __future__ import annotations

import random

import pytest

from services.ingress.inbound.verification import (
    Challenge,
    InboundRequest,
    NotApplicable,
    Rejected,
    Verified,
    verify,
)
from tests.unit.inbound_signers import NOW, PRESETS, Preset

NASTY_VALUES = [
    "",
    " ",
    "=",
    ",",
    "sha256=",
    "v0=",
    "v1=",
    "t=,v1=",
    "t=1,t=2,v1=zz",
    "v1,",
    "v1,!!!",
    "algorithm=",
    "Basic",
    "Basic ===",
    "é" * 10,
    "\udcff",
    "x" * 10_000,
    "sha256=" + "0" * 64,
    "2026-13-45T99:99:99Z",
    "99999999999999999999",
]
NASTY_URLS = [
    "http://[::1/in/x?bodySHA256=zz&crc_token={",
    "http://h:99999/in/x?hub.mode=subscribe&hub.challenge=",
    "http://h:abc/in/x?bodySHA256=",
    "/in/x",
    "",
    "https://h/in/\udcff?hub.mode=subscribe&hub.challenge=\udcff&hub.verify_token=\udcff",
]
IDS = [f"{p.provider}-{p.sign.__name__}" for p in PRESETS]
VERDICTS = (Verified, Rejected, Challenge, NotApplicable)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_nasty_header_values_are_rejected_not_raised(preset: Preset) -> None:
    signed = preset.sign(preset.secret, preset.body, NOW)
    for header in preset.proof_headers:
        for value in NASTY_VALUES:
            verdict = preset.check(signed, headers=signed.headers | {header: value})
            assert isinstance(verdict, Rejected), (header, value)


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH"])
def test_nasty_urls_and_bodies_give_a_verdict(preset: Preset, method: str) -> None:
    noise = random.Random(f"{preset.provider}{method}")
    settings = preset.settings()
    signed = preset.sign(preset.secret, preset.body, NOW)
    for url in NASTY_URLS:
        for body in (b"", bytes(noise.randrange(256) for _ in range(64)), b"\xff{", b"{"):
            request = InboundRequest.build(method, url, list(signed.headers.items()), body)
            assert isinstance(verify(settings, request, NOW), VERDICTS)
