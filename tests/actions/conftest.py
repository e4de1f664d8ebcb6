"""Action tests: a tracker and the domain in, events and messages out (rasa_sdk style)."""
from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import base
from knowledge.db import make_engine
from knowledge.loader import load_into_database
from knowledge.query import KnowledgeBase, clear_caches
from knowledge.schema import REQUIRED_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture(scope="session")
def kb(tmp_path_factory) -> KnowledgeBase:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}")
    load_into_database(engine)
    clear_caches()
    knowledge = KnowledgeBase(engine)
    base.use_knowledge_base(knowledge)
    yield knowledge
    base.use_knowledge_base(None)


def initial_slots() -> dict[str, Any]:
    return {name: spec.get("initial_value") for name, spec in DOMAIN["slots"].items()}


def _test_sender() -> str:
    """One user per test, so that per-user state (an emergency hold) never leaks between tests."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "tester").split(" ")[0]
    return "t-" + re.sub(r"[^A-Za-z0-9_-]+", "-", current)[-60:]


def make_tracker(slots: Optional[dict] = None, intent: str = "describe_pain", text: str = "",
                 entities: Optional[list] = None, sender: Optional[str] = None,
                 metadata: Optional[dict] = None) -> Tracker:
    all_slots = {**initial_slots(), **(slots or {})}
    latest = {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text,
              "metadata": metadata or {}}
    return Tracker(sender or _test_sender(), all_slots, latest, [], False, None, {}, "action_listen")


def entity(name: str, value: str, role: Optional[str] = None) -> dict:
    record = {"entity": name, "value": value}
    if role:
        record["role"] = role
    return record


class Outcome:
    """What one action run produced."""

    def __init__(self, messages: list[dict], events: list[dict], slots_before: dict):
        self.messages = messages
        self.events = events
        self.slots = {**slots_before, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]

    @property
    def responses(self) -> list[str]:
        """Ids of the fixed messages (knowledge/content/messages.yml) among the texts."""
        kb = base.knowledge_base()
        ids = []
        for message in self.messages:
            for message_id in REQUIRED_MESSAGES:
                if message.get("text") and message["text"] in kb.message_texts(message_id):
                    ids.append(message_id)
                    break
        return ids

    def customs(self, kind: Optional[str] = None) -> list[dict]:
        return [m["custom"] for m in self.messages if m.get("custom") and (kind is None or m["custom"]["type"] == kind)]

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]


def run_action(action, tracker: Tracker, rate: bool = True) -> Outcome:
    """Runs one action. With `rate`, a pain rating it asks for (before or after a routine)
    is answered at once (5 before, 3 after), so tests about other things read as before;
    tests about the ratings pass rate=False."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    out = Outcome(dispatcher.messages, events, tracker.current_slot_values())
    if rate and out.slots.get("awaiting") in ("rate_before", "rate_after"):
        from actions.progress import ActionRatePain
        value = 5 if out.slots["awaiting"] == "rate_before" else 3
        answer = run_action(ActionRatePain(), make_tracker(out.slots, intent="rate_pain", sender=tracker.sender_id,
                                                           entities=[{"entity": "pain", "value": value}]), rate=False)
        out = Outcome(out.messages + answer.messages, events + answer.events, tracker.current_slot_values())
    return out
