"""Test doubles for the Telegram channel: the fake Bot API server and update fixtures."""

from support.telegram_fake.fixtures import load_update
from support.telegram_fake.server import Call, FakeTelegram

__all__ = ["Call", "FakeTelegram", "load_update"]
