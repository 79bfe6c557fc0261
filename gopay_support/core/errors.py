"""Every refusal the domain raises, in one module.

Adapters turn these into user-facing answers: the console into HTTP statuses, the command
line into exit codes, the actions into polite replies. Messages never contain personal data.
"""

from __future__ import annotations

from collections.abc import Iterable


class GopaySupportError(Exception):
    """Base of the domain's refusals."""


class TicketError(GopaySupportError):
    """Base of the errors the CLI, the console and the actions report about tickets."""


class TicketNotFound(TicketError):
    def __init__(self, number: str) -> None:
        super().__init__(f"no ticket with tracking number {number!r}")
        self.number = number


class InvalidTransition(TicketError):
    """A status change the ticket lifecycle does not allow."""

    def __init__(self, number: str, current: str, new: str, allowed: Iterable[str]) -> None:
        allowed_text = ", ".join(sorted(allowed)) or "none (final)"
        super().__init__(
            f"ticket {number} cannot go from {current} to {new}; allowed from {current}: {allowed_text}"
        )
        self.current, self.new = current, new


class HandoffError(GopaySupportError):
    """Base of the refusals the console turns into HTTP answers.

    ``code`` names the refusal for the console's own message catalogue (the agent reads it
    in their language); ``params`` fill that message (e.g. the agent who owns the handoff).
    """

    code = "handoff_error"

    def __init__(self, message: str = "", *, code: str | None = None, **params: str) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.params = params


class HandoffNotFound(HandoffError):
    code = "not_found"


class NotOwner(HandoffError):
    """The conversation is claimed by another agent (or by nobody, for owner-only actions)."""

    code = "not_owner"


class InvalidState(HandoffError):
    """The action does not fit the handoff's state (e.g. replying to a resolved one)."""

    code = "invalid_state"


class ConfigurationError(GopaySupportError):
    """A setting is missing or malformed: the process refuses to start instead of guessing."""
