"""The detector on hand-picked cases, on its content's own examples, and on any input."""
from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.detector import MAX_CHARS, SymptomDetector, normalise
from safety.terms import CONTRAINDICATIONS_FILE, RED_FLAGS_FILE


@pytest.mark.parametrize("text, flag", [
    ("no fever, but both legs are numb", "cauda_equina"),
    ("my lower back is wrecked and it feels weird when I wipe", "cauda_equina"),
    ("chest pain spreading to my left arm", "cardiac_chest_pain"),
    ("calf is swollen hot and red after my flight", "dvt"),
    ("pee is dark like cola after that session", "rhabdomyolysis"),
    ("i want to kill myself", "self_harm"),
])
def test_flags_fire(detector, text, flag):
    assert flag in detector.detect(text).flags


@pytest.mark.parametrize("text", [
    "no numbness", "what if my legs go numb?", "my dad had cancer",
    "had a fever last month, gone now", "sore pecs after bench press", "my back is killing me",
    "I don't have chest pain", "I can pee fine",
])
def test_harmless_messages_do_not_flag(detector, text):
    assert detector.detect(text).flags == ()


def test_negated_flags_and_corrections_are_reported(detector):
    detection = detector.detect("sorry, I meant I have NO numbness between my legs")
    assert not detection.flags
    assert "cauda_equina" in detection.negated_flags and detection.correction


def test_offsets_point_into_the_original_text(detector):
    text = "Legs  fine but  I   CAN'T   PEE since this morning"
    detection = detector.detect(text)
    assert detection.flags
    finding = next(f for f in detection.findings if f.applies)
    assert "PEE" in text[finding.start:finding.end].upper()


def test_contraindications_are_found(detector):
    assert "blood_thinners" in detector.detect("I'm on warfarin").contraindications
    assert "pregnancy" in detector.detect("I'm 20 weeks pregnant").contraindications


def _content_examples():
    for path, key, kind in ((RED_FLAGS_FILE, "flags", "flag"), (CONTRAINDICATIONS_FILE, "contraindications", "contraindication")):
        for item in yaml.safe_load(path.read_text())[key]:
            for text in item.get("examples", []):
                yield kind, item["id"], text, True
            for text in item.get("non_examples", []):
                yield kind, item["id"], text, False


@pytest.mark.parametrize("kind, item, text, fires", list(_content_examples()))
def test_content_examples_behave_as_documented(detector, kind, item, text, fires):
    detection = detector.detect(text)
    found = detection.flags if kind == "flag" else detection.contraindications
    assert (item in found) == fires, (text, found)


def test_normalise_keeps_offsets():
    norm, index = normalise("  A\u2019b   C ")
    assert norm == "a'b c" and len(index) == len(norm)


def test_empty_and_odd_inputs(detector):
    for text in (None, "", "   ", "\x00\x01", "🙂" * 500, "İİİ", 12345):
        assert detector.detect(text).flags == ()


def test_very_long_message_is_bounded(detector):
    text = ("my legs are sore after leg day " * 5000) + "and I can't pee"
    started = time.perf_counter()
    detection = detector.detect(text)
    assert time.perf_counter() - started < 30
    assert len(text) > MAX_CHARS and detection is not None


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_never_raises_on_arbitrary_text(text):
    detection = _shared().detect(text)
    assert isinstance(detection.flags, tuple)


@settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["no", "not", "numb", "legs", "pee", "can't", "chest", "arm", "my dad",
                                 "what if", "but", ",", ".", "fever", "\n", "😀", "wipe", "cancer"]), max_size=400))
def test_never_raises_on_symptom_word_soup(words):
    _shared().detect(" ".join(words))


_DETECTOR = None


def _shared() -> SymptomDetector:
    global _DETECTOR
    if _DETECTOR is None:
        _DETECTOR = SymptomDetector()
    return _DETECTOR


def test_context_failure_falls_back_to_raw_matches(detector, monkeypatch):
    def broken(doc):
        raise RuntimeError("context broke")
    monkeypatch.setattr(detector.context, "__call__", broken, raising=False)
    monkeypatch.setattr(detector, "_finding", lambda span, index_map: (_ for _ in ()).throw(RuntimeError("x")))
    detection = detector.detect("my groin has gone numb and I can't pee")
    assert detection.degraded and "cauda_equina" in detection.flags


def test_long_repetitive_message_with_concepts_is_bounded(detector):
    started = time.perf_counter()
    detector.detect("numb groin and pins and needles in my bum " * 600)
    assert time.perf_counter() - started < 20
