"""The Telegram channel's own texts (channels/README.md: a channel keeps its texts here)."""

from __future__ import annotations

from gopay_support.core.catalogue import Bilingual

#: Before an agent's message: Telegram has no sender field, so the name and a "support agent"
#: mark start the text.
AGENT_PREFIX = Bilingual("👤 {name}（人工客服）：", "👤 {name} (support agent):")

#: An update the assistant could not process for an hour (Rasa kept failing): the customer is
#: told instead of left waiting.
NOT_PROCESSED = Bilingual(
    "抱歉，我们暂时无法处理您的消息，请稍后再发送一次。",
    "Sorry, we could not process your message just now. Please send it again later.",
)
