"""Loading is all or nothing, and skipped when the content has not changed."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge import loader, models
from knowledge.query import KnowledgeBase
from knowledge.schema import ContentError


def _count(engine, model):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_load_writes_everything(engine):
    loaded, content = loader.load_into_database(engine)
    assert loaded
    assert _count(engine, models.Routine) == len(content.routines) >= 24
    assert _count(engine, models.RoutineStep) == sum(len(r.steps) for r in content.routines)
    assert _count(engine, models.RedFlag) == len(content.red_flags)
    assert _count(engine, models.Screening) == len(content.screenings)
    assert KnowledgeBase(engine).routine_count() == len(content.routines)


def test_unchanged_content_is_not_loaded_twice(engine):
    assert loader.load_into_database(engine)[0]
    assert loader.load_into_database(engine)[0] is False
    assert loader.load_into_database(engine, force=True)[0]
    assert _count(engine, models.ContentVersion) == 1


def test_invalid_content_leaves_the_previous_load_untouched(engine, content_copy):
    loader.load_into_database(engine, content_copy)
    before = _count(engine, models.Routine)
    path = sorted((content_copy / "routines").glob("*.yml"))[0]
    data = yaml.safe_load(path.read_text())
    data["steps"] = []
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError):
        loader.load_into_database(engine, content_copy)
    assert _count(engine, models.Routine) == before


def test_a_failure_half_way_through_the_write_rolls_back(engine, content_copy, monkeypatch):
    loader.load_into_database(engine, content_copy)
    before = (_count(engine, models.Routine), _count(engine, models.RoutineStep))
    real_write = loader._write

    def write_then_fail(session, content):
        real_write(session, content)
        session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_write", write_then_fail)
    with pytest.raises(RuntimeError):
        loader.load_into_database(engine, content_copy, force=True)
    assert (_count(engine, models.Routine), _count(engine, models.RoutineStep)) == before
