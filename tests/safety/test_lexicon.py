"""Lemmas and bounded spelling tolerance: word families survive morphology and typos."""
from __future__ import annotations

import pytest

from safety import terms
from safety.lexicon import Lemmas, SpellingCorrector


@pytest.fixture(scope="module")
def corrector():
    return SpellingCorrector(terms.load_vocabulary())


@pytest.mark.parametrize("typed, meant", [
    ("chesst", "chest"), ("breth", "breath"), ("numbe", "numb"), ("swolen", "swollen"),
    ("unconcious", "unconscious"), ("brething", "breathing"), ("dizy", None), ("hedache", "headache"),
])
def test_misspelt_symptom_words_are_read_as_meant(corrector, typed, meant):
    assert corrector.correct(typed) == meant


@pytest.mark.parametrize("word", ["chess", "spurting", "breast", "heat", "smelling", "the", "calf", "running", "xyz",
                                  "buttock"])  # the singular of a listed plural
def test_real_words_are_never_changed(corrector, word):
    assert corrector.correct(word) is None


def test_lemmas_join_a_family():
    lemmas = Lemmas()
    assert {lemmas(w) for w in ("breathing", "breathed", "breathe")} == {"breathe"}
    assert lemmas("hearts") == "heart" and lemmas("tingling") == "tingle"


@pytest.mark.parametrize("text", [
    "I can't breathe", "cant breath properly", "my breathing is really hard and its getting worse",
    "breathless while sitting on the sofa",
])
def test_breathing_family_in_its_forms(detector, text):
    detection = detector.detect(text)
    assert "sudden_breathlessness" in detection.flags or "breathing" in detection.concerns, text


def test_heart_in_the_plural_and_misspelt_chest(detector):
    assert "chest_heart" in detector.detect("my hearts doing something weird").concerns
    assert "cardiac_chest_pain" in detector.detect("chesst feels crushed and it goes down my left arm").flags
