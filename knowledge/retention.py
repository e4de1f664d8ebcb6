"""Retention and erasure across every store of a user's data: the knowledge database's
user tables, and the conversation events in Rasa's SQL tracker store (written by the Rasa
server, erased here with plain SQL on its `events` table)."""
from __future__ import annotations

import os
import time
from typing import Optional

from sqlalchemy import create_engine, inspect, text

from .db import DEFAULT_SQLITE_PATH, make_engine
from .progress import Progress

DEFAULT_RETENTION_DAYS = 365
TRACKER_SQLITE = DEFAULT_SQLITE_PATH.parent / "tracker.db"


def retention_days() -> int:
    try:
        return max(1, int(os.environ.get("UNKNOT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)))
    except ValueError:
        return DEFAULT_RETENTION_DAYS


def tracker_url() -> Optional[str]:
    url = os.environ.get("TRACKER_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    return f"sqlite:///{TRACKER_SQLITE}" if TRACKER_SQLITE.exists() else None


def _tracker_engine(url: Optional[str]):
    url = url or tracker_url()
    if not url:
        return None
    engine = create_engine(url, hide_parameters=True)
    if not inspect(engine).has_table("events"):
        engine.dispose()
        return None
    return engine


def erase_conversation_events(sender_ids, url: Optional[str] = None) -> int:
    """Every stored event of these conversations (all sessions)."""
    engine = _tracker_engine(url)
    if engine is None:
        return 0
    with engine.begin() as connection:
        total = 0
        for sender in dict.fromkeys(s for s in sender_ids if s):
            total += connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender}).rowcount or 0
    engine.dispose()
    return total


def purge_everything(days: int, url: Optional[str] = None, tracker: Optional[str] = None) -> dict[str, int]:
    counts = Progress(make_engine(url)).purge(days)
    engine = _tracker_engine(tracker)
    if engine is not None:
        cutoff = time.time() - days * 86400
        with engine.begin() as connection:
            counts["events"] = connection.execute(text("DELETE FROM events WHERE timestamp < :t"),
                                                  {"t": cutoff}).rowcount or 0
        engine.dispose()
    return counts
