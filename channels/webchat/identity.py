"""Who a chat socket talks as: an anonymous browser session or a site's logged-in user.

Anonymous widgets hold a 128-bit random session secret kept in the browser; knowing it is
what grants access to the conversation, so only secrets of that shape are accepted and
anything else gets a fresh one. The secret is never the conversation id: the conversation is
``webchat:`` + a keyed digest of the secret (:func:`gopay_support.core.conversation.pseudonym`
with the server's ``GOPAY_IDENTITY_KEY``), so neither the tracker store, the logs, the
tickets nor the agent console ever hold what would let someone take the conversation over.

A site that signs its users in passes a JWT instead; the conversation is then bound to a
digest of the token's subject, whatever session the browser claims, and no other channel can
name it (their ids carry their own prefix).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from gopay_support.core.conversation import conversation_id, pseudonym

CHANNEL = "webchat"
_SESSION_ID_RE = re.compile(r"[0-9a-f]{32}")
#: Prefix of the local id of conversations bound to a site's user.
USER_PREFIX = "user-"
#: The JWT claim naming the site's user (the registered ``sub`` claim of RFC 7519).
USER_CLAIM = "sub"
_MAX_USER_ID_CHARS = 128


def new_session_id() -> str:
    return secrets.token_hex(16)


def accept_session_id(candidate: object) -> str:
    """``candidate`` when it is a well-formed random session secret, otherwise a new one."""
    if isinstance(candidate, str) and _SESSION_ID_RE.fullmatch(candidate.lower()):
        return candidate.lower()
    return new_session_id()


def conversation_for_session(key: str, session_secret: str) -> str:
    return conversation_id(CHANNEL, pseudonym(key, "webchat-session", session_secret))


def conversation_for_user(key: str, user_id: str) -> str:
    return conversation_id(CHANNEL, USER_PREFIX + pseudonym(key, "webchat-user", user_id))


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
