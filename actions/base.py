"""Common plumbing of every Unknot action: state in, reply out, errors contained."""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.query import KnowledgeBase

from .state import DialogueState, Reply

logger = logging.getLogger(__name__)
# Said when something fails, even the database, so it cannot come from the database.
INTERNAL_ERROR = ("Sorry, something went wrong on my side. Please try that again, or tell me where "
                  "you're sore. If you have a worrying symptom, call 999 (UK), 112 (EU) or 911 (US).")
_KB: Optional[KnowledgeBase] = None


def knowledge_base() -> KnowledgeBase:
    """The process's knowledge base, opened on first use (never at import time)."""
    global _KB
    if _KB is None:
        _KB = KnowledgeBase.from_url()
    return _KB


def use_knowledge_base(kb: Optional[KnowledgeBase]) -> None:
    """Lets tests point the actions at their own database."""
    global _KB
    _KB = kb


def latest_entities(tracker: Tracker, name: str) -> list[str]:
    return [e.get("value") for e in tracker.latest_message.get("entities", []) or []
            if e.get("entity") == name and e.get("value")]


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


class UnknotAction(Action, metaclass=ABCMeta):
    """Runs `respond` on a DialogueState and turns the result into Rasa events."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def respond(self, state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker) -> None: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        state = DialogueState.from_slots(tracker.current_slot_values(), tracker.sender_id)
        before = state.as_slots()
        try:
            kb = knowledge_base()
            reply = Reply()
            self.respond(state, kb, reply, tracker)
            if not reply.messages:
                reply.utter("default")
            outgoing = [(kb.message(m.message_id) if m.message_id else m.text, m) for m in reply.messages]
        except Exception:  # noqa: BLE001 - the user must always get an answer
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(text=INTERNAL_ERROR)
            return []
        for text, message in outgoing:
            if message.custom is not None:
                dispatcher.utter_message(json_message=message.custom)
            else:
                dispatcher.utter_message(text=text, buttons=message.buttons or None)
        after = state.as_slots()
        return [SlotSet(key, value) for key, value in after.items() if before.get(key) != value]
