"""Every action test runs on services of its own: a fresh SQLite app database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.actions import use_services
from support.services import make_services, sqlite_url


@pytest.fixture(autouse=True)
def _services(tmp_path) -> Iterator[None]:
    built = make_services(sqlite_url(tmp_path))
    use_services(built)
    yield
    built.database.dispose()
