"""The client's address: the socket's peer unless a trusted proxy forwarded it."""

from __future__ import annotations

import pytest

from gopay_support.core.clientaddr import client_address, is_loopback, networks

PROXY = networks(["127.0.0.1", "10.0.0.0/8"])


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert client_address("203.0.113.9", "1.2.3.4", PROXY) == "203.0.113.9"
    assert client_address("203.0.113.9", None, PROXY) == "203.0.113.9"
    assert client_address("127.0.0.1", "198.51.100.7", PROXY) == "198.51.100.7"


def test_a_client_cannot_prepend_its_own_choice() -> None:
    # The client sent "X-Forwarded-For: 1.1.1.1"; nginx appended the real peer.
    assert client_address("127.0.0.1", "1.1.1.1, 198.51.100.7", PROXY) == "198.51.100.7"
    # Chains of trusted proxies are walked from the right.
    assert client_address("127.0.0.1", "198.51.100.7, 10.1.2.3", PROXY) == "198.51.100.7"
    assert client_address("127.0.0.1", "garbage", PROXY) == "127.0.0.1"
    assert client_address(None, None, ()) == "unknown"


def test_loopback_and_networks() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1")
    assert not is_loopback("10.0.0.1") and not is_loopback("unknown") and not is_loopback(None)
    with pytest.raises(ValueError):
        networks(["not-an-address"])
