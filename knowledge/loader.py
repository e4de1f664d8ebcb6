"""Writes validated content into the database in one transaction.

Validation happens first (schema.load_content); the write replaces all content rows
inside a single transaction, so a failure leaves the previous content untouched.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, delete, inspect, select
from sqlalchemy.orm import Session

from . import models as m
from .schema import Content, fingerprint_of, load_content, CONTENT_DIR


def loaded_fingerprint(engine: Engine) -> str | None:
    """Fingerprint of the content in the database, or None when nothing is loaded."""
    m.Base.metadata.create_all(engine)
    with Session(engine) as session:
        row = session.scalars(select(m.ContentVersion).order_by(m.ContentVersion.id.desc())).first()
        return row.fingerprint if row else None


def load_into_database(engine: Engine, directory: Path | str | None = None, *, force: bool = False) -> tuple[bool, Content | None]:
    """Validates the content and loads it. Returns (loaded, content); skips unchanged content."""
    directory = Path(directory) if directory else CONTENT_DIR
    if not force and loaded_fingerprint(engine) == fingerprint_of(directory):
        return False, None
    content = load_content(directory)  # raises ContentError before any write
    m.Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        if _content_columns_changed(session):
            # Content is derived from the YAML, so an older layout of its tables is simply
            # rebuilt (in the same transaction); user tables are never touched.
            tables = [t.__table__ if hasattr(t, "__table__") else t for t in m.CONTENT_TABLES]
            m.Base.metadata.drop_all(session.connection(), tables=tables)
            m.Base.metadata.create_all(session.connection(), tables=tables)
        for table in m.CONTENT_TABLES:
            session.execute(delete(table.__table__ if hasattr(table, "__table__") else table))
        _write(session, content)
    return True, content


def _content_columns_changed(session: Session) -> bool:
    inspector = inspect(session.connection())
    for table in m.CONTENT_TABLES:
        table = table.__table__ if hasattr(table, "__table__") else table
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        if existing != {c.name for c in table.columns}:
            return True
    return False


def _write(session: Session, content: Content) -> None:
    session.add_all(m.Region(id=t.id, name=t.name) for t in content.regions)
    session.add_all(m.Activity(id=t.id, name=t.name) for t in content.activities)
    session.add_all(m.Equipment(id=t.id, name=t.name, description=t.description) for t in content.equipment)
    contraindications = {c.id: m.Contraindication(
        id=c.id, title=c.title, effect=c.effect, message=c.message, source=c.source)
        for c in content.contraindications}
    session.add_all(contraindications.values())
    session.flush()
    activities = {a.id: a for a in session.scalars(select(m.Activity))}
    for r in content.routines:
        session.add(m.Routine(
            id=r.id, title=r.title, region_id=r.region, equipment_id=r.equipment,
            muscles=", ".join(r.muscles), summary=r.summary, duration_minutes=r.duration_minutes,
            dose=r.dose, frequency=r.frequency, evidence_label=r.evidence_label,
            evidence_source=r.evidence_source, cautions="\n".join(r.cautions),
            closing_name=r.closing_name, closing_instructions=r.closing_instructions,
            sources="\n".join(r.sources),
            steps=[m.RoutineStep(index=i, position=s.position, action=s.action, seconds=s.seconds,
                                 reps=s.reps, pressure=s.pressure, avoid=s.avoid)
                   for i, s in enumerate(r.steps, start=1)],
            activities=[activities[a] for a in r.activities],
            contraindications=[contraindications[c] for c in r.contraindications],
        ))
    session.add_all(m.RedFlag(id=f.id, level=f.level, title=f.title, advice=f.advice,
                              source=f.source, crisis=f.crisis) for f in content.red_flags)
    session.add_all(m.RedFlagCombination(id=c.id, members=",".join(c.all_of), level=c.level,
                                         advice=c.advice, source=c.source) for c in content.combinations)
    session.flush()
    for s in content.screenings:
        session.add(m.Screening(
            id=s.id, regions=",".join(s.regions), areas=",".join(s.areas), yes_flags=",".join(s.yes_flags),
            question=s.question,
            items=[m.ScreeningItem(index=i, flag_id=item.flag, label=item.label)
                   for i, item in enumerate(s.items, start=1)],
        ))
    session.add_all(m.OtherArea(id=a.id, message=a.message, suggest=",".join(a.suggest))
                    for a in content.other_areas)
    session.add_all(m.BotMessage(id=msg.id, texts=json.dumps(list(msg.texts))) for msg in content.messages)
    session.add(m.ContentVersion(fingerprint=content.fingerprint, routines=len(content.routines),
                                 loaded_at=datetime.now(timezone.utc)))
