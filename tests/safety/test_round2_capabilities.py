"""Capabilities added in round 2 of issue 9, each tested on wording of its own (not the
sentences of any evaluation set): negation that stops at a new clause, families that carry
their own negation, other people found by grammatical role, and the writer taking over."""
from __future__ import annotations

import pytest

from safety import terms
from safety.detector import SymptomDetector


@pytest.fixture(scope="module")
def rules_only() -> SymptomDetector:
    """The rules alone, so each test shows what the rules do (the semantic layer on top can
    only add findings)."""
    return SymptomDetector(semantic=False)


@pytest.mark.parametrize("text, flag", [
    # a negation early in a run-on message does not reach a new clause with its own verb
    ("my arms won't bend after the comp, wee is the colour of cola", "rhabdomyolysis"),
    ("i can't sit properly after rowing, my pee is dark brown", "rhabdomyolysis"),
])
def test_negation_stops_at_a_new_clause(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "no numbness, tingling or weakness in my groin",  # a list keeps its negation
    "i don't have numbness, or tingling down there",
])
def test_negation_still_covers_a_list(rules_only, text):
    assert "cauda_equina" not in rules_only.detect(text).flags


@pytest.mark.parametrize("text, flag", [
    ("stretched it every single night for a month and a half and it hasn't budged", "not_improving_with_self_care"),
    ("been using the massage gun daily since october, not one bit better", "not_improving_with_self_care"),
    ("my hip has been getting worse every week since the summer", "persistent_pain"),
    ("knee, coming up on eleven weeks now", "persistent_pain"),
    ("every morning i'm like an old man for a good hour before i loosen up", "inflammatory_back_pain"),
    ("my jeans are hanging off me and i'm eating the same as ever, back aches", "unexplained_weight_loss"),
])
def test_everyday_words_for_soon_flags(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "been training for three months and my squat is still the same",
    "the foam rolling has really helped, no change needed",
    "calves tight after my first ride in months",
    "the sore wrist went away months ago, now just tight forearms",
])
def test_long_spans_that_are_not_pain_do_not_flag(rules_only, text):
    assert not {"persistent_pain", "not_improving_with_self_care"} & set(rules_only.detect(text).flags)


@pytest.mark.parametrize("text", [
    "Workmate fainted in the spin class yesterday. My quads are cooked.",
    "neighbour's pee went brown after his first marathon, my legs are just heavy",
    "a lad at my club coughed up blood after the race, my calves are tight",
])
def test_someone_elses_symptom_is_not_the_writers(rules_only, text):
    assert not rules_only.detect(text).flags


@pytest.mark.parametrize("text, flag", [
    # a witness reporting the writer's own symptom
    ("my girlfriend says my speech is slurred and my face is drooping", "stroke_signs"),
    # someone else did it to the writer
    ("one lad elbowed my head in the scrum and I've been sick twice", "head_neck_injury"),
    # the writer takes over from someone else
    ("my partner drove me to the gym and now my chest is crushing and it's going down my arm", "cardiac_chest_pain"),
])
def test_the_writers_own_symptom_survives_other_people(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


def test_a_self_description_is_not_someone_else(rules_only):
    # "runner" / "rower" name the writer, so they are not in the other-people list
    people = terms.load_people()
    assert "runner" not in people.other_people and "mate" in people.other_people
    assert "cauda_equina" in rules_only.detect("rower, 52: numb where the saddle sits and can't pee").flags


def test_people_file_is_validated(tmp_path):
    bad = tmp_path / "people.yml"
    bad.write_text("other_people: []\nreporting_verbs: [says]\ndeterminers: [my]\nfirst_person: [i]\n")
    with pytest.raises(terms.TermError, match="other_people"):
        terms.load_people(bad)
