"""The query API: ranking with reasons, fallbacks, aliases, triage and screenings."""
from __future__ import annotations

import pytest

from knowledge.schema import REGION_IDS


@pytest.mark.parametrize("region", REGION_IDS)
def test_every_region_has_at_least_two_routines(kb, region):
    search = kb.find_routines(region)
    assert len(search.matches) >= 2
    assert search.fallback is None
    assert all(m.routine.region == region for m in search.matches)
    assert all(m.reasons for m in search.matches)


def test_equipment_match_ranks_first_and_says_why(kb):
    search = kb.find_routines("calves", "running", "foam_roller")
    best = search.best
    assert best.routine.equipment == "foam_roller"
    assert any("foam roller" in reason for reason in best.reasons)
    assert any("running" in reason for reason in best.reasons)
    scores = [m.score for m in search.matches]
    assert scores == sorted(scores, reverse=True)


def test_activity_raises_the_rank_of_suited_routines(kb):
    with_activity = kb.find_routines("quads", "cycling", None)
    suited = [m for m in with_activity.matches if "cycling" in m.routine.activities]
    unsuited = [m for m in with_activity.matches if "cycling" not in m.routine.activities]
    if suited and unsuited:
        assert max(m.score for m in suited) > max(m.score for m in unsuited)


def test_missing_equipment_falls_back_to_other_equipment(kb):
    regions_without_gun = [r for r in REGION_IDS
                           if not any(m.routine.equipment == "massage_gun" for m in kb.find_routines(r).matches)]
    assert regions_without_gun, "every region has a gun routine; pick another missing kit"
    search = kb.find_routines(regions_without_gun[0], None, "massage_gun")
    assert search.matches
    assert search.fallback in ("other_equipment", "hands_only")
    assert "massage gun" in search.note
    assert all(m.routine.equipment != "massage_gun" for m in search.matches)


def test_excluded_equipment_is_never_offered(kb):
    search = kb.find_routines("quads", None, "massage_gun", exclude_equipment={"massage_gun"})
    assert search.matches
    assert all(m.routine.equipment != "massage_gun" for m in search.matches)
    assert search.fallback is not None


def test_excluding_offered_routines_lists_the_rest(kb):
    first = kb.find_routines("glutes").best.routine.id
    rest = kb.find_routines("glutes", exclude_ids=[first])
    assert first not in [m.routine.id for m in rest.matches]


@pytest.mark.parametrize("phrase, kind, expected", [
    ("shoulder blade", "region", "upper_back"),
    ("Shoulder Blades", "region", "upper_back"),
    ("piriformis", "region", "glutes"),
    ("plantar fascia", "region", "feet"),
    ("IT band", "region", "quads"),
    ("hammies", "region", "hamstrings"),
    ("calves", "region", "calves"),
    ("pecs", "region", "chest"),
    ("lumbar", "region", "lower_back"),
    ("traps", "region", "neck"),
    ("leg day", "activity", "weightlifting"),
    ("10k", "activity", "running"),
    ("WOD", "activity", "hiit"),
    ("lacrosse ball", "equipment", "massage_ball"),
    ("theragun", "equipment", "massage_gun"),
    ("just my hands", "equipment", "hands"),
    ("toothache", "region", None),
    ("", "region", None),
])
def test_aliases_name_canonical_ids(phrase, kind, expected):
    """What people call a region, activity or kit maps to one id in the content (which the
    NLU lookup tables and synonyms are generated from)."""
    from knowledge.schema import load_content
    content = load_content()
    terms = {"region": content.regions, "activity": content.activities, "equipment": content.equipment}[kind]
    owners = [t.id for t in terms if phrase.lower() in (a.lower() for a in (*t.aliases, *t.ambiguous_aliases, t.name))]
    assert owners == ([expected] if expected else [])


def test_routine_view_has_steps_in_order(kb):
    routine = kb.find_routines("feet", None, "massage_ball").best.routine
    assert [s.index for s in routine.steps] == list(range(1, routine.total_steps + 1))
    assert kb.routine(routine.id) == routine
    assert kb.routine("no_such_routine") is None


def test_triage_takes_the_most_urgent_level(kb):
    assert kb.triage([]).level == "self_care"
    assert kb.triage(["cancer_history"]).level == "soon"
    assert kb.triage(["dvt"]).level == "urgent_24h"
    decision = kb.triage(["cancer_history", "cauda_equina"])
    assert decision.level == "emergency_now"
    assert set(decision.flags) == {"cancer_history", "cauda_equina"}
    assert decision.advice


def test_combinations_raise_the_level(kb):
    assert kb.triage(["dvt", "sudden_breathlessness"]).level == "emergency_now"
    assert kb.triage(["cue_age_over_50_or_under_20"]).level == "self_care"
    assert kb.triage(["cue_age_over_50_or_under_20", "cue_first_back_pain"]).level == "soon"


def test_self_harm_is_a_crisis(kb):
    decision = kb.triage(["self_harm"])
    assert decision.level == "emergency_now" and decision.crisis


@pytest.mark.parametrize("region, screening", [
    ("lower_back", "back"), ("upper_back", "back"), ("calves", "lower_leg"), ("shins", "lower_leg"),
    ("neck", "neck"), ("chest", "chest"), ("glutes", "glutes"), ("quads", None), ("feet", None),
])
def test_screenings_by_region(kb, region, screening):
    found = kb.screening_for(region)
    assert (found.id if found else None) == screening
    if found:
        assert found.items and found.question


def test_contraindications(kb):
    items = kb.contraindications(["blood_thinners", "open_wound", "nonsense"])
    assert [c.id for c in items] == ["blood_thinners", "open_wound"]
    assert items[0].effect == "no_massage_gun"
