"""Who is on the other end of a connection, for rate limits and loopback-only features.

The address is the socket's peer. ``X-Forwarded-For`` is believed only when the peer is one
of the configured proxies (the nginx of docs/deployment.md), and then only its last hop that
is not itself a trusted proxy, so a client cannot pick its own address by sending the header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def networks(items: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse ``127.0.0.1``, ``10.0.0.0/8``, ``::1`` ...; raises ``ValueError`` on garbage."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _in(address: str, nets: Iterable[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def is_loopback(address: str | None) -> bool:
    try:
        return bool(address) and ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[IPNetwork]) -> str:
    """The client's address: the peer, or the forwarded one when the peer is a trusted proxy."""
    trusted = tuple(trusted)
    address = (peer or "").strip() or UNKNOWN
    if not forwarded_for or not _in(address, trusted):
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops[-16:]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a malformed chain: stay with what the socket says
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else address
