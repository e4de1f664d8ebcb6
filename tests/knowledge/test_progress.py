"""A user's history: ratings, adaptation, summaries (validated as FHIR R4), erasure, retention."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from knowledge import models
from knowledge.progress import Progress, meaningful
from knowledge.summary import build


@pytest.fixture
def progress(kb) -> Progress:
    return kb.progress


def three_sessions(progress: Progress, user: str, ratings=((6, 3), (5, 4), (4, 2))) -> None:
    for days_ago, (before, after) in zip((2, 1, 0), ratings):
        sid = progress.start(user, "lower_back_hands", "lower_back", "hands", before)
        progress.rate_after(sid, after)
        with Session(progress.engine) as session, session.begin():
            session.execute(update(models.RoutineSession).where(models.RoutineSession.id == sid).values(
                started_at=datetime.now(timezone.utc) - timedelta(days=days_ago)))


@pytest.mark.parametrize("before, after, expected", [(6, 4, True), (3, 2, True), (10, 8, True), (5, 5, False),
                                                     (6, 5, False), (None, 2, False), (2, 3, False)])
def test_a_meaningful_change_is_2_points_or_30_percent(before, after, expected):
    assert meaningful(before, after) is expected


def test_history_is_newest_first_with_streaks(progress):
    three_sessions(progress, "u-history")
    entries = progress.history("u-history")
    assert [(e.before, e.after) for e in entries] == [(4, 2), (5, 4), (6, 3)]
    region = progress.regions("u-history")[0]
    assert region.sessions == 3 and region.streak_days == 3 and region.days_since_last == 0


def test_advice_repeats_what_helped_and_refers_when_nothing_changes(progress):
    three_sessions(progress, "u-helped")
    assert progress.advice("u-helped", "lower_back").repeat == "lower_back_hands"
    three_sessions(progress, "u-stuck", ratings=((6, 6), (6, 5), (6, 6)))
    advice = progress.advice("u-stuck", "lower_back")
    assert advice.refer and not advice.repeat and "lower_back_hands" in advice.avoid


def test_a_summary_in_three_forms_with_the_same_numbers(kb, progress):
    from fhir.resources.bundle import Bundle
    user = "u-summary"
    three_sessions(progress, user)
    progress.record_triage(user, "soon", ["persistent_pain"], "Book a physio within days.")
    page, pdf, fhir_json = build(progress, user, kb.flag_titles())
    assert pdf.startswith(b"%PDF") and len(pdf) > 800
    for before, after in ((6, 3), (5, 4), (4, 2)):
        assert f"{before} → {after}" in page
    bundle = Bundle.model_validate(json.loads(fhir_json))  # a valid FHIR R4 Bundle
    observations = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"]
    pain = [o for o in observations if o.code.coding and o.code.coding[0].code == "72514-3"]
    assert sorted(o.valueInteger for o in pain) == sorted([6, 3, 5, 4, 4, 2])
    flags = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Flag"]
    assert flags and "six weeks" in flags[0].code.text.lower()
    assert "<script" not in page.lower()


def test_erasure_leaves_nothing_of_the_user(kb, progress):
    user = "u-erase"
    three_sessions(progress, user)
    progress.record_triage(user, "urgent_24h", ["dvt"], "Get seen today.")
    progress.set_asks_about_pain(user, False)
    progress.save_summary("s" * 32, user, "conversation-id", "<p>x</p>", b"%PDF", "{}")
    kb.record_emergency(user, ["sudden_breathlessness"], "Call now.")
    three_sessions(progress, "someone-else")
    counts = progress.erase(user)
    assert sum(counts.values()) >= 7
    with Session(progress.engine) as session:
        for table in models.USER_TABLES:
            left = session.scalar(select(func.count()).select_from(table).where(table.user_key == user))
            assert left == 0, table.__tablename__
    assert len(progress.history("someone-else")) == 3


def test_retention_purges_only_what_is_older(progress):
    three_sessions(progress, "u-retention")
    with Session(progress.engine) as session, session.begin():
        session.execute(update(models.RoutineSession).where(models.RoutineSession.user_key == "u-retention")
                        .values(started_at=datetime.now(timezone.utc) - timedelta(days=400)))
    progress.start("u-retention", "calves_hands", "calves", "hands", 4)
    counts = progress.purge(older_than_days=365)
    assert counts["user_routine_session"] == 3 and len(progress.history("u-retention")) == 1
