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
