"""Tracking numbers of support tickets: ``GP-`` followed by 8 Crockford base32 characters.

Customers read these numbers from a chat and type them back, so parsing is forgiving: any
case, stray spaces or a missing dash are accepted and normalised to ``GP-XXXXXXXX``.
"""

from __future__ import annotations

import re
import secrets

#: Crockford's base32 alphabet: digits and upper-case letters without I, L, O and U.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "GP-"
BODY_LENGTH = 8
#: Characters of a canonical tracking number (``GP-XXXXXXXX``): the width of stored columns.
LENGTH = len(PREFIX) + BODY_LENGTH

_BODY_CHAR = "[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]"
# "GP-7K3D9Q2X", "gp 7k3d 9q2x", "GP7K3D9Q2X"; not glued to further letters or digits.
_FIND_RE = re.compile(
    rf"(?<![A-Za-z0-9])[Gg][Pp][ \t]*-?[ \t]*((?:{_BODY_CHAR}[ \t]?){{{BODY_LENGTH - 1}}}{_BODY_CHAR})"
    r"(?![A-Za-z0-9])"
)


# Typed as a tracking number but not one: "GP-1234567" (7 characters), "GP 123456789", "gp12x4567".
# "GP" then a dash or space and 4-12 letters/digits, or "GP" glued to 4-12 of them with a digit.
_CANDIDATE_RE = re.compile(
    r"(?<![A-Za-z0-9])[Gg][Pp](?:[ \t]*-[ \t]*|[ \t]+)[0-9A-Za-z]{4,12}(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])[Gg][Pp](?=[A-Za-z]*\d)[0-9A-Za-z]{4,12}(?![A-Za-z0-9])"
)


def generate() -> str:
    """A new random tracking number from a cryptographically secure source."""
    body = "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(BODY_LENGTH))
    return PREFIX + body


def normalize(text: str) -> str | None:
    """Return ``text`` as a canonical tracking number, or ``None`` when it is not one."""
    match = _FIND_RE.fullmatch(text.strip())
    return _canonical(match) if match else None


def find_all(text: str) -> list[tuple[int, int, str]]:
    """Every tracking number in free text as ``(start, end, canonical value)``."""
    return [(m.start(), m.end(), _canonical(m)) for m in _FIND_RE.finditer(text)]


def is_valid(value: str) -> bool:
    return normalize(value) == value


def _canonical(match: re.Match[str]) -> str:
    body = re.sub(r"[ \t]", "", match.group(1)).upper()
    return PREFIX + body


def find_malformed(text: str) -> list[str]:
    """What ``text`` gives as tracking numbers that are not valid ones (wrong length, or a
    letter outside the alphabet such as I, L, O, U), as typed."""
    valid = [(start, end) for start, end, _ in find_all(text)]
    return [
        m.group(0)
        for m in _CANDIDATE_RE.finditer(text)
        if not any(start <= m.start() < end for start, end in valid)
    ]
