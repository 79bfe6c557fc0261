"""The learning loop's rules: which messages were misunderstood, the training file."""

from __future__ import annotations

from support.conversations import T0, user

from gopay_support.core import review


def test_misunderstood_messages_and_their_strongest_reason():
    events = [
        user("充值成功了吗 我的钱呢", "nlu_fallback", T0, ranking=[("nlu_fallback", 0.45), ("faq", 0.3)]),
        user("/out_of_scope", "out_of_scope", T0 + 1),  # "none of these"
        user("how do I bake bread", "out_of_scope", T0 + 2, language="en"),
        user("blah blah", "nlu_fallback", T0 + 3),
        user("转人工", "human_handoff", T0 + 4),
        user("我的手机 13812345678 收不到", "nlu_fallback", T0 + 5),
        user("充值失败了", "faq", T0 + 6, topic="faq/topup_failed"),
        user("EXTERNAL: x", "EXTERNAL_ticket_update", T0 + 7),
    ]
    found = review.misses("webchat:x", events)
    assert [(m.text, m.reason) for m in found] == [
        ("充值成功了吗 我的钱呢", review.Reason.REJECTED_SUGGESTIONS),
        ("how do I bake bread", review.Reason.OUT_OF_SCOPE),
        ("blah blah", review.Reason.HANDOFF_AFTER_MISS),
        ("我的手机 138****5678 收不到", review.Reason.NOT_UNDERSTOOD),
    ]
    assert found[0].predicted == "faq" or found[0].predicted.startswith("faq")
    assert found[0].confidence == 0.3
    assert found[0].key == review.text_key("  充值成功了吗   我的钱呢 ")


def test_training_file_groups_by_label_and_leaves_out_heldout_and_annotations():
    content = review.training_file(
        [
            ("faq/topup_failed", "钱充不进去"),
            ("faq/topup_failed", "钱充不进去"),
            ("out_of_scope", "how do I bake bread"),
            ("faq/refund_failed", "退款呢 [x](y)"),
            ("no_such_label", "whatever"),
            ("faq/register", "gopay怎么注册啊"),
        ],
        excluded=["GOPAY怎么注册啊"],
    )
    assert review.example_texts(content) == ["钱充不进去", "how do I bake bread"]
    assert "- intent: faq/topup_failed" in content and "- intent: out_of_scope" in content
    assert review.training_file([]).endswith("nlu: []\n")


def test_overlap_finds_reviewed_texts_in_the_heldout_set():
    assert review.overlap(["A  b", "c"], ["a b"]) == ["A  b"]
    assert review.is_label("faq/topup_failed") and review.is_label("out_of_scope")
    assert not review.is_label("nlu_fallback")
