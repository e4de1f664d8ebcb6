"""Picks the FallbackClassifier threshold on held-out data (tests/nlu/heldout.yml).

    python -m tests.nlu.calibrate_fallback [--json OUT]

For each threshold, a held-out message is "right" when DIET's top intent is the gold one
and its confidence reaches the threshold, "fallback" when the confidence is below it (the
assistant then says it did not understand, but since issue 10 still keeps any region,
activity or kit it found), and "wrong" otherwise. A wrong intent costs more than a
fallback (it answers the wrong thing), so the threshold minimises wrong + 0.5 x fallback.
"""
from __future__ import annotations

import argparse
import logging
import os
import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Before Rasa is imported: Rasa logs every parsed text at debug level, never wanted here.
os.environ["LOG_LEVEL"] = "WARNING"
sys.path.insert(0, str(ROOT))
HELDOUT = Path(__file__).resolve().parent / "heldout.yml"
MODEL = ROOT / "models" / "unknot.tar.gz"
THRESHOLDS = [round(0.20 + 0.05 * i, 2) for i in range(13)]


def top_intents(texts: list[str]) -> list[tuple[str, float]]:
    """DIET's top intent and confidence before the fallback and the safety override."""
    import os
    os.environ["LOG_LEVEL"] = "WARNING"
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    configure_logging_and_warnings(logging.WARNING)
    agent = Agent.load(str(MODEL))

    async def run():
        out = []
        for text in texts:
            parsed = await agent.parse_message(text)
            ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] not in ("nlu_fallback",)]
            out.append((ranking[0]["name"], ranking[0]["confidence"]) if ranking else ("", 0.0))
        return out
    return asyncio.run(run())


def calibrate(gold: list[str], predicted: list[tuple[str, float]]) -> dict:
    table = {}
    for threshold in THRESHOLDS:
        right = sum(g == p and c >= threshold for g, (p, c) in zip(gold, predicted))
        fallback = sum(c < threshold for _, c in predicted)
        wrong = len(gold) - right - fallback
        table[threshold] = {"right": right, "fallback": fallback, "wrong": wrong, "cost": wrong + 0.5 * fallback}
    best = min(table, key=lambda t: (table[t]["cost"], -t))
    return {"examples": len(gold), "best_threshold": best, "by_threshold": table}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from rasa.shared.nlu.training_data.loading import load_data
    examples = [m for m in load_data(str(HELDOUT)).training_examples if m.get("text")]
    report = calibrate([m.get("intent") for m in examples], top_intents([m.get("text") for m in examples]))
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
