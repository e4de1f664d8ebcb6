"""Understanding measured on a sealed set of single messages (tests/nlu/sealed_voices.yml):
does the sore region, the activity and the equipment end up in the conversation?

    python -m tests.nlu.measure [FILE] [--json OUT] [--show]

Two readings of the same parse:
- `entities`: the first non-negated region (activity, equipment) found is the expected one;
- `kept_before_entity_first`: what the dialogue kept before issue 10, when only the pain
  intents (describe_pain, inform, report_red_flag) updated the slots; a region found in a
  message classified as a question, small talk, fallback or out of scope was dropped.
Since issue 10 every non-negated entity updates the conversation whatever the intent, so the
`entities` reading is what the conversation keeps. Out-of-scope messages (all fields null)
must have no region and no routine-leading intent. Aggregates only unless --show.
"""
from __future__ import annotations

import argparse
import logging
import os
import asyncio
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Before Rasa is imported: Rasa logs every parsed text at debug level, never wanted here.
os.environ["LOG_LEVEL"] = "WARNING"
sys.path.insert(0, str(ROOT))
SEALED = Path(__file__).resolve().parent / "sealed_voices.yml"
MODEL = ROOT / "models" / "unknot.tar.gz"
PAIN_INTENTS = {"describe_pain", "inform", "report_red_flag"}
FIELDS = (("region", "body_region"), ("activity", "activity"), ("equipment", "equipment"))


def first_value(entities: list[dict], name: str):
    return next((e["value"] for e in entities if e.get("entity") == name and e.get("role") != "not"), None)


def measure(parsed: list[dict], messages: list[dict]) -> tuple[dict, list]:
    totals: dict[str, list[int]] = {}
    by_voice: dict[str, list[int]] = {}
    misses = []

    def count(key: str, ok: bool) -> None:
        bucket = totals.setdefault(key, [0, 0])
        bucket[0] += ok
        bucket[1] += 1

    for message, result in zip(messages, parsed):
        entities = result.get("entities") or []
        intent = (result.get("intent") or {}).get("name")
        in_scope = any(message.get(field) for field, _ in FIELDS)
        if not in_scope:
            ok = not first_value(entities, "body_region") and intent in ("out_of_scope", "nlu_fallback", "greet", "goodbye",
                                                                         "thank", "bot_challenge", "ask_help")
            count("out_of_scope_recognised", ok)
            if not ok:
                misses.append(("out of scope", message["text"], intent, first_value(entities, "body_region")))
            continue
        count("in_scope_not_out_of_scope", intent not in ("out_of_scope",))
        for field, entity in FIELDS:
            expected = message.get(field)
            if expected is None:
                continue
            got = first_value(entities, entity)
            if field == "region":
                found = {e["value"] for e in entities if e.get("entity") == entity and e.get("role") != "not"}
                got_ok = got == expected or (expected in found and len(message.get("regions") or []) > 1)
            else:
                got_ok = got == expected
            count(field, got_ok)
            count(f"{field}_kept_before_entity_first", got_ok and intent in PAIN_INTENTS)
            if field == "region":
                voice = by_voice.setdefault(message.get("voice", "?"), [0, 0])
                voice[0] += got_ok
                voice[1] += 1
            if not got_ok:
                misses.append((field, message["text"], intent, got, expected))
    figures = {key: round(ok / n, 4) for key, (ok, n) in totals.items()}
    figures["counts"] = {key: n for key, (_, n) in totals.items()}
    figures["region_by_voice"] = {v: round(ok / n, 4) for v, (ok, n) in sorted(by_voice.items())}
    return figures, misses


def parse_all(texts: list[str]) -> list[dict]:
    import os
    os.environ["LOG_LEVEL"] = "WARNING"  # Rasa logs each parsed text at debug level: never for a sealed set
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    configure_logging_and_warnings(logging.WARNING)
    agent = Agent.load(str(MODEL))

    async def run():
        return [await agent.parse_message(text) for text in texts]
    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, default=SEALED)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--show", action="store_true", help="print the misses (never for a sealed set)")
    args = parser.parse_args()
    messages = yaml.safe_load(args.file.read_text(encoding="utf-8"))["messages"]
    figures, misses = measure(parse_all([m["text"] for m in messages]), messages)
    print(json.dumps(figures, indent=1))
    if args.show:
        for miss in misses:
            print("  MISS", miss)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
