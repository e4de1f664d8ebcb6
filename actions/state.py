"""The conversation's state as plain Python, and the reply an action builds.

Actions turn the tracker into a DialogueState, let the flow decide, and turn the
Reply back into Rasa events and messages. Nothing here imports Rasa, so the dialogue
logic is tested with plain objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Optional

# Slots of the contract, then the assistant's own bookkeeping.
CONTRACT_SLOTS = ("body_region", "activity", "equipment", "triage_level", "routine_id", "step_index")
LIST_SLOTS = ("screened", "red_flags", "contraindications", "offered", "queued_regions", "avoid_regions",
              "contra_regions", "pending_concerns", "referred_regions")


# Fields of the state that are not slots: who is talking, and what this message changed.
TRANSIENT = ("sender_id", "user_key", "new_info")


class Awaiting(str, Enum):
    """The question the assistant asked last: the dialogue's states. The slot `awaiting`
    holds the value (a plain string, so it compares equal to these members)."""

    REGION = "region"
    ACTIVITY = "activity"
    EQUIPMENT = "equipment"
    SCREENING = "screening"  # a safety question (a region's, or a high-risk area's)
    SCREENING_WHICH = "screening_which"  # "yes" to a question whose items differ in level
    OFFER = "offer"
    ALTERNATIVES = "alternatives"
    STEP = "step"
    STOPPED = "stopped"  # a routine paused by the user
    ANOTHER_REGION = "another_region"
    SOON_CHOICE = "soon_choice"  # after a "see someone within days" warning
    EMERGENCY = "emergency"
    WITHDRAW_CONFIRM = "withdraw_confirm"  # "it was typed by mistake": confirm before lifting an emergency
    RATE_BEFORE = "rate_before"  # pain 0-10 before a routine
    RATE_AFTER = "rate_after"  # and after it
    DELETE_CONFIRM = "delete_confirm"  # "delete my data": confirm first

    def __str__(self) -> str:
        return self.value


@dataclass
class DialogueState:
    body_region: Optional[str] = None
    activity: Optional[str] = None
    equipment: Optional[str] = None
    triage_level: Optional[str] = None
    routine_id: Optional[str] = None
    step_index: Optional[int] = None
    awaiting: Optional[str] = None  # the question the assistant asked last (an Awaiting value)
    paused_routine: Optional[str] = None  # a routine stopped by the user, to resume
    paused_step: Optional[int] = None
    pending_routine: Optional[str] = None  # the routine to start once the pain before is rated
    rating_session: Optional[int] = None  # the user's routine session being rated (knowledge DB id)
    activity_asked: bool = False
    reasks: int = 0  # how often the same question went unanswered
    screened: list = field(default_factory=list)
    red_flags: list = field(default_factory=list)
    contraindications: list = field(default_factory=list)
    offered: list = field(default_factory=list)
    queued_regions: list = field(default_factory=list)
    avoid_regions: list = field(default_factory=list)  # ruled out by a red flag ("soon")
    contra_regions: list = field(default_factory=list)  # ruled out by a contraindication (an open wound)
    pending_concerns: list = field(default_factory=list)  # high-risk areas still to ask about
    referred_regions: list = field(default_factory=list)  # "see a physio": given once per area
    screening_id: Optional[str] = None  # the safety question being asked
    hold_checked: bool = False  # whether an emergency hold of this user was looked up this conversation
    sender_id: str = ""
    user_key: str = ""  # who the user is across conversations (web page's user id, else sender)
    new_info: bool = False  # this message changed the region, activity, kit or conditions

    @classmethod
    def from_slots(cls, slots: dict[str, Any], sender_id: str = "") -> "DialogueState":
        state = cls(sender_id=sender_id)
        for f in fields(cls):
            if f.name in TRANSIENT or f.name not in slots:
                continue
            value = slots[f.name]
            if f.name in LIST_SLOTS:
                value = list(value) if isinstance(value, (list, tuple)) else []
            elif f.name in ("step_index", "paused_step", "rating_session"):
                value = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            elif f.name == "reasks":
                value = int(value) if isinstance(value, (int, float)) else 0
            elif f.name in ("activity_asked", "hold_checked"):
                value = bool(value)
            setattr(state, f.name, value)
        return state

    def as_slots(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in TRANSIENT}
        if isinstance(out["awaiting"], Awaiting):
            out["awaiting"] = out["awaiting"].value
        return {k: list(v) if isinstance(v, list) else v for k, v in out.items()}

    @property
    def ruled_out_regions(self) -> list:
        return list(dict.fromkeys(self.avoid_regions + self.contra_regions))

    @property
    def in_routine(self) -> bool:
        return bool(self.routine_id and self.step_index)

    @property
    def emergency(self) -> bool:
        return self.triage_level == "emergency_now"

    @property
    def referred_today(self) -> bool:
        return self.triage_level == "urgent_24h"

    @property
    def asking_safety_question(self) -> bool:
        return self.awaiting in (Awaiting.SCREENING, Awaiting.SCREENING_WHICH, Awaiting.WITHDRAW_CONFIRM)


@dataclass
class Message:
    text: Optional[str] = None
    buttons: list = field(default_factory=list)
    custom: Optional[dict] = None
    message_id: Optional[str] = None  # a fixed message from the knowledge base instead of text


@dataclass
class Reply:
    """Messages to send; the state is changed in place and diffed into slot events."""

    messages: list[Message] = field(default_factory=list)

    def say(self, text: str, buttons: Optional[list] = None) -> "Reply":
        self.messages.append(Message(text=text, buttons=list(buttons or [])))
        return self

    def utter(self, message_id: str, buttons: Optional[list] = None) -> "Reply":
        """A fixed message of the knowledge base (knowledge/content/messages.yml)."""
        self.messages.append(Message(message_id=message_id, buttons=list(buttons or [])))
        return self

    def custom(self, payload: dict) -> "Reply":
        self.messages.append(Message(custom=payload))
        return self

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages if m.text]

    @property
    def customs(self) -> list[dict]:
        return [m.custom for m in self.messages if m.custom]


def button(title: str, payload: str) -> dict:
    return {"title": title, "payload": payload}


YES_NO = [button("Yes", "/affirm"), button("No", "/deny")]
