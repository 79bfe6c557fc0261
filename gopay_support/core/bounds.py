"""Input bounds shared by every endpoint: bounded JSON, text and integer checks.

Every process that accepts a body from outside (the Rasa server's channels and API, the
action server, the agent console) parses it here, so garbage is refused with a clear 4xx
message instead of an error deep inside a framework: over-deep nesting (a recursion error),
lone surrogates (an encoding error when the text is stored or logged), integers that no
database column holds, and bodies or texts over their size.
"""

from __future__ import annotations

import json
from typing import Any

#: Telegram ids, update ids and database keys are signed 64-bit integers.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_NODES = 100_000


class InputRejected(ValueError):
    """Input that breaks a bound; the message is safe to show to the client (no input echoed)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_json(
    raw: bytes | str | None,
    *,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Any:
    """The JSON value of ``raw``, checked against the bounds (``InputRejected`` otherwise)."""
    if raw is None or len(raw) == 0:
        raise InputRejected("the body must be JSON")
    if len(raw) > max_bytes:
        raise InputRejected(f"the body is larger than {max_bytes} bytes", status=413)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRejected("the body must be UTF-8 JSON") from None
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InputRejected("the body is not valid JSON") from None
    check_value(value, max_depth=max_depth, max_nodes=max_nodes)
    return value


def check_value(
    value: Any, *, max_depth: int = DEFAULT_MAX_DEPTH, max_nodes: int = DEFAULT_MAX_NODES
) -> None:
    """Refuse lone surrogates in strings or keys, integers outside 64 bits and huge trees."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputRejected(f"the JSON has more than {max_nodes} values")
        if depth > max_depth:
            raise InputRejected(f"the JSON is nested deeper than {max_depth} levels")
        if isinstance(item, str):
            check_unicode(item)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise InputRejected("a number in the JSON is out of range")
        elif isinstance(item, dict):
            for key, child in item.items():
                check_unicode(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def check_unicode(text: str) -> None:
    """Text must be encodable as UTF-8: no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputRejected("the text contains invalid characters (lone surrogates)") from None


def check_text(text: object, field: str, max_chars: int, *, required: bool = True) -> str:
    """A text field: a string of at most ``max_chars`` characters, without NUL or surrogates."""
    if not isinstance(text, str):
        raise InputRejected(f"{field} must be a string")
    if required and not text.strip():
        raise InputRejected(f"{field} must not be empty")
    if len(text) > max_chars:
        raise InputRejected(f"{field} is longer than {max_chars} characters", status=413)
    check_unicode(text)
    if "\x00" in text:
        raise InputRejected(f"{field} contains a NUL character")
    return text


def in_int64(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


def _no_constant(name: str) -> Any:
    raise InputRejected(f"{name} is not valid JSON")
