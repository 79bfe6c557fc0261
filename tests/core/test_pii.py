import pytest

from gopay_support.core import pii


@pytest.mark.parametrize(
    ("text", "hidden", "shown"),
    [
        ("手机13812345678联系我", "13812345678", "138****5678"),
        ("call +86 138 1234 5678 pls", "1234 5678", "+86 138****5678"),
        ("138-1234-5678", "1234", "138****5678"),
        ("卡号6222 0212 3456 7890", "6222 0212", "**** **** **** 7890"),
        ("card 6222021234567890 thx", "6222021234567890", "7890"),
        ("mail a.bc@example.com 谢谢", "a.bc@example.com", "a***@example.com"),
        ("我的邮箱是abc@qq.com", "abc@qq.com", "a***@qq.com"),
        ("身份证11010519491231002X", "11010519491231002X", "110"),
        ("+44 7911 123456", "7911 123456", "3456"),
    ],
)
def test_mask_hides_personal_data(text: str, hidden: str, shown: str) -> None:
    masked = pii.mask(text)
    assert hidden not in masked
    assert shown in masked


@pytest.mark.parametrize(
    "text",
    [
        "充了100块 2024-05-01 10:30 还没到",
        "单号GP-7K3D9Q2X",
        "余额 1234567",
        "",
        "hello world",
    ],
)
def test_mask_keeps_ordinary_text(text: str) -> None:
    assert pii.mask(text) == text


def test_mask_contact() -> None:
    assert pii.mask_contact("13812345678") == "138****5678"
    assert pii.mask_contact("john.doe@example.com") == "j***@example.com"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my password is Hunter2secret ok", "Hunter2secret"),
        ("我的密码是abc12345", "abc12345"),
        ("支付密码：887766", "887766"),
        ("PIN 1234", "1234"),
        ("my pin is 4321", "4321"),
        ("验证码876543", "876543"),
        ("OTP: 123456", "123456"),
        ("pwd=abc123x", "abc123x"),
    ],
)
def test_passwords_pins_and_codes_are_masked(text: str, secret: str) -> None:
    assert secret not in pii.mask(text)
    assert secret not in pii.mask_secrets(text)


@pytest.mark.parametrize(
    "text",
    ["密码忘了怎么办", "支付密码错误", "my password is wrong", "how do I reset my password?", "shopping123"],
)
def test_talk_about_passwords_is_not_a_password(text: str) -> None:
    assert pii.mask(text) == text


def test_escaped_text_and_digits_glued_to_letters_are_masked() -> None:
    for text in (
        "\\u662f13812345678",
        '{"text": "\\\\u662f13812345678"}',
        "abc13812345678def",
        "id11010519491231002Xz",
        "/138123456786222021234567890",
    ):
        masked = pii.mask(text)
        assert "13812345678" not in masked and "11010519491231002" not in masked, text


def test_kept_texts_lose_cards_ids_and_passwords_but_keep_contacts() -> None:
    text = "卡号6222 0212 3456 7890 身份证11010519491231002X 密码是abc12345 电话13812345678 mail a@b.cn"
    kept = pii.mask_secrets(text)
    for gone in ("6222 0212 3456", "11010519491231002", "abc12345"):
        assert gone not in kept
    assert "13812345678" in kept and "a@b.cn" in kept
