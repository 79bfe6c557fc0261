"""Custom Rasa NLU graph components, referenced by class path from ``config.yml``."""
