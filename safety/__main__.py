"""Command line of the safety detector.

    python -m safety build          write the caches (.state/cache) ahead of the first message
    python -m safety explain TEXT   what the detector finds in TEXT and why
    python -m safety fit-message-levels [--exclude SET.yml ...]
                                    refit the whole-message layer on the spent blind sets
                                    (tests/safety/sealed/), leaving out the set(s) still sealed
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


def fit_message_levels(excluded: list[str]) -> int:
    from . import message_levels
    from .encoder import shared_encoder
    unknown = [name for name in excluded if not (message_levels.SETS_DIR / name).exists()]
    if unknown:
        print(f"no such set: {', '.join(unknown)}")
        return 2
    paths = sorted(p for p in message_levels.SETS_DIR.glob("*.yml") if p.name not in excluded)
    data = message_levels.fit(paths, shared_encoder())
    print(f"fitted on {data['messages']} messages from {len(paths)} sets -> {message_levels.MODEL_FILE}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "build":
        return build()
    if len(argv) >= 2 and argv[0] == "explain":
        return explain(" ".join(argv[1:]))
    if len(argv) >= 1 and argv[0] == "fit-message-levels":
        excluded = [a for a in argv[1:] if a != "--exclude"]
        return fit_message_levels(excluded)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
