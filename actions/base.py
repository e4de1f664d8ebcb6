"""Common plumbing of every Unknot action: state in, reply out, errors contained."""
from __future__ import annotations

import logging
import re
from abc import ABCMeta, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.facts import emergency_numbers
from knowledge.query import KnowledgeBase

from . import flow, progress_flow, safety_flow
from .state import Awaiting, DialogueState, Reply

logger = logging.getLogger(__name__)
USER_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Intents whose own action handles a pending safety question (the answer buttons, a red
# flag, a correction); any other message while one is asked is read as a typed answer.
ANSWERS_ITSELF = {"affirm", "deny", "report_red_flag", "correct_red_flag", "retract"}
# Still answered during an emergency: a summary to show the ambulance crew or doctor, and the
# user's right to erase their data (the emergency advice is repeated after either).
ALLOWED_IN_EMERGENCY = {"request_summary", "delete_data"}
# Intents whose own action handles a pending pain rating or deletion question.
RATING_INTENTS = {"affirm", "deny", "rate_pain", "pain_questions_off", "pain_questions_on", "report_red_flag",
                  "correct_red_flag", "retract", "delete_data"}
# Questions and small talk are answered, then the safety question is asked again.
ANSWERED_THEN_ASKED_AGAIN = {"ask_trigger_point", "ask_pressure", "ask_duration", "ask_safety",
                             "ask_equipment_compare", "ask_help", "greet", "thank", "bot_challenge", "goodbye"}
def internal_error() -> str:
    """Said when something fails, even the database, so it is read from the content file."""
    return ("Sorry, something went wrong on my side. Please try that again, or tell me where you're sore. "
            f"If you have a worrying symptom, call {emergency_numbers()}.")
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


def user_key(tracker: Tracker) -> str:
    """Who the user is across conversations: the web page's (or a client's) stable user id
    from the message metadata when it is well formed, else the conversation id."""
    metadata = tracker.latest_message.get("metadata") or {}
    candidate = metadata.get("user_id") if isinstance(metadata, dict) else None
    if isinstance(candidate, str) and USER_ID.match(candidate):
        return candidate
    return tracker.sender_id or ""


class UnknotAction(Action, metaclass=ABCMeta):
    """Runs `respond` on a DialogueState and turns the result into Rasa events.

    Safety comes first for every action: an emergency hold of the same user is carried
    into the conversation, a typed answer to a pending safety question is read as one,
    and a new high-risk mention is asked about before the action's own answer."""

    # False for the actions that handle a red flag themselves (triage, corrections).
    safety_first = True
    # Entity-first: the non-negated region, activity, equipment and conditions of every
    # message update the conversation, whatever the intent; the intent only picks the act.
    # False where an answer to a pending question or a step command must not be disturbed,
    # or where the action applies them itself.
    takes_user_info = True

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def respond(self, state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker) -> None: ...

    def safety_first_reply(self, state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker) -> bool:
        """Answers for safety before the action does; True when the reply is complete."""
        safety_flow.apply_emergency_hold(state, kb)
        intent = latest_intent(tracker)
        concerns = latest_entities(tracker, "safety_concern")
        if not self.safety_first:
            safety_flow.note_concerns(state, kb, concerns)
            return False
        if state.emergency and intent not in ANSWERS_ITSELF | ANSWERED_THEN_ASKED_AGAIN | ALLOWED_IN_EMERGENCY \
                and state.awaiting != Awaiting.DELETE_CONFIRM:
            safety_flow.emergency_reminder(state, kb, reply)
            return True
        text = tracker.latest_message.get("text") or ""
        if state.asking_safety_question and intent not in ANSWERS_ITSELF and (
                intent not in ANSWERED_THEN_ASKED_AGAIN or safety_flow.leading_answer(text) is not None):
            safety_flow.answer_screening_in_words(state, kb, reply, text)
            safety_flow.note_concerns(state, kb, concerns)
            return True
        safety_flow.note_concerns(state, kb, concerns)
        if self.answer_in_words(state, kb, reply, tracker, intent):
            return True
        self.take_user_info(state, kb, reply, tracker)
        if intent in ANSWERS_ITSELF and state.asking_safety_question:
            return False
        if intent in ANSWERED_THEN_ASKED_AGAIN:
            return False  # the action answers, then the question is asked (see run)
        return safety_flow.safety_gate(state, kb, reply)

    @staticmethod
    def answer_in_words(state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker, intent: str) -> bool:
        """A typed answer to a pending pain rating or "delete everything?" question."""
        if intent in RATING_INTENTS | ANSWERED_THEN_ASKED_AGAIN:
            return False
        text = tracker.latest_message.get("text") or ""
        if state.awaiting in (Awaiting.RATE_BEFORE, Awaiting.RATE_AFTER):
            progress_flow.rating_in_words(state, kb, reply, text, tracker.latest_message.get("entities") or [])
            return True
        if state.awaiting == Awaiting.DELETE_CONFIRM:
            answer = safety_flow.yes_or_no(text)
            if answer is None:
                progress_flow.ask_to_delete(state, reply)
            else:
                progress_flow.delete_data(state, kb, reply, answer)
            return True
        return False

    def take_user_info(self, state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker) -> None:
        """Entity-first: what the message says about region, activity, kit and conditions is
        kept before anything is asked or answered, whatever the intent."""
        if self.takes_user_info and not state.emergency:
            entities = tracker.latest_message.get("entities", []) or []
            state.new_info = flow.apply_user_info(state, entities, kb, reply)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        state = DialogueState.from_slots(tracker.current_slot_values(), tracker.sender_id)
        state.user_key = user_key(tracker)
        before = state.as_slots()
        try:
            kb = knowledge_base()
            reply = Reply()
            if not self.safety_first_reply(state, kb, reply, tracker):
                if not self.safety_first:
                    self.take_user_info(state, kb, reply, tracker)
                self.respond(state, kb, reply, tracker)
                # Whatever the action said, a pending safety question is never left for later.
                if self.safety_first and state.pending_concerns:
                    safety_flow.safety_gate(state, kb, reply)
            if not reply.messages:
                reply.utter("default")
            outgoing = [(kb.message(m.message_id) if m.message_id else m.text, m) for m in reply.messages]
        except Exception:  # noqa: BLE001 - the user must always get an answer
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(text=internal_error())
            return []
        for text, message in outgoing:
            if message.custom is not None:
                dispatcher.utter_message(json_message=message.custom)
            else:
                dispatcher.utter_message(text=text, buttons=message.buttons or None)
        after = state.as_slots()
        return [SlotSet(key, value) for key, value in after.items() if before.get(key) != value]
