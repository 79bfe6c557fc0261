import re

import pytest

from gopay_support.core import tracking

FORMAT = re.compile(r"^GP-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}$")


def test_generate_format_and_randomness() -> None:
    numbers = {tracking.generate() for _ in range(2000)}
    assert all(FORMAT.match(n) for n in numbers)
    assert len(numbers) == 2000  # 32^8 space: a collision here means a broken source


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GP-7K3D9Q2X", "GP-7K3D9Q2X"),
        ("gp-7k3d9q2x", "GP-7K3D9Q2X"),
        (" gp 7k3d 9q2x ", "GP-7K3D9Q2X"),
        ("GP7K3D9Q2X", "GP-7K3D9Q2X"),
        ("GP-7K3D9Q2", None),  # too short
        ("GP-7K3D9Q2XY", None),  # too long
        ("GP-ILOU1234", None),  # letters outside Crockford base32
        ("XP-7K3D9Q2X", None),
    ],
)
def test_normalize(raw: str, expected: str | None) -> None:
    assert tracking.normalize(raw) == expected


def test_find_all_in_mixed_text() -> None:
    found = tracking.find_all("查一下gp-7k3d9q2x的进度 and GP-4M8ZP1RT thanks")
    assert [value for _, _, value in found] == ["GP-7K3D9Q2X", "GP-4M8ZP1RT"]
    start, end, _ = found[0]
    assert "查一下gp-7k3d9q2x的进度"[start:end] == "gp-7k3d9q2x"


def test_not_found_inside_longer_words() -> None:
    assert tracking.find_all("XGP-7K3D9Q2X") == []
    assert tracking.find_all("GP-7K3D9Q2X9") == []


def test_numbers_typed_wrong_are_found_as_typed() -> None:
    assert tracking.find_malformed("查一下GP-1234567") == ["GP-1234567"]  # 7 characters
    assert tracking.find_malformed("GP-123456789 进度") == ["GP-123456789"]  # 9 characters
    assert tracking.find_malformed("gp-abcdefgi") == ["gp-abcdefgi"]  # I is not in the alphabet
    assert tracking.find_malformed("GP-7K3D9Q2X 和 GP-12345") == ["GP-12345"]


def test_valid_numbers_and_ordinary_words_are_not_malformed() -> None:
    for text in ("GP-7K3D9Q2X", "gp 7k3d 9q2x", "GP-ABCDEFGH", "gopay123", "GPay 不能用", "my gps is off"):
        assert tracking.find_malformed(text) == []
