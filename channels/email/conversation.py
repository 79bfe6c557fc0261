"""The Rasa side of a mail: understanding it, running the turn, or recording a filed ticket.

The channel lives inside the Rasa server, like every input channel, and uses the server's
own agent (``app.ctx.agent``): the same model, policies, response generator, tracker store
and lock store as every other channel.

* :meth:`RasaConversations.parse` runs the NLU on a mail's text without touching any
  conversation, so the channel can decide whether it is a problem report (:mod:`.triage`).
* :meth:`RasaConversations.turn` is an ordinary turn (``on_new_message``): policies,
  actions, responses, handoff pauses, all as on the other channels.
* :meth:`RasaConversations.record` is for a problem report the channel filed itself: the
  mail is logged as the user's message (NLU included, so the conversation's language and
  the agent's transcript are right) and the confirmation as the bot's answer, under the
  conversation's lock, without running the policies (which would start the chat ticket form).
* :meth:`RasaConversations.answered` finds a mail's turn in the tracker, so a mail replayed
  after a crash is not put to the bot twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from channels.email.output import CHANNEL, BotMessage

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: Where the mail's reference goes in the user message's metadata (``{"email": {"mail": ...}}``).
MAIL_KEY = "mail"
POLICY = "email_channel"


@dataclass(frozen=True)
class State:
    paused: bool = False
    active_form: str | None = None


@dataclass(frozen=True)
class Say:
    """One answer of a recorded turn: a domain response (with its parameters) or plain text."""

    response: str | None = None
    text: str | None = None
    action: str | None = None  #: the action name logged for it (default: the response)
    params: Mapping[str, Any] = field(default_factory=dict)


class RasaConversations:
    """``agent`` gives the server's current agent (Rasa swaps it when a model is loaded)."""

    def __init__(self, agent: Callable[[], Any], on_new_message: OnNewMessage) -> None:
        self._current_agent = agent
        self._on_new_message = on_new_message

    @property
    def _agent(self) -> Any:
        return self._current_agent()

    @property
    def ready(self) -> bool:
        agent = self._agent
        return bool(agent is not None and agent.is_ready())

    async def parse(self, text: str) -> dict[str, Any]:
        return dict(await self._agent.parse_message(text))

    async def state(self, sender_id: str) -> State:
        tracker = await self._agent.tracker_store.retrieve(sender_id)
        if tracker is None:
            return State()
        return State(paused=tracker.is_paused(), active_form=tracker.active_loop_name)

    async def answered(self, sender_id: str, mail_ref: str) -> list[BotMessage] | None:
        """The bot's messages of the turn of mail ``mail_ref``, or ``None`` if it had none yet."""
        tracker = await self._agent.tracker_store.retrieve(sender_id)
        if tracker is None:
            return None
        found = False
        messages: list[BotMessage] = []
        for event in tracker.events:
            if isinstance(event, UserUttered):
                if found:
                    break
                metadata = event.metadata or {}
                found = (metadata.get(CHANNEL) or {}).get(MAIL_KEY) == mail_ref
            elif found and isinstance(event, BotUttered):
                messages.append(BotMessage.from_rasa(event.message()))
        return messages if found else None

    async def turn(self, message: UserMessage) -> None:
        await self._on_new_message(message)

    async def record(
        self, message: UserMessage, answers: Sequence[Say], slots: Mapping[str, Any] | None = None
    ) -> list[BotMessage]:
        """Log ``message`` and ``answers`` without predicting; the answers as messages."""
        agent = self._agent
        async with agent.lock_store.lock(message.sender_id):
            tracker = await agent.processor.log_message(message, should_save_tracker=False)
            messages: list[BotMessage] = []
            for answer in answers:
                if answer.response:
                    generated = await agent.nlg.generate(answer.response, tracker, CHANNEL, **answer.params)
                else:
                    generated = {"text": answer.text or ""}
                if not generated or not (generated.get("text") or generated.get("buttons")):
                    continue
                name = answer.action or answer.response or "action_email_notice"
                data = {k: v for k, v in generated.items() if k not in ("text", "utter_action") and v}
                tracker.update(ActionExecuted(name, policy=POLICY, confidence=1.0))
                bot = BotUttered(generated.get("text"), data=data, metadata={"utter_action": answer.response})
                tracker.update(bot)
                messages.append(BotMessage.from_rasa(bot.message()))
            for slot, value in (slots or {}).items():
                tracker.update(SlotSet(slot, value))
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME, policy=POLICY, confidence=1.0))
            await agent.processor.save_tracker(tracker)
        return messages
