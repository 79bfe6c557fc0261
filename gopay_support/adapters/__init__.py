"""Adapters around the core: the app database (``db``), Rasa plugins and Rasa's HTTP API
(``rasa``), and log masking."""
