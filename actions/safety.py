"""Actions for red flags: the referral warning, taking a flag back, "that was a mistake"."""
from __future__ import annotations

from . import flow, safety_flow
from .base import UnknotAction, latest_entities
from .state import Reply


class ActionTriage(UnknotAction):
    """Runs before anything else when the message holds a red flag of the user's own."""

    safety_first = False
    takes_user_info = False  # taken silently below: the warning comes first

    def name(self) -> str:
        return "action_triage"

    def respond(self, state, kb, reply, tracker) -> None:
        flags = latest_entities(tracker, "red_flag")
        context = [e for e in tracker.latest_message.get("entities", []) or []
                   if e.get("entity") in ("body_region", "activity", "equipment", "contraindication")]
        flow.apply_user_info(state, context, kb, Reply())  # remember where, without chatting
        if not flags:
            # The classifier guessed a flag that the rules did not confirm.
            flow.advance(state, kb, reply)
            return
        safety_flow.raise_triage(state, kb, reply, flags)


class ActionCorrectRedFlag(UnknotAction):
    safety_first = False
    takes_user_info = False

    def name(self) -> str:
        return "action_correct_red_flag"

    def respond(self, state, kb, reply, tracker) -> None:
        safety_flow.correct_flags(state, kb, reply, latest_entities(tracker, "red_flag_negated"))


class ActionRetract(UnknotAction):
    """"That was a mistake" / "I typed that by accident"."""

    safety_first = False
    takes_user_info = False

    def name(self) -> str:
        return "action_retract"

    def respond(self, state, kb, reply, tracker) -> None:
        safety_flow.retract(state, kb, reply)
