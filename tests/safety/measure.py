"""Measures the detector on case files and prints the figures.

    python -m tests.safety.measure FILE... [--sealed] [--json OUT]

With --sealed only aggregate figures are printed (recall per level and per flag, false
alarms, question rates): never a message, so that a set kept sealed until the end can be
measured without anyone learning its wording.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--sealed", action="store_true", help="print aggregate figures only")
    parser.add_argument("--json", type=Path, help="write the figures of every file to this file")
    args = parser.parse_args()

    from safety.detector import SymptomDetector
    from tests.safety.suite import run_suite

    detector = SymptomDetector()
    report = {}
    for path in args.files:
        result = run_suite(detector, path)
        figures = result.summary()
        report[path.name] = figures
        print(f"== {path.name}: {json.dumps(figures)}")
        if not args.sealed:
            for text, expected, level, flags, asked in result.missed:
                print(f"  MISSED [{expected} -> {level}{', asked' if asked else ''}] {text}  {flags}")
            for text, why, flags in result.false_alarms:
                print(f"  FALSE ALARM [{why}] {text}  {flags}")
            for text, area in result.ambiguous_missed:
                print(f"  NOT ASKED [{area}] {text}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
