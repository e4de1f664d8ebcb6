"""The safety suite's scoring, shared by the tests and `make bench`."""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from safety.detector import SymptomDetector
from safety.levels import LEVEL_ORDER, most_urgent
from safety.terms import RED_FLAGS_FILE

CASES_FILE = Path(__file__).resolve().parent / "cases.yml"


def flag_rules():
    data = yaml.safe_load(RED_FLAGS_FILE.read_text(encoding="utf-8"))
    levels = {f["id"]: f["level"] for f in data["flags"]}
    combos = [(c["id"], c["all_of"], c["level"]) for c in data.get("combinations") or []]
    return levels, combos


@dataclass
class SuiteResult:
    recall: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    false_alarm_rate: float = 0.0
    missed: list = field(default_factory=list)  # (text, expected level, detected level, detected flags)
    under_triaged: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)
    median_ms: float = 0.0
    worst_ms: float = 0.0

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def run_suite(detector: SymptomDetector, cases_file: Path = CASES_FILE) -> SuiteResult:
    cases = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    levels, combos = flag_rules()
    result = SuiteResult()
    timings = []
    caught = {level: 0 for level in LEVEL_ORDER[1:]}
    total = {level: 0 for level in LEVEL_ORDER[1:]}
    for case in cases["flagged"]:
        started = time.perf_counter()
        detection = detector.detect(case["text"])
        timings.append((time.perf_counter() - started) * 1000)
        level, _ = most_urgent(detection.flags, levels, combos)
        expected = case["level"]
        total[expected] += 1
        # A case counts as caught when the warning is at least as urgent as it should be.
        if LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(expected):
            caught[expected] += 1
        else:
            result.missed.append((case["text"], expected, level, list(detection.flags)))
        if level == "self_care" or LEVEL_ORDER.index(level) < LEVEL_ORDER.index(expected):
            pass
        elif not set(case["flags"]) & set(detection.flags):
            result.under_triaged.append((case["text"], case["flags"], list(detection.flags)))
    false_alarms = 0
    for case in cases["not_flagged"]:
        started = time.perf_counter()
        detection = detector.detect(case["text"])
        timings.append((time.perf_counter() - started) * 1000)
        level, _ = most_urgent(detection.flags, levels, combos)
        if level != "self_care":
            false_alarms += 1
            result.false_alarms.append((case["text"], case.get("why"), list(detection.flags)))
    result.recall = {level: round(caught[level] / total[level], 4) if total[level] else None for level in total}
    result.counts = {"flagged": sum(total.values()), "not_flagged": len(cases["not_flagged"]), **total}
    result.false_alarm_rate = round(false_alarms / max(1, len(cases["not_flagged"])), 4)
    result.median_ms = round(statistics.median(timings), 3)
    result.worst_ms = round(max(timings), 3)
    return result


def write_report(result: SuiteResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
