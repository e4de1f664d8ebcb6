"""Actions for red flags: the referral warning and taking a flag back."""
from __future__ import annotations

from . import flow
from .base import UnknotAction, latest_entities
from .state import Reply


class ActionTriage(UnknotAction):
    """Runs before anything else when the message holds a red flag of the user's own."""

    def name(self) -> str:
        return "action_triage"

    def respond(self, state, kb, reply, tracker) -> None:
        flags = latest_entities(tracker, "red_flag")
        contra = [e for e in tracker.latest_message.get("entities", []) or []
                  if e.get("entity") in ("body_region", "activity", "equipment", "contraindication")]
        flow.apply_user_info(state, contra, kb, Reply())  # remember where, without chatting
        if not flags:
            # The classifier guessed a flag that the rules did not confirm.
            flow.advance(state, kb, reply)
            return
        flow.raise_triage(state, kb, reply, flags)


class ActionCorrectRedFlag(UnknotAction):
    def name(self) -> str:
        return "action_correct_red_flag"

    def respond(self, state, kb, reply, tracker) -> None:
        flow.correct_flags(state, kb, reply, latest_entities(tracker, "red_flag_negated"))
