"""The semantic layer: the sentence encoder in both runtimes, the scorer on a tiny fixture
set, and how its findings combine with the rules and ConText."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from safety.encoder import OnnxEncoder, TensorFlowEncoder
from safety.semantic import Example, SemanticScorer

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text())
TEXTS = [item["text"] for item in REFERENCE["items"]]
VECTORS = np.array([item["vector"] for item in REFERENCE["items"]], dtype=np.float32)


@pytest.fixture(scope="module")
def onnx_encoder():
    return OnnxEncoder()


@pytest.mark.parametrize("runtime, agreement", [("onnx-float", 0.999), ("tensorflow", 0.999), ("onnx", 0.98)])
def test_every_runtime_matches_sentence_transformers(runtime, agreement, onnx_encoder):
    encoder = {"onnx": onnx_encoder, "onnx-float": OnnxEncoder(quantised=False)}.get(runtime) or TensorFlowEncoder()
    got = encoder.encode(TEXTS)
    cosines = (got * VECTORS).sum(axis=1)
    assert cosines.min() > agreement, dict(zip(TEXTS, cosines.round(5)))
    one_by_one = np.vstack([encoder.encode([t]) for t in TEXTS[:3]])
    # Padding in a batch changes nothing (float); int8 scales activations per batch, so a
    # sentence embedded alone or in a batch agrees to within quantisation noise.
    assert ((one_by_one * got[:3]).sum(axis=1) > (0.98 if runtime == "onnx" else 0.99999)).all()


def test_empty_input_gives_no_vectors(onnx_encoder):
    assert onnx_encoder.encode([]).shape == (0, 384)
    assert onnx_encoder.encode([""]).shape == (1, 384)


TINY = [
    Example("I can't get any air into my lungs", "sudden_breathlessness"),
    Example("struggling to breathe even sitting down", "sudden_breathlessness"),
    Example("crushing weight on my chest and my left arm hurts", "cardiac_chest_pain"),
    Example("my heart squeezes when I climb the stairs", "cardiac_chest_pain"),
    Example("calves are sore after the 10k", ""),
    Example("my quads are wrecked from leg day", ""),
    Example("sore pecs after bench press", ""),
    Example("chest feels a bit odd today", "area:chest_heart"),
]


@pytest.fixture(scope="module")
def tiny_scorer(onnx_encoder):
    return SemanticScorer(onnx_encoder, TINY, {"sudden_breathlessness": "breathing",
                                               "cardiac_chest_pain": "chest_heart"}, cache_dir=None)


def test_the_scorer_recognises_paraphrases(tiny_scorer):
    breath, heart, sore = tiny_scorer.score(["the air won't go in, I'm gasping on the sofa",
                                             "feels like a fist clenching my heart on the hill",
                                             "hamstrings tight after the run"])
    assert breath.flag == "sudden_breathlessness" and breath.area == "breathing"
    assert heart.flag == "cardiac_chest_pain"
    assert breath.probability > sore.probability and heart.probability > sore.probability
    assert "nearest" in breath.explain() and breath.nearest in {e.text for e in TINY}


def test_the_scorer_handles_an_empty_batch(tiny_scorer):
    assert tiny_scorer.score([]) == []


# --------------------------------------------------------------------------- combination
def test_semantic_flags_are_negated_like_rules(detector):
    for text in ("no chest pain and my breathing is normal, just sore pecs from bench",
                 "my dad can't get air into his lungs when he climbs stairs",
                 "what if I can't breathe during the marathon?"):
        assert not detector.detect(text).flags, text


def test_evidence_says_what_fired_and_why(detector):
    detection = detector.detect("pain in my chest going down my left arm")
    assert detection.flags and detection.evidence
    assert all(e.source in ("pattern", "families", "semantic") and e.text for e in detection.evidence)
    assert "cardiac_chest_pain" in detection.explain()


def test_a_rule_match_and_a_high_risk_mention_combine(detector):
    detection = detector.detect("I fell off my bike and my wrist looks bent the wrong way")
    assert "acute_injury" in detection.flags
    vague = detector.detect("bumped into a teammate at training, shoulder a bit achy")
    assert not vague.flags and "fall_collision" in vague.concerns
    negated = detector.detect("no falls or knocks, just a stiff hip from cycling")
    assert "fall_collision" not in negated.concerns


def test_a_question_about_one_s_own_area_still_asks(detector):
    assert "break_dislocation" in detector.detect("is my finger broken?").concerns


def test_rules_only_and_semantic_layer_both_work():
    from safety.detector import SymptomDetector
    rules_only = SymptomDetector(semantic=False)
    assert rules_only.semantic is None
    assert "cardiac_chest_pain" in rules_only.detect("chest pain spreading to my left arm").flags
