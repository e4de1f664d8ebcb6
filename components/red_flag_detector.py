"""Runs the safety detector on every user message, after the intent classifiers.

A red flag of the user's own overrides whatever DIET predicted with the intent
`report_red_flag`, so that a rule routes the turn to the triage action first: the
classifier alone is never trusted for safety. A negated flag with a correction cue
("sorry, I meant NO numbness") becomes `correct_red_flag`; a flag the classifier
guessed but the rules did not confirm becomes `describe_pain`. Findings travel as
entities (`red_flag`, `red_flag_negated`, `contraindication`, and `safety_concern` for a
high-risk area to ask about) to the action server; why each fired is logged at debug level.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from safety.detector import Detection, SymptomDetector

logger = logging.getLogger(__name__)

FLAG_INTENT = "report_red_flag"
CORRECTION_INTENT = "correct_red_flag"
FALLBACK_INTENT = "describe_pain"
_DETECTOR: Optional[SymptomDetector] = None


def shared_detector() -> SymptomDetector:
    """One detector per process: building the spaCy/medspaCy pipeline takes a moment."""
    global _DETECTOR
    if _DETECTOR is None:
        _DETECTOR = SymptomDetector()
    return _DETECTOR


def _explain_without_text(detection: Detection) -> str:
    return "; ".join(f"{e.flag} by {e.source}" + (f" ({e.detail.split(', nearest')[0]})" if e.detail else "")
                     for e in detection.evidence) or "a high-risk mention"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagDetector(GraphComponent):
    """Rule layer for safety; see the module docstring."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, detector: SymptomDetector) -> None:
        self.detector = detector

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RedFlagDetector":
        return cls(shared_detector())

    def process_training_data(self, training_data):
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            detection = self.detector.detect(message.get(TEXT))
            if detection.flags or detection.concerns:
                # What fired and why, never the message itself (health data stays out of logs).
                logger.debug("safety decision: flags=%s concerns=%s because %s",
                             list(detection.flags), list(detection.concerns), _explain_without_text(detection))
            self.annotate(message, detection)
        return messages

    def annotate(self, message: Message, detection: Detection) -> None:
        entities = list(message.get(ENTITIES) or [])
        seen = set()
        for finding in detection.findings:
            if finding.is_flag and finding.id in detection.flags and finding.applies:
                name = "red_flag"
            elif finding.is_flag and finding.id in detection.negated_flags and finding.negated:
                name = "red_flag_negated"
            elif finding.kind == "contraindication" and finding.applies:
                name = "contraindication"
            elif finding.kind == "concern" and finding.id in detection.concerns:
                name = "safety_concern"
            else:
                continue
            if (name, finding.id) in seen:
                continue  # one entity per flag or area: the first place it was found
            seen.add((name, finding.id))
            entities.append({"entity": name, "value": finding.id, "start": finding.start,
                             "end": finding.end, "confidence_entity": 1.0,
                             "extractor": self.__class__.__name__})
        message.set(ENTITIES, entities, add_to_output=True)
        intent = message.get(INTENT) or {}
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or [])]
        if detection.flags:
            self._set_intent(message, FLAG_INTENT, ranking)
        elif detection.negated_flags and detection.correction:
            self._set_intent(message, CORRECTION_INTENT, ranking)
        elif intent.get("name") == FLAG_INTENT:
            # The classifier thought so but the rules found nothing of the user's own
            # ("no numbness"): treat it as talk about their soreness, not an alarm.
            self._set_intent(message, FALLBACK_INTENT, ranking, confidence=intent.get("confidence", 0.5))

    @staticmethod
    def _set_intent(message: Message, name: str, ranking: List[Dict[str, Any]], confidence: float = 1.0) -> None:
        message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
        rest = [r for r in ranking if r.get("name") != name]
        message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": confidence}] + rest, add_to_output=True)
