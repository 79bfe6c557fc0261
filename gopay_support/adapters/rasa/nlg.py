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

import logging
from typing import Any

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from gopay_support.adapters.rasa import action_calls
from gopay_support.core import catalogue, language
from gopay_support.core.settings import ContactDetails
from gopay_support.wiring import CONTACT_SETTINGS, load_settings

log = logging.getLogger(__name__)


class ConfiguredResponseGenerator(TemplatedNaturalLanguageGenerator):
    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        contact: ContactDetails | None = None,
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # Built in every Rasa server (endpoints.yml): make its action calls patient and let a
        # turn stop unsaved while the action server is away (action_calls).
        action_calls.install()
        # Rasa builds the generator from endpoints.yml: this is the Rasa process's entry point.
        self.contact = contact or load_settings().contact
        #: Missing contact settings already reported in the log (once per process each).
        self._reported: set[str] = set()

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
        language = filled_slots.get("language")
        result = super().generate_from_slots(
            utter_action,
            filled_slots,
            output_channel,
            **{**self.contact.as_slots(language if isinstance(language, str) else None), **kwargs},
        )
        if result and isinstance(result.get("text"), str):
            self._report_missing(utter_action, result["text"])
        return result

    def _report_missing(self, utter_action: str, text: str) -> None:
        """Customers read a neutral text for an unset contact detail; operators read which
        setting to fill, once per setting, in the log."""
        for name in self.contact.missing():
            neutral = catalogue.MESSAGES[f"contact.unset.{name}"]
            if name not in self._reported and (neutral.zh in text or neutral.en in text):
                self._reported.add(name)
                log.warning(
                    "support %s is not configured (set %s): customers are pointed to the official "
                    "website instead (first seen in %s)",
                    name,
                    CONTACT_SETTINGS[name],
                    utter_action,
                )
