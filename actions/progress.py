"""Actions for the user's progress: pain ratings, "how am I doing?", a summary for a
clinician, pain questions on or off, and deleting the user's data."""
from __future__ import annotations

from . import flow, progress_flow
from .base import UnknotAction
from .state import Awaiting


class ActionRatePain(UnknotAction):
    """A pain rating (button /rate_pain{"pain":N} or typed) while one is asked."""

    takes_user_info = False

    def name(self) -> str:
        return "action_rate_pain"

    def respond(self, state, kb, reply, tracker) -> None:
        if state.awaiting in (Awaiting.RATE_BEFORE, Awaiting.RATE_AFTER):
            progress_flow.rating_in_words(state, kb, reply, tracker.latest_message.get("text") or "",
                                          tracker.latest_message.get("entities") or [])
        else:
            reply.say("Thanks. I ask for a 0-10 rating just before and after a routine.")
            flow.resume(state, kb, reply)


class ActionProgress(UnknotAction):
    def name(self) -> str:
        return "action_progress"

    def respond(self, state, kb, reply, tracker) -> None:
        progress_flow.progress_report(state, kb, reply)


class ActionSummary(UnknotAction):
    takes_user_info = False

    def name(self) -> str:
        return "action_summary"

    def respond(self, state, kb, reply, tracker) -> None:
        progress_flow.make_summary(state, kb, reply)


class ActionPainQuestions(UnknotAction):
    takes_user_info = False

    def name(self) -> str:
        return "action_pain_questions"

    def respond(self, state, kb, reply, tracker) -> None:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "pain_questions_on":
            progress_flow.start_pain_questions(state, kb, reply)
        else:
            progress_flow.stop_pain_questions(state, kb, reply)


class ActionDeleteData(UnknotAction):
    """ "Delete my data": asks for confirmation first (the answer goes to affirm / deny)."""

    safety_first = False
    takes_user_info = False

    def name(self) -> str:
        return "action_delete_data"

    def respond(self, state, kb, reply, tracker) -> None:
        progress_flow.ask_to_delete(state, reply)
