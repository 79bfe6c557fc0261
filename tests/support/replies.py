"""Reading the bot's answers in tests."""

from __future__ import annotations


def texts(replies: list[dict]) -> str:
    """All reply texts of one turn joined, for assertions on content."""
    return "\n".join(r.get("text", "") for r in replies)
