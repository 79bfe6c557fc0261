"""Response generation with configured contact details.

The seed does not give a phone number, e-mail address or social accounts, so FAQ answers
use ``{support_phone}``-style placeholders that are filled here from configuration
(:mod:`gopay_support.config`), inside the Rasa server, on every response. Enabled by
``nlg: type: gopay_support.nlg.ConfiguredResponseGenerator`` in ``endpoints.yml``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from gopay_support.config import settings


class ConfiguredResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None):
        super().__init__((domain or Domain.empty()).responses)

    def generate_from_slots(
        self,
        utter_action: str,
        filled_slots: dict[str, Any],
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        variables = {**settings().contact.as_slots(), **kwargs}
        return super().generate_from_slots(utter_action, filled_slots, output_channel, **variables)
