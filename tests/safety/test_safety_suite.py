"""The safety suite: realistic flagged and harmless messages (tests/safety/cases.yml).

Fails if any emergency is missed or more than 5% of harmless messages raise a flag.
Recall per level and the false-alarm rate are printed and written to results/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .suite import run_suite, write_report

RESULTS = Path(__file__).resolve().parents[2] / "results" / "safety_suite.json"


@pytest.fixture(scope="module")
def suite(detector):
    result = run_suite(detector)
    write_report(result, RESULTS)
    print(f"\nsafety suite: recall {result.recall}, false alarms {result.false_alarm_rate:.1%}, "
          f"median {result.median_ms} ms, worst {result.worst_ms} ms, counts {result.counts}")
    return result


def test_suite_is_big_enough(suite):
    assert suite.counts["flagged"] >= 150 and suite.counts["not_flagged"] >= 100
    assert all(suite.counts[level] >= 30 for level in ("emergency_now", "urgent_24h", "soon"))


def test_no_emergency_is_missed(suite):
    missed = [m for m in suite.missed if m[1] == "emergency_now"]
    assert not missed, "missed emergencies:\n" + "\n".join(map(str, missed))


def test_false_alarm_rate_is_at_most_5_percent(suite):
    assert suite.false_alarm_rate <= 0.05, "false alarms:\n" + "\n".join(map(str, suite.false_alarms))


def test_urgent_and_soon_recall(suite):
    assert suite.recall["urgent_24h"] >= 0.95, [m for m in suite.missed if m[1] == "urgent_24h"]
    assert suite.recall["soon"] >= 0.9, [m for m in suite.missed if m[1] == "soon"]
