"""A user's history with Unknot: routines done with pain before and after, referral
warnings given, preferences, summaries for a clinician; and erasing all of it.

Plain functions over the SQLAlchemy 2.x models (knowledge/models.py), testable without
Rasa. What counts as a meaningful change and when to refer come from the content
(knowledge/content/progress.yml), with their sources.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable, Optional

import yaml
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from . import models as m
from .schema import CONTENT_DIR


@dataclass(frozen=True)
class Rules:
    points: int  # a drop of at least this many points on 0-10 is meaningful...
    fraction: float  # ...or of at least this share of the starting score
    sessions_without_change: int  # refer when this many rated sessions of a region bring no meaningful change
    weeks_of_pain: int  # or when the region has been rated sore for longer than this


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = yaml.safe_load((CONTENT_DIR / "progress.yml").read_text(encoding="utf-8")) or {}
    change, refer = data.get("meaningful_change") or {}, data.get("refer") or {}
    return Rules(int(change.get("points", 2)), float(change.get("fraction", 0.3)),
                 int(refer.get("sessions_without_change", 3)), int(refer.get("weeks_of_pain", 6)))


def meaningful(before: Optional[int], after: Optional[int]) -> bool:
    """A drop of 2 points or 30% on the 0-10 scale (Farrar et al. 2001)."""
    if before is None or after is None or after >= before:
        return False
    r = rules()
    return before - after >= r.points or (before > 0 and (before - after) / before >= r.fraction)


@dataclass(frozen=True)
class Entry:
    date: str  # ISO date of the session
    region: str
    routine: str
    before: Optional[int]
    after: Optional[int]
    finished: bool

    def as_payload(self) -> dict:
        return {"date": self.date, "region": self.region, "routine": self.routine,
                "before": self.before, "after": self.after}


@dataclass(frozen=True)
class RegionSummary:
    region: str
    sessions: int
    last: Entry
    days_since_last: int
    streak_days: int  # consecutive days with a session, ending on the last one


@dataclass(frozen=True)
class Advice:
    """What the history says about the next offer for a region."""

    repeat: Optional[str] = None  # the routine that helped last time
    avoid: tuple[str, ...] = ()  # routines that did not help
    refer: bool = False  # see a physiotherapist or GP (NICE NG59)
    reason: str = ""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _key(user_key: str) -> str:
    return user_key[:255]


def conversation_hash(conversation_id: str) -> str:
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()


_PREPARED: set = set()


class Progress:
    def __init__(self, engine: Engine):
        self.engine = engine
        if id(engine) not in _PREPARED:  # the user tables exist even before the first content load
            m.Base.metadata.create_all(engine, tables=[t.__table__ for t in m.USER_TABLES])
            _PREPARED.add(id(engine))

    # ------------------------------------------------------------------ sessions
    def start(self, user_key: str, routine_id: str, region: str, equipment: str, before: Optional[int]) -> int:
        with Session(self.engine) as session, session.begin():
            row = m.RoutineSession(user_key=_key(user_key), routine_id=routine_id, region=region, equipment=equipment,
                                   before=before, started_at=_now())
            session.add(row)
            session.flush()
            return row.id

    def finish(self, session_id: int, after: Optional[int] = None) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(m.RoutineSession, session_id)
            if row is not None:
                row.finished_at = row.finished_at or _now()
                if after is not None:
                    row.after = after

    def rate_after(self, session_id: int, after: int) -> Optional[Entry]:
        with Session(self.engine) as session, session.begin():
            row = session.get(m.RoutineSession, session_id)
            if row is None:
                return None
            row.after = after
            row.finished_at = row.finished_at or _now()
            return _entry(row)

    def history(self, user_key: str, limit: int = 20, region: Optional[str] = None) -> list[Entry]:
        """Newest first."""
        query = select(m.RoutineSession).where(m.RoutineSession.user_key == _key(user_key))
        if region:
            query = query.where(m.RoutineSession.region == region)
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(m.RoutineSession.started_at.desc(), m.RoutineSession.id.desc())
                                   .limit(limit)).all()
            return [_entry(r) for r in rows]

    def regions(self, user_key: str, today: Optional[date] = None) -> list[RegionSummary]:
        today = today or _now().date()
        by_region: dict[str, list[Entry]] = {}
        for entry in self.history(user_key, limit=500):
            by_region.setdefault(entry.region, []).append(entry)
        out = []
        for region, entries in by_region.items():
            days = sorted({date.fromisoformat(e.date) for e in entries}, reverse=True)
            streak = 1
            for newer, older in zip(days, days[1:]):
                if (newer - older).days != 1:
                    break
                streak += 1
            out.append(RegionSummary(region, len(entries), entries[0], (today - days[0]).days, streak))
        return sorted(out, key=lambda r: r.last.date, reverse=True)

    def advice(self, user_key: str, region: str) -> Advice:
        """Repeat what helped, avoid what did not, refer when nothing changes (NICE NG59)."""
        entries = self.history(user_key, limit=50, region=region)
        rated = [e for e in entries if e.before is not None and e.after is not None]
        r = rules()
        refer, reason = False, ""
        recent = rated[:r.sessions_without_change]
        if len(recent) >= r.sessions_without_change and not any(meaningful(e.before, e.after) for e in recent) \
                and recent[0].after >= recent[-1].before - 1:
            refer, reason = True, f"no real change over your last {len(recent)} sessions"
        first_sore = [e for e in entries if (e.before or 0) >= 3]
        if first_sore and entries[0].before is not None and entries[0].before >= 3:
            weeks = (date.fromisoformat(entries[0].date) - date.fromisoformat(first_sore[-1].date)).days / 7
            if weeks > r.weeks_of_pain:
                refer, reason = True, f"it has been sore for over {r.weeks_of_pain} weeks"
        repeat = next((e.routine for e in rated[:1] if meaningful(e.before, e.after)), None)
        avoid = tuple(dict.fromkeys(e.routine for e in rated[:3] if not meaningful(e.before, e.after)
                                    and e.routine != repeat))
        return Advice(repeat, avoid, refer, reason)

    # ------------------------------------------------------------------ warnings and preferences
    def record_triage(self, user_key: str, level: str, flags: Iterable[str], advice: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(m.TriageRecord(user_key=_key(user_key), level=level, flags=",".join(flags), advice=advice,
                                       created_at=_now()))

    def triage_history(self, user_key: str) -> list[tuple[str, str, tuple[str, ...], str]]:
        """(ISO time, level, flags, advice), oldest first."""
        with Session(self.engine) as session:
            rows = session.scalars(select(m.TriageRecord).where(m.TriageRecord.user_key == _key(user_key))
                                   .order_by(m.TriageRecord.created_at)).all()
            return [(_aware(r.created_at).isoformat(timespec="seconds"), r.level,
                     tuple(f for f in r.flags.split(",") if f), r.advice) for r in rows]

    def asks_about_pain(self, user_key: str) -> bool:
        with Session(self.engine) as session:
            row = session.get(m.UserPreference, _key(user_key))
            return True if row is None else bool(row.ask_pain)

    def set_asks_about_pain(self, user_key: str, ask: bool) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(m.UserPreference, _key(user_key))
            if row is None:
                session.add(m.UserPreference(user_key=_key(user_key), ask_pain=ask, updated_at=_now()))
            else:
                row.ask_pain, row.updated_at = ask, _now()

    # ------------------------------------------------------------------ summaries
    def save_summary(self, summary_id: str, user_key: str, conversation_id: str, html: str, pdf: bytes,
                     fhir: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(m.UserSummary(id=summary_id, user_key=_key(user_key),
                                      conversation_hash=conversation_hash(conversation_id), created_at=_now(),
                                      html=html, pdf=pdf, fhir=fhir))

    # ------------------------------------------------------------------ erasure and retention
    def erase(self, user_key: str) -> dict[str, int]:
        """Every row of this user in every user table, in one transaction."""
        counts = {}
        with Session(self.engine) as session, session.begin():
            for table in m.USER_TABLES:
                result = session.execute(delete(table).where(table.user_key == _key(user_key)))
                counts[table.__tablename__] = result.rowcount or 0
        return counts

    def purge(self, older_than_days: int) -> dict[str, int]:
        """Deletes what is older than the retention period, table by table."""
        cutoff = _now() - timedelta(days=older_than_days)
        columns = {m.RoutineSession: m.RoutineSession.started_at, m.TriageRecord: m.TriageRecord.created_at,
                   m.UserPreference: m.UserPreference.updated_at, m.UserSummary: m.UserSummary.created_at,
                   m.SafetyHold: m.SafetyHold.created_at}
        counts = {}
        with Session(self.engine) as session, session.begin():
            for table, column in columns.items():
                counts[table.__tablename__] = session.execute(delete(table).where(column < cutoff)).rowcount or 0
        return counts


def _entry(row: m.RoutineSession) -> Entry:
    return Entry(_aware(row.started_at).date().isoformat(), row.region, row.routine_id, row.before, row.after,
                 row.finished_at is not None)
