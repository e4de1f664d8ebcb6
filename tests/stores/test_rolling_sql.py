"""The rolling SQL tracker store: bounded sessions, whole history, no duplicates, loud failures."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from stores.rolling_sql import RollingSQLTrackerStore, watch_store_failures

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(domain, tmp_path):
    return RollingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"), rollover_events=40)


def run(coro):
    return asyncio.run(coro)


def turn(tracker: DialogueStateTracker, n: int) -> None:
    tracker.update(UserUttered(f"message {n}", {"name": "describe_pain", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_handle_pain"))
    tracker.update(SlotSet("step_index", n))
    tracker.update(ActionExecuted("action_listen"))


def stored_count(store, sender: str) -> int:
    with store.session_scope() as session:
        return session.query(sa.func.count(store.SQLEvent.id)).filter(store.SQLEvent.sender_id == sender).scalar()


def test_a_long_conversation_stays_short_and_keeps_its_slots(store, domain):
    sender = "long-one"
    added = 0
    for n in range(1, 101):
        tracker = run(store.retrieve(sender)) or DialogueStateTracker(sender, domain.slots)
        if n == 1:
            tracker.update(SlotSet("triage_level", "emergency_now"))
            tracker.update(SlotSet("routine_id", "quads_foam_roller"))
            added += 2
        before = len(tracker.events)
        turn(tracker, n)
        added += len(tracker.events) - before
        run(store.save(tracker))
    latest = run(store.retrieve(sender))
    assert len(latest.events) <= 40 + 10
    assert latest.get_slot("triage_level") == "emergency_now"
    assert latest.get_slot("routine_id") == "quads_foam_roller" and latest.get_slot("step_index") == 100
    full = run(store.retrieve_full_tracker(sender))
    texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert texts == [f"message {n}" for n in range(1, 101)]  # the whole history, each once
    rollovers = sum(isinstance(e, SessionStarted) for e in full.events)
    assert rollovers >= 5 and stored_count(store, sender) == len(full.events)


def test_a_new_session_started_by_rasa_stores_no_duplicates(store, domain):
    sender = "two-sessions"
    tracker = DialogueStateTracker(sender, domain.slots)
    turn(tracker, 1)
    run(store.save(tracker))
    tracker = run(store.retrieve(sender))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, 2)
    run(store.save(tracker))
    run(store.save(run(store.retrieve(sender))))  # a second server saving what it read changes nothing
    full = run(store.retrieve_full_tracker(sender))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["message 1", "message 2"]
    assert stored_count(store, sender) == len(full.events)


def test_a_failed_write_is_reported_not_hidden(store, domain, monkeypatch):
    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("INSERT", {"data": "my secret message"}, Exception("database is gone"))
    monkeypatch.setattr(store, "_additional_events", broken)
    tracker = DialogueStateTracker("failing", domain.slots)
    turn(tracker, 1)

    async def attempt():
        record = watch_store_failures()

        async def inner():  # a task of its own, as under asyncio.wait_for
            with pytest.raises(sa.exc.OperationalError):
                await store.save(tracker)
        await asyncio.wait_for(inner(), timeout=30)
        return record
    assert run(attempt()) == {"failed": "save"}


def test_statement_parameters_are_hidden(store):
    assert store.engine.hide_parameters
