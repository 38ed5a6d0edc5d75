"""Which IP addresses a webhook may be sent to: the globally reachable ones only.

Built from IANA's IPv4 and IPv6 Special-Purpose Address Registries: every range whose
"Globally Reachable" is False (or N/A, for deprecated ones) is refused, whatever Python's
``ipaddress`` version thinks of it. IPv6 is held to the global unicast space (``2000::/3``),
so deprecated forms such as site-local ``fec0::/10`` and IPv4-compatible ``::/96`` are refused
too. An IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``) is judged by the IPv4 address as well: ``64:ff9b::a9fe:a9fe`` reaches
169.254.169.254 through a NAT64 gateway.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

# IANA IPv4 Special-Purpose Address Registry, entries not globally reachable (or N/A), plus
# multicast and "limited broadcast". 192.0.0.9 and 192.0.0.10 (anycast) are refused with
# their /24: no webhook receiver lives there.
IPV4_NOT_GLOBAL = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
GLOBAL_UNICAST = IPv6Network("2000::/3")
NAT64 = IPv6Network("64:ff9b::/96")
SIX_TO_FOUR = IPv6Network("2002::/16")
# IANA IPv6 Special-Purpose Address Registry inside 2000::/3, not globally reachable (or N/A).
IPV6_NOT_GLOBAL = tuple(
    IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ORCHID...)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
    )
)
# Globally reachable exceptions inside 2001::/23.
IPV6_GLOBAL_EXCEPTIONS = tuple(
    IPv6Network(net)
    for net in (
        "2001:1::1/128",
        "2001:1::2/128",
        "2001:1::3/128",
        "2001:3::/32",
        "2001:4:112::/48",
        "2001:20::/28",
        "2001:30::/28",
    )
)


def is_public(address: str) -> bool:
    """True when ``address`` (an IP literal, optionally with ``%zone``) is globally reachable,
    and any IPv4 address it carries is too. Raise ``ValueError`` for text that is no address."""
    ip = ip_address(address.split("%", 1)[0])
    if isinstance(ip, IPv4Address):
        return _public_v4(ip)
    embedded = _embedded_v4(ip)
    if embedded is not None:
        # A mapped address is the IPv4 host itself; NAT64 and 6to4 lead to it.
        return _public_v4(embedded) and (ip.ipv4_mapped is not None or _public_v6(ip))
    return _public_v6(ip)


def _public_v4(ip: IPv4Address) -> bool:
    return ip.is_global and not any(ip in net for net in IPV4_NOT_GLOBAL)


def _public_v6(ip: IPv6Address) -> bool:
    if ip in NAT64:
        return True  # globally reachable per IANA; the embedded address decides
    if ip not in GLOBAL_UNICAST:
        return False
    if any(ip in net for net in IPV6_GLOBAL_EXCEPTIONS):
        return True
    return not any(ip in net for net in IPV6_NOT_GLOBAL)


def _embedded_v4(ip: IPv6Address) -> IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64:
        return IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour  # None outside 2002::/16
