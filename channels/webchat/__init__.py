"""Web chat channel: Rasa's socket.io channel plus the embeddable widget it serves.

Enabled in ``credentials.yml`` under the key ``channels.webchat.WebChatInput``.
"""

from channels.webchat.channel import WebChatInput

__all__ = ["WebChatInput"]
