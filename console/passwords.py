"""Agent passwords: scrypt hashes with a per-password salt, and the configured accounts.

``GOPAY_AGENTS`` holds ``name:hash`` pairs produced by ``python -m console hash-password``;
the console never sees or stores a plain-text password outside the login request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

_N, _R, _P = 2**14, 8, 1
_SCHEME = "scrypt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


#: Checked when the account does not exist, so a login takes as long either way.
_DUMMY = hash_password(secrets.token_urlsafe(16))


class AgentDirectory:
    """The configured agent accounts (name -> password hash) and the login check."""

    def __init__(self, accounts: Mapping[str, str]) -> None:
        self._accounts = dict(accounts)

    def names(self) -> list[str]:
        return sorted(self._accounts)

    def __contains__(self, name: object) -> bool:
        return name in self._accounts

    def authenticate(self, name: str, password: str) -> bool:
        stored = self._accounts.get(name)
        ok = verify_password(password, stored or _DUMMY)
        return ok and stored is not None
