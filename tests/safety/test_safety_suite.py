"""The safety suite: realistic flagged and harmless messages, in three files written
independently of each other and of the patterns (cases.yml, holdout_cases.yml,
final_cases.yml).

Fails if any emergency is missed or more than 5% of harmless messages raise a flag.
Recall per level and the false-alarm rate are printed and written to results/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .suite import run_suite, write_report

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parents[1] / "results"
SUITES = ["cases.yml", "holdout_cases.yml", "final_cases.yml"]


@pytest.fixture(scope="module", params=SUITES)
def suite(detector, request):
    result = run_suite(detector, HERE / request.param)
    write_report(result, RESULTS / f"safety_{Path(request.param).stem}.json")
    print(f"\nsafety suite {request.param}: recall {result.recall}, false alarms {result.false_alarm_rate:.1%}, "
          f"median {result.median_ms} ms, worst {result.worst_ms} ms, counts {result.counts}")
    return result


def test_suite_is_big_enough(detector):
    results = [run_suite(detector, HERE / name) for name in SUITES]
    assert sum(r.counts["flagged"] for r in results) >= 150
    assert sum(r.counts["not_flagged"] for r in results) >= 100
    for level in ("emergency_now", "urgent_24h", "soon"):
        assert sum(r.counts[level] for r in results) >= 30


def test_no_emergency_is_missed(suite):
    missed = [m for m in suite.missed if m[1] == "emergency_now"]
    assert not missed, "missed emergencies:\n" + "\n".join(map(str, missed))


def test_false_alarm_rate_is_at_most_5_percent(suite):
    assert suite.false_alarm_rate <= 0.05, "false alarms:\n" + "\n".join(map(str, suite.false_alarms))


def test_urgent_and_soon_recall(suite):
    assert suite.recall["urgent_24h"] >= 0.9, [m for m in suite.missed if m[1] == "urgent_24h"]
    assert suite.recall["soon"] >= 0.9, [m for m in suite.missed if m[1] == "soon"]
