"""The learning loop's review list in the app database."""

from __future__ import annotations

import pytest
from support.conversations import T0
from support.services import make_services, sqlite_url

from gopay_support.adapters.db.reviews import ReviewNotFound, ReviewStore
from gopay_support.core import review


def miss(text: str, sender: str, ts: float, reason: str = review.Reason.NOT_UNDERSTOOD) -> review.Miss:
    return review.Miss(text, "zh", reason, "faq/topup_failed", 0.3, sender, ts)


def test_record_counts_sightings_once_and_keeps_the_strongest_reason(tmp_path):
    services = make_services(sqlite_url(tmp_path))
    store = ReviewStore(services.database)
    assert store.record([miss("钱充不进去", "a", T0)]) == 1
    # the same conversation read again (it had new events after T0 + 5): not counted again
    assert store.record([miss("钱充不进去", "a", T0, review.Reason.REJECTED_SUGGESTIONS)], T0 + 5) == 0
    # another customer writing it the same way (other spacing)
    assert store.record([miss("钱充不进去 ", "b", T0 + 10)], T0 + 10) == 0
    [item] = store.items()
    assert item.seen == 2 and item.reason == review.Reason.REJECTED_SUGGESTIONS

    labelled = store.label(item.id, "faq/topup_failed", "alice")
    again = store.label(item.id, "faq/topup_failed", "bob")  # the same answer: unchanged
    assert again.reviewed_by == "alice" == labelled.reviewed_by
    assert store.items() == [] and store.counts() == {"pending": 0, "labelled": 1, "dismissed": 0}
    assert store.labelled() == [("faq/topup_failed", "钱充不进去")]
    with pytest.raises(ValueError):
        store.label(item.id, "nlu_fallback", "alice")
    with pytest.raises(ReviewNotFound):
        store.label(999, None, "alice")
    assert store.reopen(item.id).status == "pending"

    assert store.cursor("x") == 0
    store.move_cursor("x", 7)
    store.move_cursor("x", 3)  # never backwards
    assert store.cursor("x") == 7
    services.database.dispose()
