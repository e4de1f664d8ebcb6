"""Rasa's SQL tracker store, with conversations kept short and failures made loud.

Long conversations: Rasa rebuilds the tracker from every event of the current session on
each message and sends all of them to the action server, so a long conversation gets
slower turn by turn. Once a session holds ROLLOVER_EVENTS events, at the end of a turn,
this store appends a new session (Rasa's own `action_session_start`, `session_started`,
then every slot that is set, then `action_listen`). Rasa reads only the latest session,
so what is loaded and sent stays bounded; the older events stay in the database (the full
history is still there for the tracker API and erasure), and every slot that matters (the
contract's, an emergency, a routine in progress) is carried into the new session.

Failures: Rasa wraps tracker stores in a FailSafeTrackerStore that turns a failed read into
"no conversation" and a failed write into an in-memory copy, silently. Here every failure
is noted in the turn's record (`watch_store_failures()`, a context variable holding a mutable
record, so a failure noted in a task the turn spawned, e.g. under asyncio.wait_for, still
reaches the channel) so that the channel
(channels/guarded.py) answers "I couldn't save that, please send it again" instead of a
reply that pretends it was stored. The database engine hides statement parameters, so a
failed write never puts a message's text in the logs.
"""
from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Optional, Text

import sqlalchemy as sa

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

ROLLOVER_EVENTS = 80
STORE_FAILURE: ContextVar[Optional[dict]] = ContextVar("unknot_store_failure", default=None)


def watch_store_failures() -> dict:
    """A fresh record for this turn; the store writes into it what failed ("retrieve" or
    "save"). Tasks started after this call share the record (a context copy keeps the same
    object), which a plain value set inside them would not."""
    record: dict = {}
    STORE_FAILURE.set(record)
    return record


def note_store_failure(what: str) -> None:
    record = STORE_FAILURE.get()
    if record is None:
        record = {}
        STORE_FAILURE.set(record)
    record.setdefault("failed", what)


def rollover_events(tracker: DialogueStateTracker) -> list:
    """A new session carrying every slot that is set, ready for the next user message."""
    events: list = [ActionExecuted("action_session_start"), SessionStarted()]
    for name, slot in tracker.slots.items():
        if slot.value is not None and slot.value != slot.initial_value:
            events.append(SlotSet(name, slot.value))
    events.append(ActionExecuted("action_listen"))
    return events


def events_since_session_start(tracker: DialogueStateTracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        count += 1
    return count


class RollingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that rolls long sessions over and reports failures."""

    def __init__(self, *args: Any, rollover_events: int = ROLLOVER_EVENTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rollover_after = int(rollover_events)
        # Same URL and options, but failed statements are logged without their parameters
        # (the events' JSON holds what the user typed).
        self.engine = sa.create_engine(self.engine.url, hide_parameters=True, pool_pre_ping=True)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except Exception:
            note_store_failure("retrieve")
            logger.error("could not read a conversation from the tracker store")
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
            if self._needs_rollover(tracker):
                rolled = tracker.copy()
                for event in rollover_events(tracker):
                    rolled.update(event)
                await super().save(rolled)
        except Exception:
            note_store_failure("save")
            logger.error("could not save a conversation to the tracker store")
            raise

    async def erase(self, sender_id: Text) -> int:
        """Every stored event of this conversation, all sessions ("delete my data")."""
        with self.session_scope() as session:
            count = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        return int(count or 0)

    def _needs_rollover(self, tracker: DialogueStateTracker) -> bool:
        if self.rollover_after <= 0 or events_since_session_start(tracker) < self.rollover_after:
            return False
        latest = tracker.latest_action_name
        return latest == "action_listen"  # only between turns
