"""The safety suite's scoring, shared by the tests, `make bench` and the sealed-set
measurement (`python -m tests.safety.measure`).

A case file has up to three sections:
  flagged      the writer's own current red flag: `level` and `flags`
  ambiguous    a mention of a high-risk area that is not clearly a flag: `area`; the right
               answer is a warning or a safety question, never a routine
  not_flagged  harmless twins (negated, hypothetical, someone else, resolved, muscular): `why`
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
    # flagged messages that got at least a safety question (a warning, or a question whose
    # "yes" leads to the warning): the safety net behind recall
    warned_or_asked: dict = field(default_factory=dict)
    recall_by_flag: dict = field(default_factory=dict)
    ambiguous_asked_rate: float | None = None  # a warning or a safety question
    ambiguous_routine_rate: float | None = None  # neither: the bot would go on to a routine
    harmless_question_rate: float = 0.0  # harmless messages that got a safety question
    false_alarms_by_why: dict = field(default_factory=dict)
    missed: list = field(default_factory=list)  # (text, expected level, detected level, flags, asked)
    under_triaged: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)
    ambiguous_missed: list = field(default_factory=list)
    median_ms: float = 0.0
    worst_ms: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> dict:
        """The aggregate figures only: what may be shown of a sealed set."""
        return {k: v for k, v in self.as_dict().items()
                if k not in ("missed", "under_triaged", "false_alarms", "ambiguous_missed")}


def _concerns(detection) -> tuple:
    return tuple(getattr(detection, "concerns", ()) or ())


def _rate(numerator: int, denominator: int):
    return round(numerator / denominator, 4) if denominator else None


def run_suite(detector, cases_file: Path = CASES_FILE) -> SuiteResult:
    cases = yaml.safe_load(Path(cases_file).read_text(encoding="utf-8"))
    levels, combos = flag_rules()
    result = SuiteResult()
    timings = []

    def detect(text):
        started = time.perf_counter()
        detection = detector.detect(text)
        timings.append((time.perf_counter() - started) * 1000)
        level, _ = most_urgent(detection.flags, levels, combos)
        return detection, level

    caught = {level: 0 for level in LEVEL_ORDER[1:]}
    total = {level: 0 for level in LEVEL_ORDER[1:]}
    netted = {level: 0 for level in LEVEL_ORDER[1:]}
    by_flag: dict[str, list[int]] = {}
    for case in cases.get("flagged") or []:
        detection, level = detect(case["text"])
        expected = case["level"]
        total[expected] += 1
        # A case counts as caught when the warning is at least as urgent as it should be.
        ok = LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(expected)
        asked = bool(_concerns(detection))
        caught[expected] += ok
        netted[expected] += ok or asked
        for flag in case.get("flags") or []:
            by_flag.setdefault(flag, [0, 0])
            by_flag[flag][0] += ok
            by_flag[flag][1] += 1
        if not ok:
            result.missed.append((case["text"], expected, level, list(detection.flags), asked))
        elif level != "self_care" and not set(case.get("flags") or []) & set(detection.flags):
            result.under_triaged.append((case["text"], case.get("flags"), list(detection.flags)))
    ambiguous = cases.get("ambiguous") or []
    asked_count = 0
    for case in ambiguous:
        detection, level = detect(case["text"])
        if level != "self_care" or _concerns(detection):
            asked_count += 1
        else:
            result.ambiguous_missed.append((case["text"], case.get("area")))
    harmless = cases.get("not_flagged") or []
    false_alarms = questions = 0
    by_why: dict[str, list[int]] = {}
    for case in harmless:
        detection, level = detect(case["text"])
        why = case.get("why") or "other"
        by_why.setdefault(why, [0, 0])
        by_why[why][1] += 1
        if level != "self_care":
            false_alarms += 1
            by_why[why][0] += 1
            result.false_alarms.append((case["text"], why, list(detection.flags)))
        elif _concerns(detection):
            questions += 1
    result.recall = {level: _rate(caught[level], total[level]) for level in total}
    result.warned_or_asked = {level: _rate(netted[level], total[level]) for level in total}
    result.recall_by_flag = {flag: f"{ok}/{n}" for flag, (ok, n) in sorted(by_flag.items())}
    result.counts = {"flagged": sum(total.values()), "ambiguous": len(ambiguous), "not_flagged": len(harmless),
                     **total}
    result.false_alarm_rate = _rate(false_alarms, len(harmless)) or 0.0
    result.false_alarms_by_why = {why: f"{bad}/{n}" for why, (bad, n) in sorted(by_why.items())}
    result.harmless_question_rate = _rate(questions, len(harmless)) or 0.0
    result.ambiguous_asked_rate = _rate(asked_count, len(ambiguous))
    result.ambiguous_routine_rate = _rate(len(ambiguous) - asked_count, len(ambiguous))
    result.median_ms = round(statistics.median(timings), 3) if timings else 0.0
    result.worst_ms = round(max(timings), 3) if timings else 0.0
    return result


def write_report(result: SuiteResult, path: Path, *, sealed: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = result.summary() if sealed else result.as_dict()
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
