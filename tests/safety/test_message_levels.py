"""The whole-message layer: its decision bands, its model file, and how the detector
combines it with the rules (never against a denial the rules read)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from safety import message_levels
from safety.detector import Finding
from safety.message_levels import CLASSES, MessageLevels, MessageVerdict, ModelError

from .test_safety_suite import LAST_FINALS, UNMEASURED


def _levels_pointing_at(axis_by_class: dict[str, int], scale: float = 30.0) -> MessageLevels:
    """A model whose class k scores `scale` on vector axis axis_by_class[k]."""
    weights = np.zeros((len(CLASSES), 384), dtype=np.float32)
    for name, axis in axis_by_class.items():
        weights[CLASSES.index(name), axis] = scale
    return MessageLevels(weights, np.zeros(len(CLASSES), dtype=np.float32))


def _unit(axis: int) -> np.ndarray:
    vector = np.zeros(384, dtype=np.float32)
    vector[axis] = 1.0
    return vector


LEVELS = _levels_pointing_at({"harmless": 0, "ambiguous": 1, "soon": 2, "urgent_24h": 3, "emergency_now": 4})


@pytest.mark.parametrize("axis", [1, 2, 3, 4])
def test_a_reading_of_anything_but_harmless_asks(axis):
    verdict = LEVELS.verdict(_unit(axis))
    assert verdict.ask and CLASSES[axis] in verdict.explain()


def test_a_harmless_reading_does_nothing():
    assert not LEVELS.verdict(_unit(0)).ask


def test_the_ask_band_weighs_every_level_together():
    # half harmless, the rest spread over four levels: below the band, so no question
    vector = (_unit(0) * 1.0 + _unit(1) * 0.2)
    verdict = LEVELS.verdict(vector / np.linalg.norm(vector))
    assert verdict.probabilities["harmless"] > 1 - LEVELS.ask and not verdict.ask


def test_a_broken_model_file_is_named(tmp_path):
    path = tmp_path / "levels.json"
    path.write_text(json.dumps({"classes": list(CLASSES), "weights": [[0.0] * 10] * 5, "bias": [0] * 5}))
    with pytest.raises(ModelError, match="do not fit"):
        message_levels.load(path)
    path.write_text(json.dumps({"classes": ["a", "b"], "weights": [], "bias": []}))
    with pytest.raises(ModelError, match="classes"):
        message_levels.load(path)
    with pytest.raises(ModelError, match="fit-message-levels"):
        message_levels.load(tmp_path / "missing.json")


def test_the_committed_model_is_fitted_on_the_current_spent_sets_only():
    data = json.loads(message_levels.MODEL_FILE.read_text())
    assert message_levels.stale_sets() == [], "a set changed: run `python -m safety fit-message-levels`"
    trained_on = set(data["trained_on"])
    assert not trained_on & (UNMEASURED | set(LAST_FINALS)), "a sealed set must never be trained on"
    assert message_levels.load().weights.shape == (len(CLASSES), 384)


class _ToyEncoder:
    """Emergency messages point one way, harmless ones the other."""

    def encode(self, texts):
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, 0 if "fine" in text else 1 if "maybe" in text else 2] = 1.0
        return out


def test_fit_writes_a_model_that_reads_its_own_data(tmp_path):
    cases = tmp_path / "toy.yml"
    cases.write_text(
        "flagged:\n" + "".join(f"  - {{text: 'crushing {i}', level: emergency_now}}\n" for i in range(8))
        + "ambiguous:\n" + "".join(f"  - {{text: 'maybe {i}', area: chest_heart}}\n" for i in range(8))
        + "not_flagged:\n" + "".join(f"  - {{text: 'fine {i}', why: negated}}\n" for i in range(8)))
    out = tmp_path / "model.json"
    message_levels.fit([cases], _ToyEncoder(), out, with_project=False)
    model = message_levels.load(out)
    encoder = _ToyEncoder()
    assert model.verdict(encoder.encode(["crushing again"])[0]).ask
    assert not model.verdict(encoder.encode(["all fine"])[0]).ask
    assert json.loads(out.read_text())["trained_on"] == {"toy.yml": message_levels.file_digest(cases)}


# ------------------------------------------------------------------ combined with the rules
@pytest.fixture(scope="module")
def chest_vector(detector):
    return detector.semantic.scorer.encoder.encode(["a crushing weight on my chest and my left arm is heavy"])[0]


def _verdict(ask: bool):
    probabilities = {name: 0.0 for name in CLASSES}
    probabilities["ambiguous" if ask else "harmless"] = 1.0
    return MessageVerdict(probabilities, ask)


def test_it_asks_the_question_of_the_nearest_risk_area_with_its_reason(detector, chest_vector):
    asked = detector._message_findings((_verdict(True), chest_vector), [])
    assert [(f.kind, f.id) for f in asked] == [("concern", "chest_heart")]
    assert "message reads" in asked[0].detail and "nearest" in asked[0].detail
    assert detector._message_findings((_verdict(False), chest_vector), []) == []


def test_it_never_warns_and_never_speaks_over_the_rules(detector, chest_vector):
    denied = Finding("flag", "cardiac_chest_pain", 0, 5, negated=True)
    someone_else = Finding("flag", "cardiac_chest_pain", 0, 5, family=True)
    warned = Finding("flag", "cardiac_chest_pain", 0, 5)
    rule_question = Finding("concern", "breathing", 0, 5)
    for finding in (denied, someone_else, warned, rule_question):
        assert detector._message_findings((_verdict(True), chest_vector), [finding]) == []


def test_ordinary_chat_is_not_read_as_a_crisis(detector):
    for text in ("can we end now", "cancel it", "can i start over", "my back is killing me",
                 "I bled a bit from a blister but it stopped"):
        detection = detector.detect(text)
        assert not detection.flags and not detection.concerns, (text, detection.explain())
