"""Domain logic of the Gopay support assistant.

Everything that both the Rasa custom actions (``actions/``) and the channel adapters
(``channels/``) need lives here: language detection, tracking numbers, masking of personal
data, service hours, configuration and the ticket store. Adapters and actions stay thin.
"""
