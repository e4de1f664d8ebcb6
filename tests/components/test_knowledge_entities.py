"""The spaCy phrase matcher, trained on the lookup tables generated from the content."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data

from components.knowledge_entities import KnowledgeEntityMatcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def matcher(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("matcher")
    component = KnowledgeEntityMatcher.create(
        KnowledgeEntityMatcher.get_default_config(), storage, resource,
        ExecutionContext(GraphSchema({}), "test"))
    component.train(load_data(str(ROOT / "data" / "generated")))
    # And it must come back the same after persisting.
    return KnowledgeEntityMatcher.load({}, storage, resource, ExecutionContext(GraphSchema({}), "test"))


def found(matcher, text):
    return [(e["entity"], e["value"]) for e in matcher.extract(text) if e.get("role") != "not"]


@pytest.mark.parametrize("text, expected", [
    ("my hammies are wrecked after leg day", [("body_region", "hamstrings"), ("activity", "weightlifting")]),
    ("pain between my shoulder blades after sitting at my laptop all day", [("body_region", "upper_back")]),
    ("I have a foam roller and a lacrosse ball", [("equipment", "foam_roller"), ("equipment", "massage_ball")]),
    ("my back is killing me", [("body_region", "lower_back")]),
    ("sore lower back", [("body_region", "lower_back")]),
    ("IT band is tight after my 10k", [("body_region", "quads"), ("activity", "running")]),
    ("plantar fascia hurts", [("body_region", "feet")]),
])
def test_finds_regions_activities_and_equipment(matcher, text, expected):
    assert all(item in found(matcher, text) for item in expected), found(matcher, text)


@pytest.mark.parametrize("text", ["I want my money back", "I'm back!", "call me back later", "what's the weather"])
def test_ambiguous_back_needs_a_body_cue(matcher, text):
    assert ("body_region", "lower_back") not in found(matcher, text)


def test_typos_are_tolerated(matcher):
    assert ("body_region", "shoulders") in found(matcher, "my shoudlers are sore")
    assert ("body_region", "hamstrings") in found(matcher, "hamstirngs tight")


def test_negated_region_gets_the_not_role(matcher):
    entities = matcher.extract("it's not my shoulders, it's my neck")
    roles = {e["value"]: e.get("role") for e in entities}
    assert roles.get("shoulders") == "not" and roles.get("neck") is None


def test_offsets_match_the_text(matcher):
    text = "Sore CALVES after running"
    for e in matcher.extract(text):
        assert text[e["start"]:e["end"]].lower() in ("calves", "running")


@pytest.mark.parametrize("text, region", [("shoudler hurts", "shoulders"), ("hamstirng tight", "hamstrings"),
                                           ("calfs r tight", "calves")])
def test_one_or_two_letters_off_is_the_region(matcher, text, region):
    assert ("body_region", region) in found(matcher, text)


@pytest.mark.parametrize("text", ["I should stretch", "things are hard", "behind schedule", "better now"])
def test_everyday_words_near_a_region_name_are_not_regions(matcher, text):
    assert not [e for e in found(matcher, text) if e[0] == "body_region"]


def test_other_areas_are_recognised(matcher):
    assert ("other_area", "knee") in found(matcher, "my knee hurts after running")


def kit(matcher, text):
    return [e["value"] for e in matcher.extract(text) if e["entity"] == "equipment" and e.get("role") != "not"]


@pytest.mark.parametrize("text, expected", [
    ("haven't got a roller, only a golf ball", ["massage_ball"]),
    ("forgot my hypervolt, I've got a spiky ball though", ["massage_ball"]),
    ("the massage gun died so it's the foam roller tonight", ["foam_roller"]),
    ("I don't own rollers or guns, just a tennis ball", ["massage_ball"]),
    ("I have a foam roller", ["foam_roller"]),
])
def test_kit_they_lack_is_not_kit_they_have(matcher, text, expected):
    assert kit(matcher, text) == expected, matcher.extract(text)


@pytest.mark.parametrize("text", [
    "no roller, no gun, back is sore", "haven't got anything, sorry", "I don't have any kit at all",
    "no balls or rollers here"])
def test_lacking_all_kit_means_hands(matcher, text):
    assert kit(matcher, text) == ["hands"], matcher.extract(text)


@pytest.mark.parametrize("text", ["I don't have any pain at rest", "nothing helps my back", "no pain in my calves",
                                  "my left calf is sore", "I don't have anything wrong with my heart"])
def test_words_about_pain_are_not_a_lack_of_kit(matcher, text):
    assert kit(matcher, text) == [], matcher.extract(text)


@pytest.mark.parametrize("text, expected", [
    ("got a foam rollr", "foam_roller"), ("my therugun", "massage_gun"), ("two electric massagers", "massage_gun"),
    ("a frozen water bottle for my arch", "foam_roller")])
def test_kit_in_another_number_or_one_letter_off(matcher, text, expected):
    assert expected in kit(matcher, text), matcher.extract(text)


def test_i_rolled_my_ankle_is_not_a_roller(matcher):
    assert kit(matcher, "I rolled my ankle") == []


@pytest.mark.parametrize("text, expected", [
    ("there's a roller at home", ["foam_roller"]), ("left the gun at home but I have a ball", ["massage_ball"]),
    ("no roller, have a tennis ball", ["massage_ball"])])
def test_where_the_kit_is_decides(matcher, text, expected):
    assert kit(matcher, text) == expected, matcher.extract(text)


def test_upper_case_distances_are_activities(matcher):
    assert ("activity", "running") in found(matcher, "Calves sore after a 10K PB")
