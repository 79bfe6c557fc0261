"""The channel's durable records: processed update ids and long button payloads."""

from __future__ import annotations

from support.telegram import BOT, run

from channels.telegram.formatting import MAX_CALLBACK_DATA, inline_keyboard
from channels.telegram.store import TelegramStore


def test_long_button_payloads_are_mapped_to_short_keys(db_url: str) -> None:
    store = TelegramStore.from_url(db_url, BOT.id)
    store.create_tables()
    long_payload = '/open_ticket{"category": "topup_failed", "note": "' + "长" * 40 + '"}'
    buttons = [
        {"title": "提交工单", "payload": long_payload},
        {"title": "转人工客服", "payload": "/human_handoff"},
    ]
    keyboard = run(inline_keyboard(buttons, store.put_payload))
    data = [row[0].callback_data for row in keyboard.inline_keyboard]
    assert data[1] == "/human_handoff"
    assert len(data[0].encode()) <= MAX_CALLBACK_DATA
    # The key survives a restart: a fresh store on the same database resolves it.
    assert TelegramStore.from_url(db_url, BOT.id).get_payload_sync(data[0]) == long_payload


def test_processed_updates_are_remembered_across_restarts(db_url: str) -> None:
    store = TelegramStore.from_url(db_url, BOT.id)
    store.create_tables()
    assert store.claim_update_sync(42) is True
    assert store.claim_update_sync(42) is False
    store.dispose()
    again = TelegramStore.from_url(db_url, BOT.id)
    assert again.claim_update_sync(42) is False
    assert TelegramStore.from_url(db_url, 987).claim_update_sync(42) is True  # other bot
