"""Human handoff (issue 6): the queue of escalated conversations, agents' sessions and
presence, transcripts, wait estimates and canned answers.

Both the escalation action (actions/handoff.py) and the agent console (console/) import
this package; neither holds handoff logic of its own.
"""
