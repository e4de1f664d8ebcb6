"""The conversation's state as plain Python, and the reply an action builds.

Actions turn the tracker into a DialogueState, let the flow decide, and turn the
Reply back into Rasa events and messages. Nothing here imports Rasa, so the dialogue
logic is tested with plain objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Optional

# Slots of the contract, then the assistant's own bookkeeping.
CONTRACT_SLOTS = ("body_region", "activity", "equipment", "triage_level", "routine_id", "step_index")
LIST_SLOTS = ("screened", "red_flags", "contraindications", "offered", "queued_regions", "avoid_regions")


@dataclass
class DialogueState:
    body_region: Optional[str] = None
    activity: Optional[str] = None
    equipment: Optional[str] = None
    triage_level: Optional[str] = None
    routine_id: Optional[str] = None
    step_index: Optional[int] = None
    awaiting: Optional[str] = None  # the question the assistant asked last
    activity_asked: bool = False
    reasks: int = 0  # how often the same question went unanswered
    screened: list = field(default_factory=list)
    red_flags: list = field(default_factory=list)
    contraindications: list = field(default_factory=list)
    offered: list = field(default_factory=list)
    queued_regions: list = field(default_factory=list)
    avoid_regions: list = field(default_factory=list)
    sender_id: str = ""

    @classmethod
    def from_slots(cls, slots: dict[str, Any], sender_id: str = "") -> "DialogueState":
        state = cls(sender_id=sender_id)
        for f in fields(cls):
            if f.name == "sender_id" or f.name not in slots:
                continue
            value = slots[f.name]
            if f.name in LIST_SLOTS:
                value = list(value) if isinstance(value, (list, tuple)) else []
            elif f.name == "step_index":
                value = int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            elif f.name == "reasks":
                value = int(value) if isinstance(value, (int, float)) else 0
            elif f.name == "activity_asked":
                value = bool(value)
            setattr(state, f.name, value)
        return state

    def as_slots(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sender_id"}

    @property
    def in_routine(self) -> bool:
        return bool(self.routine_id and self.step_index)

    @property
    def emergency(self) -> bool:
        return self.triage_level == "emergency_now"

    @property
    def referred_today(self) -> bool:
        return self.triage_level == "urgent_24h"


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
