"""The query API the action server uses: routines ranked with reasons, alias lookups,
triage decisions, screenings, contraindications and user progress.

Returns plain frozen dataclasses, never ORM objects, so callers need no session.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable, Optional

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from . import models as m
from safety.levels import LEVEL_ORDER, most_urgent

from .db import make_engine
from .facts import activity_names, equipment_names, region_names


# How long an emergency warning stays in force for a user across new conversations.
EMERGENCY_HOLD_HOURS = 6

@dataclass(frozen=True)
class StepView:
    index: int
    position: str
    action: str
    seconds: Optional[int]
    reps: Optional[int]
    pressure: str
    avoid: str


@dataclass(frozen=True)
class RoutineView:
    id: str
    title: str
    region: str
    equipment: str
    muscles: str
    summary: str
    duration_minutes: int
    dose: str
    frequency: str
    evidence_label: str
    evidence_source: str
    cautions: tuple[str, ...]
    closing_name: str
    closing_instructions: str
    sources: tuple[str, ...]
    activities: tuple[str, ...]
    contraindications: tuple[str, ...]
    steps: tuple[StepView, ...]

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    def step(self, index: int) -> StepView:
        return self.steps[index - 1]


@dataclass(frozen=True)
class RoutineMatch:
    routine: RoutineView
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RoutineSearch:
    """Ranked matches; `fallback` says why they are not an exact equipment match."""

    matches: tuple[RoutineMatch, ...]
    fallback: Optional[str] = None  # None | "other_equipment" | "hands_only"
    note: str = ""

    @property
    def best(self) -> Optional[RoutineMatch]:
        return self.matches[0] if self.matches else None


@dataclass(frozen=True)
class TriageDecision:
    level: str
    flags: tuple[str, ...]
    advice: str
    titles: tuple[str, ...] = ()
    crisis: bool = False


@dataclass(frozen=True)
class ScreeningView:
    id: str
    question: str
    items: tuple[tuple[str, str], ...]  # (flag id, label)
    areas: tuple[str, ...] = ()
    yes_flags: tuple[str, ...] = ()

    @property
    def flag_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(flag for flag, _ in self.items))

    @property
    def flags_for_yes(self) -> tuple[str, ...]:
        """What a plain "yes" reports: the screening's own choice, else every item's flag."""
        return self.yes_flags or self.flag_ids


@dataclass(frozen=True)
class HoldView:
    flags: tuple[str, ...]
    advice: str


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class ContraindicationView:
    id: str
    title: str
    effect: str
    message: str


def _routine_view(row: m.Routine) -> RoutineView:
    return RoutineView(
        id=row.id, title=row.title, region=row.region_id, equipment=row.equipment_id,
        muscles=row.muscles, summary=row.summary, duration_minutes=row.duration_minutes,
        dose=row.dose, frequency=row.frequency, evidence_label=row.evidence_label,
        evidence_source=row.evidence_source,
        cautions=tuple(c for c in row.cautions.split("\n") if c),
        closing_name=row.closing_name, closing_instructions=row.closing_instructions,
        sources=tuple(s for s in row.sources.split("\n") if s),
        activities=tuple(sorted(a.id for a in row.activities)),
        contraindications=tuple(sorted(c.id for c in row.contraindications)),
        steps=tuple(StepView(index=s.index, position=s.position, action=s.action, seconds=s.seconds,
                             reps=s.reps, pressure=s.pressure, avoid=s.avoid) for s in row.steps),
    )


class KnowledgeBase:
    """Read access to the loaded content plus the user progress table."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def from_url(cls, url: str | None = None) -> "KnowledgeBase":
        return cls(make_engine(url))

    @property
    def progress(self) -> "Progress":
        """The user's history: routines with pain ratings, warnings, preferences, summaries."""
        from .progress import Progress
        return Progress(self.engine)

    def flag_titles(self) -> dict[str, str]:
        with Session(self.engine) as session:
            return dict(session.execute(select(m.RedFlag.id, m.RedFlag.title)).all())

    # ------------------------------------------------------------------ routines
    def routine(self, routine_id: str) -> Optional[RoutineView]:
        return _cached_routine(self.engine, routine_id)

    def find_routines(
        self,
        region: str,
        activity: Optional[str] = None,
        equipment: Optional[str] = None,
        *,
        exclude_equipment: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        any_equipment: bool = False,
        exclude_contraindicated: Iterable[str] = (),
    ) -> RoutineSearch:
        """Routines for a region, best first, each with why it matched.

        `exclude_contraindicated`: the user's conditions; a routine that lists one of them
        among its own contraindications is left out. With no routine for the requested
        equipment, the matches fall back to other equipment for the same region (hands
        first, as everybody has them).
        """
        excluded_kit = set(exclude_equipment)
        excluded_ids = set(exclude_ids)
        conditions = set(exclude_contraindicated)
        candidates = [r for r in _routines_for_region(self.engine, region)
                      if r.equipment not in excluded_kit and r.id not in excluded_ids
                      and not conditions & set(r.contraindications)]
        if not candidates:
            return RoutineSearch(matches=(), fallback=None,
                                 note=f"I have no other routine for the {region_names().get(region, region)}.")
        exact = [r for r in candidates if equipment is None or any_equipment or r.equipment == equipment]
        fallback, note = None, ""
        if not exact:
            wanted = equipment_names().get(equipment, equipment)
            if equipment in excluded_kit:
                note = f"I'll leave the {wanted} out for now, so here is another option."
            else:
                note = (f"I don't have a {wanted} routine for the {region_names().get(region, region)}, "
                        "so here is one with other equipment.")
            hands = [r for r in candidates if r.equipment == "hands"]
            fallback = "hands_only" if hands and len(hands) == len(candidates) else "other_equipment"
            exact = candidates
        ranked = sorted((self._score(r, region, activity, equipment) for r in exact),
                        key=lambda match: (-match.score, match.routine.duration_minutes, match.routine.id))
        return RoutineSearch(matches=tuple(ranked), fallback=fallback, note=note)

    @staticmethod
    def _score(r: RoutineView, region: str, activity: Optional[str], equipment: Optional[str]) -> RoutineMatch:
        score = 1.0
        reasons = [f"works on your {region_names().get(region, region)} ({r.muscles})"]
        if equipment and r.equipment == equipment:
            score += 3.0
            reasons.append(f"uses the {equipment_names()[equipment]}" if equipment != "hands"
                           else "needs nothing but your hands")
        elif r.equipment == "hands":
            score += 0.5
            reasons.append("needs nothing but your hands")
        if activity and activity in r.activities:
            score += 2.0
            reasons.append(f"suits the load {activity_names().get(activity, activity)} puts on it")
        score += {"small benefit for soreness": 0.3, "probably helpful short-term": 0.3}.get(r.evidence_label, 0.0)
        return RoutineMatch(routine=r, score=round(score, 2), reasons=tuple(reasons))

    # ------------------------------------------------------------------ safety
    def triage(self, flag_ids: Iterable[str]) -> TriageDecision:
        """The most urgent level these flags and their combinations call for."""
        flag_ids = tuple(dict.fromkeys(flag_ids))
        with Session(self.engine) as session:
            flags = {f.id: f for f in session.scalars(select(m.RedFlag).where(m.RedFlag.id.in_(flag_ids)))}
            combos = {c.id: c for c in session.scalars(select(m.RedFlagCombination))}
        level, source = most_urgent(
            flag_ids, {f.id: f.level for f in flags.values()},
            [(c.id, c.members.split(","), c.level) for c in combos.values()])
        if level == "self_care":
            return TriageDecision(level="self_care", flags=(), advice="")
        crisis = any(f.crisis for f in flags.values())
        # A crisis (self-harm) message always leads, whatever else was said.
        advice = next((f.advice for f in flags.values() if f.crisis), None) if crisis and level == "emergency_now" else None
        advice = advice or (flags[source].advice if source in flags else combos[source].advice)
        shown = tuple(f for f in flag_ids if f in flags)
        return TriageDecision(level=level, flags=shown, advice=advice,
                              titles=tuple(flags[f].title for f in shown), crisis=crisis)

    def screening_for(self, region: str) -> Optional[ScreeningView]:
        """The safety question for a body region, if it has one."""
        return next((v for v in _screenings(self.engine) if region in v.regions), None)

    def screening_for_area(self, area: str) -> Optional[ScreeningView]:
        """The safety question for a high-risk area (chest or heart, breathing, head...)."""
        return next((v for v in _screenings(self.engine) if area in v.areas), None)

    def screening(self, screening_id: str) -> Optional[ScreeningView]:
        return next((v for v in _screenings(self.engine) if v.id == screening_id), None)

    def contraindications(self, ids: Iterable[str]) -> list[ContraindicationView]:
        ids = list(dict.fromkeys(ids))
        with Session(self.engine) as session:
            rows = {c.id: c for c in session.scalars(select(m.Contraindication).where(m.Contraindication.id.in_(ids)))}
        return [ContraindicationView(id=r.id, title=r.title, effect=r.effect, message=r.message)
                for r in (rows.get(i) for i in ids) if r is not None]

    def other_area(self, area_id: str) -> Optional[tuple[str, tuple[str, ...]]]:
        """(message, suggested regions) for a body part that has no routine of its own."""
        with Session(self.engine) as session:
            row = session.get(m.OtherArea, area_id)
            return (row.message, tuple(row.suggest.split(","))) if row else None

    # ------------------------------------------------------------------ messages
    def message_texts(self, message_id: str) -> tuple[str, ...]:
        return _cached_message(self.engine, message_id)

    def message(self, message_id: str, rng: random.Random | None = None) -> str:
        """One of the variations of a fixed message."""
        texts = self.message_texts(message_id)
        if not texts:
            raise KeyError(f"no message '{message_id}' in the knowledge base")
        return (rng or random).choice(texts)

    # ------------------------------------------------------------------ emergency hold
    def record_emergency(self, user_key: str, flags: list[str], advice: str) -> None:
        """An emergency warning given to this user: in force for EMERGENCY_HOLD_HOURS."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session, session.begin():
            session.add(m.SafetyHold(user_key=user_key[:255], level="emergency_now", flags=",".join(flags),
                                     advice=advice, created_at=now,
                                     expires_at=now + timedelta(hours=EMERGENCY_HOLD_HOURS)))

    def _holds(self, session: Session, user_key: str):
        return select(m.SafetyHold).where(m.SafetyHold.user_key == user_key[:255],
                                          m.SafetyHold.withdrawn_at.is_(None))

    def active_emergency(self, user_key: str) -> Optional["HoldView"]:
        """The user's emergency warning still in force, if any."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session:
            row = session.scalars(self._holds(session, user_key).where(m.SafetyHold.expires_at > now)
                                  .order_by(m.SafetyHold.created_at.desc())).first()
            return HoldView(tuple(f for f in row.flags.split(",") if f), row.advice) if row else None

    def emergency_expired(self, user_key: str) -> bool:
        """True when the user's emergency warnings have all run out (none withdrawn or active)."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session:
            rows = session.scalars(self._holds(session, user_key)).all()
            return bool(rows) and all(_aware(r.expires_at) <= now for r in rows)

    def withdraw_emergency(self, user_key: str, note: str) -> int:
        """Records that the user confirmed the emergency was typed by mistake."""
        now = datetime.now(timezone.utc)
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(self._holds(session, user_key).where(m.SafetyHold.expires_at > now)).all()
            for row in rows:
                row.withdrawn_at, row.withdraw_note = now, note[:255]
            return len(rows)

    # ------------------------------------------------------------------ progress
    def routine_count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(m.Routine)) or 0


@lru_cache(maxsize=256)
def _routines_for_region(engine: Engine, region: str) -> tuple[RoutineView, ...]:
    # Content only changes through a load followed by a restart, so caching views is safe.
    with Session(engine) as session:
        rows = session.scalars(
            select(m.Routine).where(m.Routine.region_id == region).options(
                selectinload(m.Routine.steps), selectinload(m.Routine.activities),
                selectinload(m.Routine.contraindications)).order_by(m.Routine.id))
        return tuple(_routine_view(r) for r in rows)


@lru_cache(maxsize=512)
def _cached_routine(engine: Engine, routine_id: str) -> Optional[RoutineView]:
    with Session(engine) as session:
        row = session.get(m.Routine, routine_id, options=[
            selectinload(m.Routine.steps), selectinload(m.Routine.activities),
            selectinload(m.Routine.contraindications)])
        return _routine_view(row) if row else None


@dataclass(frozen=True)
class _ScreeningRow(ScreeningView):
    regions: tuple[str, ...] = ()


@lru_cache(maxsize=8)
def _screenings(engine: Engine) -> tuple[_ScreeningRow, ...]:
    with Session(engine) as session:
        rows = session.scalars(select(m.Screening).options(selectinload(m.Screening.items)).order_by(m.Screening.id))
        return tuple(_ScreeningRow(
            id=row.id, question=row.question, items=tuple((i.flag_id, i.label) for i in row.items),
            areas=tuple(a for a in (row.areas or "").split(",") if a),
            yes_flags=tuple(f for f in (row.yes_flags or "").split(",") if f),
            regions=tuple(r for r in (row.regions or "").split(",") if r)) for row in rows)


@lru_cache(maxsize=128)
def _cached_message(engine: Engine, message_id: str) -> tuple[str, ...]:
    with Session(engine) as session:
        row = session.get(m.BotMessage, message_id)
        return tuple(json.loads(row.texts)) if row else ()


def clear_caches() -> None:
    """After loading new content into a running process."""
    _cached_message.cache_clear()
    _screenings.cache_clear()
    _routines_for_region.cache_clear()
    _cached_routine.cache_clear()
