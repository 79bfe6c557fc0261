"""Phone numbers and e-mail addresses: the one definition of what a contact looks like.

The ticket form parses the contact a customer types, the status lookup compares an answer
with a stored contact, and the PII masker hides contacts in logs and transcripts; all three
use these patterns, so a number the form accepts is always one the masker hides.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

#: A mainland-China mobile number: 11 digits starting 13-19.
CN_MOBILE = r"1[3-9]\d{9}"
#: An e-mail address (RFC 5321 lengths: local part up to 64, labels up to 63 characters).
EMAIL = (
    r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
)
#: International numbers in E.164: a country code and up to 15 digits in all.
INTL_DIGITS = r"[1-9]\d{7,14}"

EMAIL_RE = re.compile(EMAIL)
CN_MOBILE_RE = re.compile(rf"(?:\+?86)?{CN_MOBILE}")

_EMAIL_IN_TEXT_RE = re.compile(rf"(?<![\w.+-])({EMAIL})(?![\w-])")
# Digits written in groups ("138 1234 5678", "138-1234-5678", "(+86) 138...") are joined first.
_PHONE_SEPARATORS_RE = re.compile(r"(?<=[\d)）])[\s\-.()（）]+(?=[\d(（])|(?<=\+)[\s(（]+|[()（）]")
_CN_MOBILE_IN_TEXT_RE = re.compile(rf"(?<![\d+])(?:(?:\+|00)?86)?({CN_MOBILE})(?!\d)")
_INTL_IN_TEXT_RE = re.compile(rf"(?<![\d+])(?:\+|00)({INTL_DIGITS})(?!\d)")


class ContactKind(str, enum.Enum):
    PHONE = "phone"
    EMAIL = "email"


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    value: str


def parse_contact(text: str) -> Contact | None:
    """A mobile number or e-mail address in ``text``, normalised; ``None`` if there is none.

    Chinese mobiles become their 11 digits, other numbers ``+<country><number>`` (E.164),
    e-mail addresses are lower-cased.
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    email = _EMAIL_IN_TEXT_RE.search(text)
    if email:
        return Contact(ContactKind.EMAIL, email.group(1).lower())
    compact = _PHONE_SEPARATORS_RE.sub("", text)
    mobile = _CN_MOBILE_IN_TEXT_RE.search(compact)
    if mobile:
        return Contact(ContactKind.PHONE, mobile.group(1))
    intl = _INTL_IN_TEXT_RE.search(compact)
    if intl and not intl.group(1).startswith("86"):
        return Contact(ContactKind.PHONE, "+" + intl.group(1))
    return None


def contact_matches(contact: str, kind: ContactKind, answer: str) -> bool:
    """Whether ``answer`` confirms ``contact``: the full e-mail, the full phone number, or
    the last 4 digits of the phone number."""
    answer = unicodedata.normalize("NFKC", answer or "").strip()
    if kind is ContactKind.EMAIL:
        parsed = parse_contact(answer)
        return parsed is not None and parsed.value == contact
    digits = re.sub(r"\D", "", answer)
    if len(digits) == 4:
        return contact.endswith(digits)
    parsed = parse_contact(answer)
    return parsed is not None and parsed.value == contact


def is_email(text: str) -> bool:
    return EMAIL_RE.fullmatch(text) is not None
