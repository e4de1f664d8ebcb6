"""Actions that move through a routine: step controls, alternatives and choosing one."""
from __future__ import annotations

from . import flow
from .base import UnknotAction, latest_entities, latest_intent

STEP_COMMANDS = {
    "step_next": "next", "step_repeat": "repeat", "step_back": "back",
    "step_skip": "skip", "step_stop": "stop",
}


class ActionStepControl(UnknotAction):
    takes_user_info = False

    def name(self) -> str:
        return "action_step_control"

    def respond(self, state, kb, reply, tracker) -> None:
        flow.step_control(state, kb, reply, STEP_COMMANDS.get(latest_intent(tracker), "repeat"))


class ActionShowAlternatives(UnknotAction):
    takes_user_info = False

    def name(self) -> str:
        return "action_show_alternatives"

    def respond(self, state, kb, reply, tracker) -> None:
        if state.emergency or state.referred_today:
            flow.advance(state, kb, reply)
        elif not state.body_region:
            flow.ask_region(state, reply)
        elif not state.equipment:
            state.equipment = None
            flow.offer_routine(state, kb, reply, alternatives=True)
        else:
            flow.offer_routine(state, kb, reply, alternatives=True)


class ActionChooseRoutine(UnknotAction):
    takes_user_info = False

    def name(self) -> str:
        return "action_choose_routine"

    def respond(self, state, kb, reply, tracker) -> None:
        if state.emergency or state.referred_today:
            flow.advance(state, kb, reply)
            return
        chosen = (latest_entities(tracker, "routine_id") or [None])[0]
        chosen = chosen or flow.routine_from_words(state, kb, tracker.latest_message.get("text", ""))
        if chosen:
            flow.start_routine(state, kb, reply, chosen)
        elif state.offered:
            reply.say("Which one? Tap an option, or say 'the first one'.")
            flow.offer_routine(state, kb, reply, alternatives=True)
        else:
            flow.advance(state, kb, reply)
