"""Contacts: the one definition of phone numbers and e-mail addresses (parsing, matching)."""

from __future__ import annotations

import pytest

from gopay_support.core.contact import ContactKind, contact_matches, is_email, parse_contact


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("13812345678", ContactKind.PHONE, "13812345678"),
        ("我的手机是 138 1234 5678", ContactKind.PHONE, "13812345678"),
        ("+86 138-1234-5678", ContactKind.PHONE, "13812345678"),
        ("008613812345678", ContactKind.PHONE, "13812345678"),
        ("+62 812 3456 7890", ContactKind.PHONE, "+6281234567890"),
        ("(+44) 7911 123456", ContactKind.PHONE, "+447911123456"),
        ("Li.Ming@Example.COM", ContactKind.EMAIL, "li.ming@example.com"),
        ("my email is a_b+c@mail.example.co.uk.", ContactKind.EMAIL, "a_b+c@mail.example.co.uk"),
    ],
)
def test_valid_contacts(text: str, kind: ContactKind, value: str) -> None:
    contact = parse_contact(text)
    assert contact is not None and (contact.kind, contact.value) == (kind, value)


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "12812345678",
        "1381234567",
        "138123456789",
        "+86 10 1234 5678",
        "abc@",
        "a@b",
        "foo@bar.",
        "我没有",
        "",
        "+1234",
    ],
)
def test_invalid_contacts(text: str) -> None:
    assert parse_contact(text) is None


def test_contact_confirmation() -> None:
    assert contact_matches("13812345678", ContactKind.PHONE, "5678")
    assert contact_matches("13812345678", ContactKind.PHONE, "尾号5678")
    assert contact_matches("13812345678", ContactKind.PHONE, "138 1234 5678")
    assert not contact_matches("13812345678", ContactKind.PHONE, "1234")
    assert not contact_matches("13812345678", ContactKind.PHONE, "45678")
    assert contact_matches("li@example.com", ContactKind.EMAIL, "LI@example.com")
    assert not contact_matches("li@example.com", ContactKind.EMAIL, "5678")
    assert not contact_matches("li@example.com", ContactKind.EMAIL, "l***@example.com")


def test_contact_pattern_is_the_one_the_masker_uses():
    from gopay_support.core.pii import mask

    for text in ("13812345678", "li.lei@example.com"):
        assert parse_contact(text) is not None
        assert text not in mask(f"联系我 {text}")
    assert is_email("li.lei@example.com") and not is_email("li.lei@example")
