"""The destination guard's address table: every IANA range that is not globally reachable is
refused, and so is every IPv6 form that carries such an IPv4 address (the probe's NAT64, 6to4,
IPv4-compatible and site-local addresses were accepted before)."""

from __future__ import annotations

import asyncio

import pytest

from shared.address_ranges import is_public
from shared.destinations import PrivateDestination, check_destination

REFUSED = [
    # IPv6 forms of 169.254.169.254 (the cloud metadata address) and of loopback
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::7f00:1",
    "2002:a9fe:a9fe::",
    "2002:7f00:1::1",
    "2002:0a00:0001::",
    "::a9fe:a9fe",
    "::7f00:1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::ffff:0:a9fe:a9fe",  # IPv4-translated
    "fec0::1",
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
    # IPv6 special-purpose ranges
    "::",
    "::1",
    "100::1",
    "2001::1",  # Teredo
    "2001:2::1",
    "2001:10::1",
    "2001:db8::1",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    # IPv4 special-purpose ranges
    "0.0.0.0",
    "10.1.2.3",
    "100.64.0.1",
    "127.0.0.2",
    "169.254.169.254",
    "172.16.0.1",
    "192.0.0.9",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.1",
    "203.0.113.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700::1111",
    "2a00:1450:4001::200e",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "::ffff:8.8.8.8",
    "2001:4:112::1",  # AS112, globally reachable inside 2001::/23
]


@pytest.mark.parametrize("address", REFUSED)
def test_addresses_not_globally_reachable_are_refused(address: str) -> None:
    assert is_public(address) is False


@pytest.mark.parametrize("address", ALLOWED)
def test_globally_reachable_addresses_pass(address: str) -> None:
    assert is_public(address) is True


@pytest.mark.parametrize(
    "url", ["http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://[fec0::1]:80/x"]
)
def test_urls_with_ipv6_forms_of_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(PrivateDestination):
        asyncio.run(check_destination(url, allow_private=False))
