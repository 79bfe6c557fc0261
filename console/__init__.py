"""The agent console (issue 6): agents log in, take conversations from the handoff queue,
answer users on their own channel and hand the conversation back to the bot.

Run with ``python -m console`` (``make run`` starts it); see docs/agent_console.md.
"""
