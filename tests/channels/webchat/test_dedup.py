"""Client message ids: well-formed, remembered, bounded."""

from __future__ import annotations

from channels.webchat.dedup import RecentIds, valid_client_id


def test_recent_ids_are_bounded_per_session() -> None:
    recent = RecentIds(per_session=2, max_sessions=2)
    recent.remember("s1", "id-00001")
    recent.remember("s1", "id-00002")
    recent.remember("s1", "id-00003")
    assert not recent.seen("s1", "id-00001")
    assert recent.seen("s1", "id-00003")
    assert not recent.seen("s2", "id-00003")


def test_client_ids_must_be_well_formed() -> None:
    assert valid_client_id("a" * 32) == "a" * 32
    for bad in (None, 42, "", "short", "x" * 65, "has space 1234", "<script>alert(1)</script>"):
        assert valid_client_id(bad) is None
