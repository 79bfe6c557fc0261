"""Custom actions of the Gopay support assistant, served by ``python -m actions``.

One module per job: ``ticket_form`` (collect and file a ticket), ``ticket_status`` (look one
up, announce changes), ``handoff`` (escalate to a person, CSAT), ``clarify`` (low-confidence
understanding); ``tracker`` holds what they all read from the tracker. rasa_sdk imports every
module of this package and registers each concrete ``Action`` subclass. Actions stay thin:
the rules live in :mod:`gopay_support.core`.
"""
