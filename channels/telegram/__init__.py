"""Telegram channel for the Gopay assistant, built on python-telegram-bot.

``TelegramInput`` is the Rasa input channel (``credentials.yml``); ``python -m
channels.telegram.polling`` relays updates to it when there is no public webhook URL.
See docs/telegram.md.
"""

from channels.telegram.input import TelegramInput
from channels.telegram.output import TelegramOutput

__all__ = ["TelegramInput", "TelegramOutput"]
