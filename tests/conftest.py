"""Shared fixtures. End-to-end tests run the real action server and Rasa server processes
(:mod:`devtools.stack`) on free loopback ports, from the model trained by ``make train``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from support.databases import db_url, pg_url  # noqa: F401 - fixtures
from support.fixtures import clock, db  # noqa: F401 - fixtures
from support.telegram_fake import FakeTelegram

from devtools.stack import DEFAULT_MODEL, Stack, StackConfig, free_port

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def trained_model() -> Path:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: run `make train` (make test does)")
    return DEFAULT_MODEL


StackFactory = Callable[..., Stack]


@pytest.fixture(scope="session")
def start_stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackFactory]:
    """Start an isolated stack: ``start_stack(env={...}, endpoint_overrides={...})``.

    Every stack gets its own ports, run folder, tracker database and ticket database, and
    is stopped at the end of the session (or earlier with ``stack.stop()``).
    """
    stacks: list[Stack] = []

    def factory(
        env: Mapping[str, str] | None = None,
        endpoint_overrides: Mapping[str, object] | None = None,
        credentials: Path | None = None,
        name: str = "stack",
        endpoints_template: Path | None = None,
    ) -> Stack:
        config = StackConfig(
            run_dir=tmp_path_factory.mktemp(name),
            model=trained_model,
            rasa_port=free_port(),
            action_port=free_port(),
            console_port=free_port(),
            env=dict(env or {}),
            endpoint_overrides=dict(endpoint_overrides or {}),
        )
        if credentials is not None:
            config.credentials = credentials
        if endpoints_template is not None:
            config.endpoints_template = endpoints_template
        stack = Stack(config)
        stacks.append(stack)
        try:
            stack.start()
        except Exception:
            for proc in ("actions", "rasa", "console"):
                log = stack.log_path(proc)
                if log.exists():
                    print(f"--- {proc} log ---\n{log.read_text(errors='replace')[-3000:]}")
            stack.stop()
            raise
        return stack

    yield factory
    for stack in stacks:
        stack.stop()


@pytest.fixture(scope="session")
def bot(start_stack: StackFactory) -> Stack:
    """The default stack shared by the end-to-end tests of the core assistant and tickets."""
    return start_stack(name="bot")


@pytest.fixture
def sender() -> str:
    """A fresh conversation id, so tests never see each other's state."""
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API server on loopback, one per test module."""
    with FakeTelegram() as server:
        yield server
