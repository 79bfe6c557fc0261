"""devtools.stack: the helpers the test stack and `make run` share."""

from __future__ import annotations

import socket
from pathlib import Path

from devtools.stack import free_port


def test_free_ports_are_bindable_and_outside_the_ephemeral_range() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert len(ports) > 1
    for port in ports:
        assert port < low  # never the local end of a client connection made meanwhile
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
