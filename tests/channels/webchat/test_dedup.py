"""Client message ids: well-formed, remembered, bounded, and shared between servers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from channels.toolkit.conventions import valid_client_id
from channels.toolkit.records import Records
from channels.webchat.dedup import KEEP_IDS, RecentIds, SharedIds
from gopay_support.adapters.db.database import Database


def test_recent_ids_are_bounded_per_session() -> None:
    async def scenario() -> None:
        recent = RecentIds(per_session=2, max_sessions=2)
        for message_id in ("id-00001", "id-00002", "id-00003"):
            assert await recent.claim("s1", message_id)
        assert not await recent.claim("s1", "id-00003")
        assert not await recent.seen("s1", "id-00001")
        assert await recent.seen("s1", "id-00003")
        assert not await recent.seen("s2", "id-00003")

    asyncio.run(scenario())


def test_a_resend_to_another_server_is_a_duplicate(db_url: str) -> None:
    """Two servers (their own Database objects) on the deployment's one app database."""
    first, second = SharedIds(Records(Database(db_url))), SharedIds(Records(Database(db_url)))

    async def scenario() -> None:
        assert await first.claim("conv-a", "id-00001")
        assert await second.seen("conv-a", "id-00001")
        assert not await second.claim("conv-a", "id-00001")
        assert not await second.seen("conv-b", "id-00001")  # per conversation
        assert await second.claim("conv-b", "id-00001")

    asyncio.run(scenario())


def test_racing_claims_of_one_id_admit_exactly_one(db_url: str) -> None:
    servers = [SharedIds(Records(Database(db_url))) for _ in range(4)]

    async def scenario() -> list[bool]:
        return list(await asyncio.gather(*(s.claim("conv", "id-race-1") for s in servers)))

    assert sorted(asyncio.run(scenario())) == [False, False, False, True]


def test_old_ids_are_pruned(db_url: str) -> None:
    now = [datetime(2026, 12, 1, tzinfo=timezone.utc)]
    shared = SharedIds(Records(Database(db_url), clock=lambda: now[0]), prune_every=2)

    async def scenario() -> None:
        assert await shared.claim("conv", "id-00001")
        now[0] += KEEP_IDS + timedelta(minutes=1)
        assert await shared.claim("conv", "id-00002")  # second claim: prunes the first
        assert not await shared.seen("conv", "id-00001")
        assert await shared.seen("conv", "id-00002")

    asyncio.run(scenario())


def test_client_ids_must_be_well_formed() -> None:
    assert valid_client_id("a" * 32) == "a" * 32
    for bad in (None, 42, "", "short", "x" * 65, "has space 1234", "<script>alert(1)</script>"):
        assert valid_client_id(bad) is None
