"""Command line of the safety detector.

    python -m safety build          write the caches (.state/cache) ahead of the first message
    python -m safety explain TEXT   what the detector finds in TEXT and why
"""
from __future__ import annotations

import sys
import time


def build() -> int:
    started = time.monotonic()
    from .detector import SymptomDetector
    detector = SymptomDetector()
    detector.detect("warming the caches: my chest feels tight and I can't breathe")
    print(f"safety detector ready ({time.monotonic() - started:.1f} s)")
    return 0


def explain(text: str) -> int:
    from .detector import SymptomDetector
    detection = SymptomDetector().detect(text)
    print(f"flags: {list(detection.flags)}  concerns: {list(detection.concerns)}")
    if detection.corrected_text:
        print(f"read as: {detection.corrected_text}")
    print(detection.explain())
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "build":
        return build()
    if len(argv) >= 2 and argv[0] == "explain":
        return explain(" ".join(argv[1:]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
