"""Fixtures shared by many test modules, registered in ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gopay_support.adapters.db import Database
from support.clock import Clock
from support.services import sqlite_url


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """The app database on a fresh SQLite file, migrated on first use."""
    database = Database(sqlite_url(tmp_path))
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    """Wednesday 2026-11-25 02:00 UTC (10:00 in the default service time zone)."""
    return Clock(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc))
