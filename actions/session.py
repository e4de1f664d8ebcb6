"""A new session (after two hours of quiet): where the user was carries over, their health
facts only for a while.

Rasa's own session start carries every slot into every new session, for ever. Red flags, a
triage level, conditions such as pregnancy or recent surgery and the areas they rule out
are health data: they carry over only when the user was last active within
UNKNOT_HEALTH_MEMORY_DAYS (default 30, never longer than the retention period), after which
the assistant asks again instead of acting on old answers. A long conversation's rollover
(stores/rolling_sql.py) is not a new session and keeps everything.
"""
from __future__ import annotations

import os
import time
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from knowledge.retention import retention_days

HEALTH_SLOTS = frozenset({"triage_level", "red_flags", "contraindications", "contra_regions", "avoid_regions",
                          "screened", "pending_concerns", "screening_id", "referred_regions"})
DEFAULT_HEALTH_MEMORY_DAYS = 30


def health_memory_days() -> int:
    try:
        days = int(os.environ.get("UNKNOT_HEALTH_MEMORY_DAYS", DEFAULT_HEALTH_MEMORY_DAYS))
    except ValueError:
        days = DEFAULT_HEALTH_MEMORY_DAYS
    return max(0, min(days, retention_days()))


def last_active(tracker: Tracker) -> Optional[float]:
    """When the conversation was last active: its latest event (a rolled-over session may
    hold no user message yet, only the carried slots written at the end of a turn)."""
    stamps = [float(e["timestamp"]) for e in tracker.events or [] if e.get("timestamp")]
    return max(stamps) if stamps else None


def carried_slots(tracker: Tracker, now: Optional[float] = None) -> list[dict[str, Any]]:
    last = last_active(tracker)
    now = time.time() if now is None else now
    keep_health = last is not None and now - last <= health_memory_days() * 86400
    events = []
    for name, value in (tracker.slots or {}).items():
        if value is None or value == [] or (name in HEALTH_SLOTS and not keep_health):
            continue
        events.append(SlotSet(name, value))
    return events


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        return [SessionStarted(), *carried_slots(tracker), ActionExecuted("action_listen")]
