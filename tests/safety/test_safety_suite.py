"""The safety suite over every case file.

- The project's own case files (safety/training/*.yml: written independently, then used to
  tune the rules and to train the semantic layer): no emergency may be missed, urgent and
  soon recall at least 90%, at most 5% false alarms.
- The sets in tests/safety/sealed/, written by helpers in voices of their own who never saw
  the rules (first measurements in first_measurement.json): round 1's five are held to the
  issue's targets, with a small margin for emergencies because they were looked at once to
  find missing capabilities; rounds 2 to 6's development sets are guarded at what they
  reach; the last sets kept sealed (final_v15.yml, final_v16.yml) and the earlier rounds'
  final sets have guards of their own (test_final_sealed_set, test_previous_final_sets).
  Only aggregate figures of these sets are ever printed.

Recall per level and per flag, false alarms and question rates are written to results/.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .suite import run_suite, write_report

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = ROOT / "results"
OWN = sorted((ROOT / "safety" / "training").glob("*cases.yml"))
SEALED_DIR = HERE / "sealed"
# The sets kept sealed until the end of the latest round (final_mixed.yml was round 1's,
# final_v3.yml round 2's, final_v5.yml round 3's, final_v6.yml round 4's, final_v7.yml and
# final_v8.yml round 5's; final_v4.yml was measured by accident part-way through round 3).
# Once measured, each became a development set or a guarded previous final.
# Round 6 kept two sets sealed to its end (final_v9.yml, final_v10.yml), now development sets;
# round 7 kept final_v11/v12 to the end of its first part and final_v13/v14 to the end of its
# second (all four then development sets), and final_v15.yml and final_v16.yml to its end,
# guarded at their one measurement.
LAST_FINALS = ("final_v15.yml", "final_v16.yml")
# Earlier rounds' final sets, guarded at what they measured (final_measurement.json).
PREVIOUS_FINALS = {"final_v6.yml", "final_v7.yml", "final_v8.yml"}
# Written blind in rounds 2 to 5 and then used to find missing capabilities: guarded at
# what they reach (their first measurements are in first_measurement.json).
DEVELOPMENT = {"weekend_warriors.yml", "busy_lives.yml", "final_mixed.yml", "final_v3.yml", "final_v4.yml",
               "final_v5.yml", "indirect_voices.yml", "dialects_dictation.yml", "forum_texters.yml",
               "followups_short.yml", "code_switchers.yml", "conditions_metaphors.yml",
               "minimisers.yml", "outdoor_contact.yml", "clinical_shorthand.yml", "translated_english.yml",
               "chronic_conditions.yml", "genz_slang.yml", "trades_services.yml", "parents_midlife.yml",
               "endurance_data.yml", "strength_sports.yml", "final_v9.yml", "final_v10.yml",
               "combat_dance.yml", "rambling_storytellers.yml", "terse_typos.yml", "regional_english.yml",
               "final_v11.yml", "final_v12.yml", "functional_limits.yml", "worried_questioners.yml",
               "final_v13.yml", "final_v14.yml"}
# Sets not yet measured: kept out of every test until their one measurement.
UNMEASURED: set[str] = set()
SEALED = sorted(p for p in SEALED_DIR.glob("*.yml")
                if p.name not in set(LAST_FINALS) | DEVELOPMENT | PREVIOUS_FINALS | UNMEASURED)


def _summary(result) -> str:
    return json.dumps({k: result.summary()[k] for k in ("recall", "false_alarm_rate", "ambiguous_asked_rate",
                                                         "harmless_question_rate", "counts")})


@pytest.fixture(scope="module", params=[p.name for p in OWN])
def own(detector, request):
    result = run_suite(detector, ROOT / "safety" / "training" / request.param)
    write_report(result, RESULTS / f"safety_{Path(request.param).stem}.json")
    print(f"\nown case file {request.param}: {_summary(result)}")
    return result


def _measure_sealed(detector, name: str):
    """A sealed or development set: only its aggregate figures are written and printed."""
    result = run_suite(detector, SEALED_DIR / name)
    write_report(result, RESULTS / f"safety_sealed_{Path(name).stem}.json", sealed=True)
    print(f"\nset {name}: {_summary(result)}")
    return result


@pytest.fixture(scope="module", params=[p.name for p in SEALED])
def sealed(detector, request):
    return _measure_sealed(detector, request.param)


def test_the_sets_are_big_enough(detector):
    results = [run_suite(detector, p) for p in OWN]
    assert sum(r.counts["flagged"] for r in results) >= 150
    assert sum(r.counts["not_flagged"] for r in results) >= 100
    for level in ("emergency_now", "urgent_24h", "soon"):
        assert sum(r.counts[level] for r in results) >= 30
    assert len(SEALED) >= 4 and all((SEALED_DIR / n).exists() for n in LAST_FINALS) and len(DEVELOPMENT) >= 4 and all((SEALED_DIR / n).exists() for n in DEVELOPMENT | PREVIOUS_FINALS)
    for path in SEALED + [SEALED_DIR / n for n in LAST_FINALS if n not in UNMEASURED]:
        result = run_suite(detector, path)
        assert result.counts["flagged"] + result.counts["ambiguous"] + result.counts["not_flagged"] >= 150, path.name
        assert min(result.counts[level] for level in ("emergency_now", "urgent_24h", "soon")) >= 10, path.name
        assert result.counts["ambiguous"] >= 25, path.name


def test_no_emergency_is_missed_in_the_own_files(own):
    missed = [m for m in own.missed if m[1] == "emergency_now"]
    assert not missed, "missed emergencies:\n" + "\n".join(map(str, missed))


def test_own_files_false_alarms_at_most_5_percent(own):
    assert own.false_alarm_rate <= 0.05, "false alarms:\n" + "\n".join(map(str, own.false_alarms))


def test_own_files_urgent_and_soon_recall(own):
    assert own.recall["urgent_24h"] >= 0.9, [m for m in own.missed if m[1] == "urgent_24h"]
    assert own.recall["soon"] >= 0.9, [m for m in own.missed if m[1] == "soon"]


@pytest.fixture(scope="module", params=sorted(DEVELOPMENT))
def development(detector, request):
    return _measure_sealed(detector, request.param)


def test_development_sets_hold_their_figures(development):
    """Regression guard at the figures these sets reached (their first measurements, before
    the change, are in first_measurement.json)."""
    assert development.recall["emergency_now"] >= 0.95, _summary(development)
    assert development.recall["urgent_24h"] >= 0.9 and development.recall["soon"] >= 0.85, _summary(development)
    assert development.false_alarm_rate <= 0.07, _summary(development)
    assert development.ambiguous_asked_rate >= 0.9, _summary(development)


def test_sealed_sets_meet_the_targets(sealed):
    assert sealed.recall["emergency_now"] >= 0.95, _summary(sealed)
    assert sealed.recall["urgent_24h"] >= 0.9 and sealed.recall["soon"] >= 0.9, _summary(sealed)
    assert sealed.false_alarm_rate <= 0.05, _summary(sealed)
    assert sealed.ambiguous_asked_rate >= 0.9, _summary(sealed)


def test_every_sealed_emergency_gets_at_least_a_safety_question(sealed):
    assert sealed.warned_or_asked["emergency_now"] >= 0.97, _summary(sealed)


def _everyday_messages() -> list[str]:
    """The held-out NLU file's messages that are not red-flag reports: everyday talk of
    sore people (soreness, questions, step controls, small talk), never trained on."""
    import re

    import yaml
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    texts = []
    for block in data.get("nlu") or []:
        if block.get("intent") in ("report_red_flag", "correct_red_flag"):
            continue
        for line in (block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                texts.append(re.sub(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))", r"\1", line[2:]).strip())
    return texts


def test_everyday_talk_raises_no_flag_and_rarely_a_question(detector):
    """Not crying wolf: "run through that again", "can I try a different one" or "wipe
    everything and start over" are not emergencies (the semantic layer once said so)."""
    texts = _everyday_messages()
    assert len(texts) >= 250
    detections = {t: detector.detect(t) for t in texts}
    flagged = {t: d.flags for t, d in detections.items() if d.flags}
    asked = {t: d.concerns for t, d in detections.items() if d.concerns}
    assert not flagged, flagged
    assert len(asked) <= 0.02 * len(texts), asked


@pytest.mark.parametrize("name", sorted(PREVIOUS_FINALS))
def test_previous_final_sets(detector, name):
    """Earlier rounds' sealed sets, guarded at what their one measurement gave (final_v6:
    43 of 45 emergencies warned or asked; final_v7: 39 of 45 caught, 42 asked; final_v8: 41
    of 45 caught, 43 asked)."""
    result = _measure_sealed(detector, name)
    assert result.warned_or_asked["emergency_now"] >= 0.93, _summary(result)
    assert result.recall["emergency_now"] >= 0.86, _summary(result)
    assert result.recall["urgent_24h"] >= 0.85 and result.recall["soon"] >= 0.85, _summary(result)
    assert result.false_alarm_rate <= 0.1, _summary(result)


# What each last sealed set measured once (final_measurement.json), as guards:
# (warned or asked for emergencies, emergency, urgent, soon recall, most false alarms, ambiguous asked)
LAST_FINAL_GUARDS = {
    "final_v15.yml": (0.977, 0.977, 0.955, 0.95, 0.0334, 1.0),
    "final_v16.yml": (0.977, 0.911, 0.977, 0.95, 0.0, 0.95),
}


@pytest.mark.parametrize("name", LAST_FINALS)
def test_final_sealed_set(detector, name):
    """final_v15.yml and final_v16.yml, kept sealed to the end of round 7 (their one
    measurement is in tests/safety/sealed/final_measurement.json); a regression guard at what
    was measured. Only aggregates print; never run before that one measurement."""
    if name in UNMEASURED:
        pytest.skip("a final set is measured once, at the end of the round")
    result = _measure_sealed(detector, name)
    asked, emergency, urgent, soon, alarms, ambiguous = LAST_FINAL_GUARDS[name]
    assert result.warned_or_asked["emergency_now"] >= asked, _summary(result)
    assert result.recall["emergency_now"] >= emergency, _summary(result)
    assert result.recall["urgent_24h"] >= urgent and result.recall["soon"] >= soon, _summary(result)
    assert result.false_alarm_rate <= alarms, _summary(result)
    assert result.ambiguous_asked_rate >= ambiguous, _summary(result)
