"""Response generation with configured contact details.

Replies follow the language of the conversation (:func:`gopay_support.core.language.of_conversation`):
the generator sets the ``language`` slot that response conditions test, for every response,
including those that custom actions request by name.

The seed does not give a phone number, e-mail address or social accounts, so FAQ answers
use ``{support_phone}``-style placeholders that are filled here from configuration
(:mod:`gopay_support.core.settings`), inside the Rasa server, on every response. Enabled by
``nlg: type: gopay_support.adapters.rasa.nlg.ConfiguredResponseGenerator`` in ``endpoints.yml``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from gopay_support.core import language
from gopay_support.core.settings import ContactDetails
from gopay_support.wiring import load_settings


class ConfiguredResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        contact: ContactDetails | None = None,
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Rasa builds the generator from endpoints.yml: this is the Rasa process's entry point.
        self.contact = contact or load_settings().contact

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        filled_slots = tracker.current_slot_values()
        user_turns = (
            {"parse_data": e.parse_data, "metadata": e.metadata}
            for e in reversed(tracker.events)
            if isinstance(e, UserUttered)
        )
        filled_slots["language"] = language.of_conversation(user_turns)
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **kwargs)

    def generate_from_slots(
        self,
        utter_action: str,
        filled_slots: dict[str, Any],
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        variables = {**self.contact.as_slots(), **kwargs}
        return super().generate_from_slots(utter_action, filled_slots, output_channel, **variables)
