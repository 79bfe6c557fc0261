"""The assistant's services on a test database, with settings a test can adjust."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from gopay_support.core.clock import Clock, utcnow
from gopay_support.core.settings import Settings
from gopay_support.wiring import Services, build_services, load_settings


def test_settings(database_url: str, **changes: Any) -> Settings:
    """Settings as a fresh clone has them (no environment), on ``database_url``."""
    return replace(load_settings({}), database_url=database_url, **changes)


def sqlite_url(folder: Path, name: str = "app.db") -> str:
    return f"sqlite:///{folder / name}"


def make_services(database_url: str, clock: Clock = utcnow, **changes: Any) -> Services:
    return build_services(test_settings(database_url, **changes), clock=clock)
