"""Understanding and safety measurements, run in child processes of benchmarks/run.py
(with .venv/rasa's Python) so that TensorFlow, spaCy and medspaCy never load into the
process that drives the load tests.

    python -m benchmarks.understanding heldout OUT.json   # held-out NLU file
    python -m benchmarks.understanding safety OUT.json    # safety suite(s)
    python -m benchmarks.understanding cv-config OUT.yml EPOCHS
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def heldout(out: Path) -> None:
    started = time.monotonic()
    from rasa.core.agent import Agent
    from tests.components.test_trained_model import HELDOUT, MODEL, evaluate, parse_all

    agent = Agent.load(str(MODEL))
    load_s = time.monotonic() - started
    started = time.monotonic()
    report = evaluate(agent)
    report["parse_ms_mean"] = round((time.monotonic() - started) * 1000 / max(1, report["examples"]), 2)
    report["model_load_s"] = round(load_s, 2)
    report["file"] = str(HELDOUT.relative_to(ROOT))
    # A full confusion list (evaluate keeps the ten most frequent): the worst intent pairs.
    from rasa.shared.nlu.training_data.loading import load_data
    examples = [m for m in load_data(str(HELDOUT)).training_examples if m.get("text")]
    parsed = parse_all(agent, [m.get("text") for m in examples])
    pairs: dict[str, int] = {}
    for message, prediction in zip(examples, parsed):
        gold, predicted = message.get("intent"), prediction["intent"]["name"]
        if gold != predicted:
            key = " / ".join(sorted((gold, predicted)))
            pairs[key] = pairs.get(key, 0) + 1
    report["worst_intent_pairs"] = dict(sorted(pairs.items(), key=lambda kv: -kv[1])[:8])
    report["action_response_validation"] = action_response_validation()
    out.write_text(json.dumps(report, indent=2))


def action_response_validation() -> dict:
    """What Rasa 3.6 spends checking each custom action's response: RemoteAction calls
    jsonschema.validate(), which first checks the whole events schema against its
    meta-schema, on every call. Timed on a typical Unknot step response, next to the same
    check with a validator built once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_step_control", None)
    spec = action.action_response_format_spec()
    response = {"events": [{"event": "slot", "name": "step_index", "value": 2, "timestamp": None}],
                "responses": [{"text": "Step 2 of 4 (60 seconds): roll slowly along the outer thigh.",
                               "buttons": [{"title": t, "payload": f"/step_{t}"} for t in
                                           ("next", "repeat", "back", "skip", "stop")]},
                              {"custom": {"type": "step", "routine": "quads", "index": 2, "total": 4, "seconds": 60}}]}
    rounds = 30
    t = time.perf_counter()
    for _ in range(rounds):
        action._validate_action_result(response)
    per_call = (time.perf_counter() - t) * 1000 / rounds
    validator = validator_for(spec)(spec)
    t = time.perf_counter()
    for _ in range(rounds):
        validator.validate(response)
    prebuilt = (time.perf_counter() - t) * 1000 / rounds
    return {"rasa_ms_per_call": round(per_call, 2), "prebuilt_validator_ms_per_call": round(prebuilt, 3)}


def safety(out: Path) -> None:
    from safety.detector import SymptomDetector
    from tests.safety.suite import CASES_FILE, run_suite

    started = time.monotonic()
    detector = SymptomDetector()
    build_s = time.monotonic() - started
    results = {"detector_build_s": round(build_s, 2)}
    suites = {"cases": CASES_FILE, "holdout": CASES_FILE.parent / "holdout_cases.yml"}
    for name, path in suites.items():
        if not path.exists():
            continue
        result = run_suite(detector, path).as_dict()
        result["file"] = str(path.relative_to(ROOT))
        results[name] = result
    # Timing over all suite messages again, now warm, for a steadier median.
    import yaml
    texts = []
    for path in suites.values():
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            texts += [c["text"] for c in data["flagged"] + data["not_flagged"]]
    timings = []
    for text in texts:
        t = time.perf_counter()
        detector.detect(text)
        timings.append((time.perf_counter() - t) * 1000)
    long_text = "my calves are tight after running, no numbness or swelling. " * 300
    t = time.perf_counter()
    detector.detect(long_text)
    results["timing"] = {"messages": len(timings), "median_ms": round(statistics.median(timings), 3),
                         "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 3),
                         "worst_ms": round(max(timings), 3),
                         "long_message_chars": len(long_text),
                         "long_message_ms": round((time.perf_counter() - t) * 1000, 2)}
    out.write_text(json.dumps(results, indent=2))


def cv_config(out: Path, epochs: int) -> None:
    """config.yml with fewer DIET epochs (and the same everything else)."""
    import yaml
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in config.get("pipeline") or []:
        if "epochs" in component:
            component["epochs"] = min(int(component["epochs"]), epochs)
    out.write_text(yaml.safe_dump(config, sort_keys=False))


if __name__ == "__main__":
    command, target = sys.argv[1], Path(sys.argv[2])
    if command == "heldout":
        heldout(target)
    elif command == "safety":
        safety(target)
    elif command == "cv-config":
        cv_config(target, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown command {command}")
