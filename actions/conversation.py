"""Actions for understanding the user: their pain, yes and no, questions and chit-chat."""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import Restarted

from knowledge.query import KnowledgeBase

from . import flow, safety_flow
from .base import UnknotAction, latest_intent
from .state import DialogueState, Reply

QUESTION_RESPONSES = {
    "ask_trigger_point": "answer_trigger_point",
    "ask_pressure": "answer_pressure",
    "ask_duration": "answer_duration",
    "ask_safety": "answer_safety",
    "ask_equipment_compare": "answer_equipment_compare",
}
SMALL_TALK_RESPONSES = {
    "greet": "greet",
    "thank": "thanks",
    "goodbye": "goodbye",
    "bot_challenge": "iamabot",
    "ask_help": "help",
}
# Words that suggest the message is not in English (the assistant only speaks English).
_FOREIGN = re.compile(
    r"\b(?:me duele|dolor|espalda|hola|gracias|bonjour|merci|j'ai mal|douleur|hallo|danke|"
    r"schmerzen|rücken|ciao|grazie|mal di|obrigad[oa]|dor nas|costas|tengo|tudo bem)\b", re.IGNORECASE)


class ActionHandlePain(UnknotAction):
    """The user told us where it hurts, how they trained or what kit they have."""

    def name(self) -> str:
        return "action_handle_pain"

    def respond(self, state: DialogueState, kb: KnowledgeBase, reply: Reply, tracker: Tracker) -> None:
        entities = tracker.latest_message.get("entities", []) or []
        other_areas = [e["value"] for e in entities if e.get("entity") == "other_area" and e.get("role") != "not"]
        changed = state.new_info  # taken in before anything else (UnknotAction.take_user_info)
        named_region = any(e.get("entity") == "body_region" for e in entities)
        if state.emergency or state.referred_today:
            flow.advance(state, kb, reply)
        elif other_areas and not named_region and not state.in_routine and \
                flow.suggest_for_other_area(state, kb, reply, other_areas[0]):
            pass
        elif changed:
            flow.advance(state, kb, reply)
        elif state.in_routine:
            flow.step_feedback(state, kb, reply, tracker.latest_message.get("text") or "")
        else:
            flow.handle_unanswered(state, kb, reply, tracker.latest_message.get("text") or "")


class ActionAffirm(UnknotAction):
    def name(self) -> str:
        return "action_affirm"

    def respond(self, state, kb, reply, tracker) -> None:
        flow.affirm(state, kb, reply)


class ActionDeny(UnknotAction):
    def name(self) -> str:
        return "action_deny"

    def respond(self, state, kb, reply, tracker) -> None:
        flow.deny(state, kb, reply)


class ActionAnswerQuestion(UnknotAction):
    """Answers a question, then shows the same step or asks the pending question again."""

    def name(self) -> str:
        return "action_answer_question"

    def respond(self, state, kb, reply, tracker) -> None:
        reply.utter(QUESTION_RESPONSES.get(latest_intent(tracker), "help"))
        if state.emergency:
            safety_flow.emergency_reminder(state, kb, reply)
        elif state.new_info and not state.in_routine:
            flow.advance(state, kb, reply)  # "how hard do I press on my calves?": keep the calves, move on
        else:
            flow.reprompt(state, kb, reply)


class ActionSmallTalk(UnknotAction):
    """Greetings, thanks, goodbyes, 'are you a bot' and 'what can you do'."""

    def name(self) -> str:
        return "action_small_talk"

    def respond(self, state, kb, reply, tracker) -> None:
        intent = latest_intent(tracker)
        reply.utter(SMALL_TALK_RESPONSES.get(intent, "help"))
        if state.emergency:
            safety_flow.emergency_reminder(state, kb, reply)
        elif intent != "goodbye":
            flow.reprompt(state, kb, reply)


ONLY_ENGLISH = "Sorry, I only understand English for now. Could you tell me in English where you're sore?"


IN_SCOPE_ENTITIES = ("body_region", "activity", "equipment", "other_area", "contraindication")


def _in_scope_entities(tracker: Tracker) -> bool:
    return any(e.get("entity") in IN_SCOPE_ENTITIES and e.get("role") != "not"
               for e in tracker.latest_message.get("entities", []) or [])


class ActionOutOfScope(UnknotAction):
    """Off-topic requests and health problems the assistant does not handle."""

    def name(self) -> str:
        return "action_out_of_scope"

    def respond(self, state, kb, reply, tracker) -> None:
        if state.new_info or _in_scope_entities(tracker):
            # Out of scope only when nothing in the message is: a sore area, an activity or kit.
            ActionHandlePain().respond(state, kb, reply, tracker)
            return
        if _FOREIGN.search(tracker.latest_message.get("text") or ""):
            reply.say(ONLY_ENGLISH)
        else:
            reply.utter("out_of_scope")
        flow.reprompt(state, kb, reply)


class ActionFallback(UnknotAction):
    """A message the model cannot place: say so kindly and offer the main choices."""

    def name(self) -> str:
        return "action_fallback"

    def respond(self, state, kb, reply, tracker) -> None:
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            reply.say("I didn't get any text there. Tell me where you're sore, for example "
                      "'my calves are tight after running'.")
        elif _FOREIGN.search(text):
            reply.say(ONLY_ENGLISH)
        elif len(text) > 2000:
            reply.say("That's a long message! Could you tell me in a sentence or two where you're sore "
                      "and how you trained?")
        elif state.new_info or _in_scope_entities(tracker):
            # Understood enough to go on: say what was understood, never a generic menu.
            if state.body_region and state.new_info:
                reply.say(f"Your {flow.region_name(state.body_region)}: let's see what helps.")
            ActionHandlePain().respond(state, kb, reply, tracker)
            return
        else:
            reply.utter("default")
        if state.awaiting or state.body_region:
            flow.reprompt(state, kb, reply)
        else:
            reply.say("You can start with one of these:", flow.region_buttons(6) + [
                flow.button("What can you do?", "/ask_help")])


# A bare "start"/"begin"/"go" right after a routine was offered means "start it": only these
# words make it a request to wipe the conversation.
_RESET_WORDS = re.compile(r"\b(?:over|again|afresh|scratch|reset|restart|new|fresh|beginning|top|clear|redo|"
                          r"wipe|forget)\b", re.IGNORECASE)


def means_start_the_offer(tracker: Tracker) -> bool:
    """True when "start" answers a pending routine offer rather than asking to start over."""
    text = tracker.latest_message.get("text") or ""
    return tracker.get_slot("awaiting") == "offer" and not text.startswith("/") and not _RESET_WORDS.search(text)


class ActionStartOver(UnknotAction):
    """Forgets the conversation and asks where it hurts, as a new one would."""

    def name(self) -> str:
        return "action_start_over"

    def respond(self, state, kb, reply, tracker) -> None:
        if state.emergency:
            safety_flow.emergency_reminder(state, kb, reply)
            return
        reply.utter("restart")

    async def run(self, dispatcher, tracker, domain):
        if means_start_the_offer(tracker):
            return await ActionAffirm().run(dispatcher, tracker, domain)
        events = await super().run(dispatcher, tracker, domain)
        emergency = tracker.get_slot("triage_level") == "emergency_now"
        return events if emergency else [Restarted()]
