"""The Rasa wrapper of the detector: entities, and intent override over DIET."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.red_flag_detector import RedFlagDetector, shared_detector


@pytest.fixture(scope="module")
def component():
    return RedFlagDetector(shared_detector())


def message(text, intent="describe_pain", confidence=0.9):
    msg = Message(data={"text": text})
    msg.set("intent", {"name": intent, "confidence": confidence})
    msg.set("intent_ranking", [{"name": intent, "confidence": confidence},
                               {"name": "inform", "confidence": 0.05}])
    return msg


def test_flag_overrides_a_wrong_intent(component):
    msg = message("thanks! oh and I can't feel anything when I wipe", intent="thank")
    component.process([msg])
    assert msg.get("intent")["name"] == "report_red_flag"
    assert any(e["entity"] == "red_flag" and e["value"] == "cauda_equina" for e in msg.get("entities"))


def test_negated_symptom_keeps_the_intent(component):
    msg = message("calves sore, no numbness at all")
    component.process([msg])
    assert msg.get("intent")["name"] == "describe_pain"
    assert not [e for e in msg.get("entities") if e["entity"] == "red_flag"]


def test_correction_becomes_correct_red_flag(component):
    msg = message("sorry i meant i have NO numbness between my legs", intent="deny")
    component.process([msg])
    assert msg.get("intent")["name"] == "correct_red_flag"
    assert any(e["entity"] == "red_flag_negated" for e in msg.get("entities"))


def test_classifier_only_flag_is_demoted(component):
    msg = message("my legs are so sore lol", intent="report_red_flag", confidence=0.6)
    component.process([msg])
    assert msg.get("intent")["name"] == "describe_pain"


def test_contraindication_entity(component):
    msg = message("quads sore, and I'm on blood thinners")
    component.process([msg])
    assert any(e["entity"] == "contraindication" and e["value"] == "blood_thinners" for e in msg.get("entities"))


def test_empty_message(component):
    msg = Message(data={"text": ""})
    component.process([msg])
    assert not msg.get("entities")
