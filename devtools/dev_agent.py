"""The development agent account ``make run`` offers when no agents are configured.

A fresh clone has no ``GOPAY_AGENTS``, yet the handoff should be tryable at once; the launcher
then creates one clearly named account with a documented password and prints both. It is
never used when ``GOPAY_AGENTS`` is set, and never by the console on its own.
"""

from __future__ import annotations

from console.passwords import hash_password
from console.settings import ConsoleSettings

DEV_AGENT = "dev-agent"
DEV_PASSWORD = "gopay-dev-only"


def dev_agent_env() -> tuple[dict[str, str], str]:
    """Environment for the stack, and the line the launcher prints about agent accounts."""
    configured = ConsoleSettings.from_env().agents
    if configured:
        names = ", ".join(name for name, _ in configured)
        return {}, f"Agents from GOPAY_AGENTS: {names}"
    hashed = hash_password(DEV_PASSWORD)
    notice = (
        f"No GOPAY_AGENTS configured: development account {DEV_AGENT!r}, password "
        f"{DEV_PASSWORD!r} (for local use only; see docs/agent_console.md)"
    )
    return {"GOPAY_AGENTS": f"{DEV_AGENT}:{hashed}"}, notice
