"""Which characters are Chinese."""

from __future__ import annotations

from gopay_support.core.script import CJK_PUNCT_RE, count_cjk, has_cjk, to_simplified


def test_cjk_characters_are_counted_and_latin_text_is_not() -> None:
    assert count_cjk("gopay 充值失败") == 4
    assert has_cjk("我") and not has_cjk("top-up failed 123")
    assert count_cjk("㐀豈") == 2  # extension A and the compatibility block


def test_full_width_punctuation_is_cjk_punctuation() -> None:
    assert CJK_PUNCT_RE.fullmatch("。！？，")
    assert not CJK_PUNCT_RE.search("!?,.")


def test_traditional_characters_become_simplified() -> None:
    assert to_simplified("我的帳戶被凍結了") == "我的帐户被冻结了"
    assert to_simplified("註冊收不到驗證碼") == "注册收不到验证码"
    assert to_simplified("儲值失敗了怎麼辦") == "储值失败了怎么办"


def test_simplified_and_latin_text_is_unchanged() -> None:
    for text in ("充值失败了怎么办", "注册流程是什么", "my top-up failed", "GP-7K3D9Q2X 进度", ""):
        assert to_simplified(text) == text


def test_the_length_is_kept_so_token_offsets_stay_valid() -> None:
    for text in ("計程車和網路", "資料庫的記憶體", "請用中文回覆 please", "帳號被盜了！！"):
        assert len(to_simplified(text)) == len(text)
