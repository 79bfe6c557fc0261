"""Fixtures of the Telegram channel tests: a clean fake Bot API server for each test and an
SQLite app database of the test's own."""

from __future__ import annotations

import pytest
from support.telegram_fake import FakeTelegram


@pytest.fixture(autouse=True)
def _clean_fake(fake: FakeTelegram) -> None:
    fake.reset()


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"
