"""The domain of the Gopay support assistant, free of Rasa, web frameworks and databases.

Language, scripts and text segmentation, tracking numbers, contacts and masking of personal
data, topics, service hours, the bilingual message catalogue, tickets and handoffs (models,
rules and the ports their stores implement). Adapters (``gopay_support.adapters``), the
actions, the channels and the console import from here; nothing here imports them
(``tests/core/test_import_rules.py``).
"""
