"""The stack the public-edge tests attack: started as ``make run`` starts it (devtools.stack
with the launcher's defaults), plus a fake Telegram Bot API and two agent accounts so that
every channel and the console are live."""

from __future__ import annotations

from typing import Any

import pytest
from support.edge import EDGE_PASSWORDS
from support.telegram_fake import FakeTelegram
from support.telegram_fake.harness import SECRET

from console.passwords import hash_password
from devtools.stack import Stack, free_port


@pytest.fixture(scope="session")
def edge_fake() -> Any:
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="session")
def edge_tls_port() -> int:
    """The port of the nginx in front of the stack (tests/security/test_nginx_edge.py)."""
    return free_port()


@pytest.fixture(scope="session")
def edge(start_stack: Any, edge_fake: FakeTelegram, edge_tls_port: int) -> Stack:
    agents = ",".join(f"{name}:{hash_password(pw)}" for name, pw in EDGE_PASSWORDS.items())
    return start_stack(
        name="edge",
        production_limits=True,
        env={
            "GOPAY_AGENTS": agents,
            "TELEGRAM_BOT_TOKEN": edge_fake.token,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": edge_fake.base_url,
            "TELEGRAM_MODE": "polling",
            "TELEGRAM_CHAT_INTERVAL": "0",
            # The documented production settings behind nginx (docs/deployment.md).
            "GOPAY_PUBLIC_ORIGINS": f"https://127.0.0.1:{edge_tls_port}",
            "GOPAY_TRUSTED_PROXIES": "127.0.0.1",
        },
    )
