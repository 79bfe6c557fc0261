"""The Telegram channel's own texts (channels/README.md: a channel keeps its texts here)."""

from __future__ import annotations

from gopay_support.core.catalogue import Bilingual

#: Before an agent's message: Telegram has no sender field, so the name and a "support agent"
#: mark start the text.
AGENT_PREFIX = Bilingual("👤 {name}（人工客服）：", "👤 {name} (support agent):")
