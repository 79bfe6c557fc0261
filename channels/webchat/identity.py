"""Who a chat socket talks as: an anonymous browser session or a site's logged-in user.

Anonymous widgets name their conversation with a 128-bit random id kept in the browser;
knowing the id is what grants access to the conversation, so only ids of that shape are
accepted and anything else gets a fresh one. A site that signs its users in passes a JWT
instead, and the conversation is then bound to the token's subject, whatever session id
the browser claims.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

_SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
#: Prefix of conversations bound to a site's user, so they never collide with random ids.
USER_PREFIX = "user-"
#: The JWT claim naming the site's user (the registered ``sub`` claim of RFC 7519).
USER_CLAIM = "sub"
_MAX_USER_ID_CHARS = 128


def new_session_id() -> str:
    return secrets.token_hex(16)


def accept_session_id(candidate: object) -> str:
    """``candidate`` when it is a well-formed random session id, otherwise a new one."""
    if isinstance(candidate, str) and _SESSION_ID_RE.fullmatch(candidate.lower()):
        return candidate.lower()
    return new_session_id()


def user_id_from_claims(claims: Mapping[str, Any] | None) -> str | None:
    """The site's user id from decoded JWT claims, or ``None`` when there is none usable."""
    if not claims:
        return None
    user = claims.get(USER_CLAIM)
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if not isinstance(user, str) or not user.strip() or len(user) > _MAX_USER_ID_CHARS:
        return None
    return user.strip()


def conversation_for_user(user_id: str) -> str:
    return USER_PREFIX + user_id
