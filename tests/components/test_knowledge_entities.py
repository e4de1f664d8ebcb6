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
