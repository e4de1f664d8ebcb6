"""The trained model on data it never saw: the held-out NLU file and the safety suite.

Intent and entity F1 are written to results/nlu_heldout.json and printed.
"""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import f1_score, precision_recall_fscore_support

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "unknot.tar.gz"
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
RESULTS = ROOT / "results" / "nlu_heldout.json"
ENTITY_TYPES = ("body_region", "activity", "equipment")


@pytest.fixture(scope="module")
def agent():
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    from rasa.core.agent import Agent
    return Agent.load(str(MODEL))


def parse_all(agent, texts):
    async def run():
        return [await agent.parse_message(text) for text in texts]
    return asyncio.run(run())


def evaluate(agent) -> dict:
    data = load_data(str(HELDOUT))
    examples = [m for m in data.training_examples if m.get("text")]
    parsed = parse_all(agent, [m.get("text") for m in examples])
    gold_intents = [m.get("intent") for m in examples]
    predicted_intents = [p["intent"]["name"] for p in parsed]
    counts = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn per entity type and per value
    for message, prediction in zip(examples, parsed):
        gold = {(e["entity"], e["value"]) for e in message.get("entities") or [] if e["entity"] in ENTITY_TYPES}
        pred = {(e["entity"], e["value"]) for e in prediction.get("entities") or []
                if e["entity"] in ENTITY_TYPES and e.get("role") != "not"}
        for key in gold | pred:
            for bucket in (key[0], f"{key[0]}={key[1]}", "all"):
                counts[bucket][0] += key in gold and key in pred
                counts[bucket][1] += key in pred and key not in gold
                counts[bucket][2] += key in gold and key not in pred

    def f1(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
                "support": tp + fn}

    labels = sorted(set(gold_intents))
    p, r, f, s = precision_recall_fscore_support(gold_intents, predicted_intents, labels=labels, zero_division=0)
    confusions = defaultdict(int)
    for g, pr in zip(gold_intents, predicted_intents):
        if g != pr:
            confusions[f"{g} -> {pr}"] += 1
    return {
        "examples": len(examples),
        "intent_f1_weighted": round(f1_score(gold_intents, predicted_intents, average="weighted", zero_division=0), 4),
        "intent_f1_macro": round(f1_score(gold_intents, predicted_intents, average="macro", zero_division=0), 4),
        "intent_accuracy": round(sum(g == pr for g, pr in zip(gold_intents, predicted_intents)) / len(examples), 4),
        "per_intent": {label: {"precision": round(pp, 4), "recall": round(rr, 4), "f1": round(ff, 4), "support": int(ss)}
                       for label, pp, rr, ff, ss in zip(labels, p, r, f, s)},
        "entities": {key: f1(*value) for key, value in sorted(counts.items())},
        "worst_confusions": dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:10]),
    }


@pytest.fixture(scope="module")
def heldout(agent):
    report = evaluate(agent)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    ents = report["entities"]
    print(f"\nheld-out NLU: intent F1 (weighted) {report['intent_f1_weighted']}, macro {report['intent_f1_macro']}; "
          f"entity F1 all {ents.get('all', {}).get('f1')}, region {ents.get('body_region', {}).get('f1')}, "
          f"activity {ents.get('activity', {}).get('f1')}, equipment {ents.get('equipment', {}).get('f1')}; "
          f"worst confusions {report['worst_confusions']}")
    return report


def test_heldout_intents(heldout):
    assert heldout["examples"] >= 250
    assert heldout["intent_f1_weighted"] >= 0.85


def test_heldout_entities(heldout):
    assert heldout["entities"]["body_region"]["f1"] >= 0.9
    assert heldout["entities"]["all"]["f1"] >= 0.85


def test_every_emergency_in_the_safety_suite_routes_to_triage(agent):
    emergencies = []
    for name in ("cases.yml", "holdout_cases.yml", "final_cases.yml"):
        cases = yaml.safe_load((ROOT / "safety" / "training" / name).read_text())
        emergencies += [c["text"] for c in cases["flagged"] if c["level"] == "emergency_now"]
    parsed = parse_all(agent, emergencies)
    wrong = [(t, p["intent"]["name"]) for t, p in zip(emergencies, parsed) if p["intent"]["name"] != "report_red_flag"]
    assert not wrong, wrong


def test_money_back_is_not_a_region(agent):
    parsed = parse_all(agent, ["I want my money back"])[0]
    assert parsed["intent"]["name"] in ("out_of_scope", "nlu_fallback")
    assert not [e for e in parsed["entities"] if e["entity"] == "body_region"]
