"""Headless Chromium for the browser tests: the Debian package (scripts/ensure_chromium.sh,
or ``apt-get install -y chromium``), with flags that keep it off the network."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def executable() -> str:
    found = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.fail(
            "chromium is not installed: run scripts/ensure_chromium.sh (or apt-get install -y chromium)"
        )
    return found


async def launch_chromium(playwright: Any) -> Any:
    """An async Playwright browser."""
    return await playwright.chromium.launch(executable_path=executable(), args=ARGS, headless=True)
