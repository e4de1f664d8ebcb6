"""Rasa's SQL tracker store with an in-process cache of the latest trackers.

Rasa rebuilds the whole tracker from its SQL events on every message, so a long
conversation gets slower turn by turn. This keeps recently used trackers in memory
and only trusts a cached one when the database agrees: the newest stored event id
is the one we saw at our last save, and nothing was added since that was not saved.
Otherwise (another Rasa server wrote to the conversation, a turn failed half way)
it reloads from the database, so several servers behind a lock store stay correct.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Optional, Text

import sqlalchemy as sa

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore + a bounded LRU cache validated against the newest event id."""

    def __init__(self, *args: Any, cache_size: int = 512, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache_size = int(cache_size)
        self._cache: "OrderedDict[str, tuple[DialogueStateTracker, int, Optional[int]]]" = OrderedDict()

    def _newest_event_id(self, sender_id: Text) -> Optional[int]:
        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(
                self.SQLEvent.sender_id == sender_id).scalar()

    def _remember(self, tracker: DialogueStateTracker) -> None:
        self._cache[tracker.sender_id] = (tracker, len(tracker.events), self._newest_event_id(tracker.sender_id))
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        cached = self._cache.get(sender_id)
        if cached is not None:
            tracker, saved_events, newest_id = cached
            if len(tracker.events) == saved_events and self._newest_event_id(sender_id) == newest_id:
                self._cache.move_to_end(sender_id)
                return tracker
            self._cache.pop(sender_id, None)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._remember(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        self._remember(tracker)
