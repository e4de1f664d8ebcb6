"""A new session carries where the user was, and their health facts only for a while."""
from __future__ import annotations

import asyncio
import time

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart, health_memory_days

from .conftest import initial_slots

DAY = 86400


def _tracker(last_seen: float) -> Tracker:
    slots = {**initial_slots(), "body_region": "calves", "equipment": "foam_roller", "routine_id": "calves_roller",
             "contraindications": ["pregnancy"], "avoid_regions": ["lower_back"], "triage_level": "soon",
             "red_flags": ["night_rest_pain"], "screened": ["calves"]}
    events = [{"event": "user", "timestamp": last_seen - 60, "text": "hi"},
              {"event": "bot", "timestamp": last_seen, "text": "hello"}]
    return Tracker("session-test", slots, {}, events, False, None, {}, "action_listen")


def _start(tracker: Tracker) -> dict:
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, {}))
    assert events[0]["event"] == "session_started"
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_recent_user_keeps_everything():
    carried = _start(_tracker(time.time() - 3 * 3600))
    assert carried["routine_id"] == "calves_roller" and carried["contraindications"] == ["pregnancy"]
    assert carried["triage_level"] == "soon" and carried["avoid_regions"] == ["lower_back"]


def test_after_the_health_memory_health_facts_are_asked_again(monkeypatch):
    monkeypatch.setenv("UNKNOT_HEALTH_MEMORY_DAYS", "30")
    carried = _start(_tracker(time.time() - 31 * DAY))
    assert carried["body_region"] == "calves" and carried["equipment"] == "foam_roller"
    for health in ("contraindications", "avoid_regions", "triage_level", "red_flags", "screened"):
        assert health not in carried


def test_the_health_memory_never_outlasts_retention(monkeypatch):
    monkeypatch.setenv("UNKNOT_HEALTH_MEMORY_DAYS", "400")
    monkeypatch.setenv("UNKNOT_RETENTION_DAYS", "90")
    assert health_memory_days() == 90
    monkeypatch.setenv("UNKNOT_HEALTH_MEMORY_DAYS", "nonsense")
    assert health_memory_days() == 30
