"""Finds body regions, activities and equipment with spaCy's PhraseMatcher.

The phrases come from the training data's lookup tables and synonyms, which are
generated from the knowledge base content (data/generated/knowledge_terms.yml), so
the matcher and the content can never drift apart. Typos are caught by a bounded
edit-distance match on single words; ambiguous words such as "back" count only with a
body cue next to them ("my back", "back is stiff", but not "my money back").
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ENTITY_TYPES = ("body_region", "activity", "equipment", "other_area")
AMBIGUOUS_TABLE = "body_region_ambiguous"
# Words next to an ambiguous region word that show it means the body.
BODY_CUES_BEFORE = {
    "my", "his", "her", "your", "the", "lower", "low", "upper", "mid", "middle", "whole",
    "entire", "sore", "achy", "aching", "stiff", "tight", "bad", "hurt", "hurting", "injured",
    "tweaked", "pulled", "strained", "put", "done", "wrecked", "tender", "left", "right",
}
BODY_CUES_AFTER = {
    "pain", "pains", "ache", "aches", "aching", "hurts", "hurt", "hurting", "is", "was", "feels",
    "feel", "spasm", "spasms", "sore", "soreness", "stiff", "stiffness", "tight", "muscles",
    "muscle", "'s", "has", "keeps", "went", "gone", "killing", "kills", "injury", "strain",
    "tension", "knots", "knot", "area", "after", "from", "since", "muscle", "day", "issues", "and", ",",
}
NEGATORS = {"not", "n't", "no", "isnt", "isn't", "never", "nt"}
# Fuzzy matching is for misspelt body parts only: activity and kit words collide with
# everyday English ("hurting" is one letter from "hurling", "weight" from "weights").
FUZZY_ENTITY_TYPES = ("body_region",)
FUZZY_STOPWORDS = {"gluten", "should", "shouldn't", "hurting", "weight", "wrists", "calling", "called", "walked",
                   "thighs", "things", "charts", "beside", "behind", "bottle", "better", "hopped"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class KnowledgeEntityMatcher(GraphComponent, EntityExtractorMixin):
    """Rule-based extractor for body_region, activity and equipment."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fuzzy_min_length": 6}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 phrases: Optional[Dict[str, Dict[str, str]]] = None,
                 ambiguous: Optional[List[str]] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.phrases: Dict[str, Dict[str, str]] = phrases or {t: {} for t in ENTITY_TYPES}
        self.ambiguous = set(ambiguous or [])
        self._nlp = spacy.blank("en")
        self._matcher = self._build_matcher()
        self._fuzzy_words = self._fuzzy_index()

    def _fuzzy_index(self) -> Dict[str, Dict[str, tuple]]:
        """Single-word region phrases by first letter: phrase -> (entity, value)."""
        min_len = self._config["fuzzy_min_length"]
        index: Dict[str, Dict[str, tuple]] = {}
        for entity, table in self.phrases.items():
            if entity not in FUZZY_ENTITY_TYPES:
                continue
            for phrase, value in table.items():
                if " " not in phrase and len(phrase) >= min_len:
                    index.setdefault(phrase[0], {})[phrase] = (entity, value)
        return index

    @classmethod
    def create(cls, config, model_storage, resource, execution_context: ExecutionContext):
        return cls(config, model_storage, resource)

    def _build_matcher(self) -> PhraseMatcher:
        matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        for entity, table in self.phrases.items():
            by_value: Dict[str, List[Doc]] = {}
            for phrase, value in table.items():
                by_value.setdefault(value, []).append(self._nlp.make_doc(phrase))
            for value, docs in by_value.items():
                matcher.add(f"{entity}|{value}", docs)
        return matcher

    # ------------------------------------------------------------------ training
    def train(self, training_data: TrainingData) -> Resource:
        synonyms = {k.lower(): v for k, v in training_data.entity_synonyms.items()}
        phrases: Dict[str, Dict[str, str]] = {t: {} for t in ENTITY_TYPES}
        ambiguous: List[str] = []
        for table in training_data.lookup_tables:
            name = table.get("name")
            elements = table.get("elements") or []
            if name in ENTITY_TYPES:
                for phrase in elements:
                    phrase = phrase.strip().lower()
                    phrases[name][phrase] = synonyms.get(phrase, phrase.replace(" ", "_"))
            elif name == AMBIGUOUS_TABLE:
                ambiguous.extend(p.strip().lower() for p in elements)
        for phrase in ambiguous:
            phrases["body_region"][phrase] = synonyms.get(phrase, phrase)
        if not any(phrases.values()):
            logger.warning("KnowledgeEntityMatcher found no lookup tables: run `make nlu-data`.")
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "phrases.json").write_text(
                json.dumps({"phrases": phrases, "ambiguous": sorted(set(ambiguous))}), encoding="utf-8")
        self.phrases, self.ambiguous = phrases, set(ambiguous)
        self._matcher = self._build_matcher()
        self._fuzzy_words = self._fuzzy_index()
        return self._resource

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs):
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / "phrases.json").read_text(encoding="utf-8"))
            return cls(config, model_storage, resource, data["phrases"], data["ambiguous"])
        except (ValueError, FileNotFoundError, KeyError):
            logger.warning("KnowledgeEntityMatcher has no trained phrases; it will find nothing.")
            return cls(config, model_storage, resource)

    # ------------------------------------------------------------------ inference
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip():
                continue
            found = self.extract(text)
            if found:
                kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in ENTITY_TYPES]
                message.set(ENTITIES, kept + found, add_to_output=True)
        return messages

    def extract(self, text: str) -> List[Dict[str, Any]]:
        doc = self._nlp.make_doc(text[:5000])
        spans = []
        for match_id, start, end in self._matcher(doc):
            entity, value = self._nlp.vocab.strings[match_id].split("|", 1)
            span = doc[start:end]
            if span.text.lower() in self.ambiguous and not self._has_body_cue(doc, start, end):
                continue
            spans.append(doc.char_span(span.start_char, span.end_char, label=f"{entity}|{value}"))
        spans = filter_spans([s for s in spans if s is not None])
        covered = {i for s in spans for i in range(s.start, s.end)}
        spans += self._fuzzy(doc, covered)
        entities = []
        for span in sorted(spans, key=lambda s: s.start):
            entity, value = span.label_.split("|", 1)
            record = {"entity": entity, "value": value, "start": span.start_char, "end": span.end_char,
                      "confidence_entity": 1.0, "extractor": self.__class__.__name__}
            if self._is_negated(doc, span.start):
                record["role"] = "not"
            entities.append(record)
        return entities

    def _fuzzy(self, doc: Doc, covered: set) -> list:
        """A misspelt body part ("hamstrigns", "sholders"): rapidfuzz's optimal string
        alignment distance, 1 edit (2 from 9 letters), the first letter must agree."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        out = []
        min_len = self._config["fuzzy_min_length"]
        for token in doc:
            word = token.lower_
            if token.i in covered or not token.is_alpha or len(word) < min_len or word in FUZZY_STOPWORDS:
                continue
            candidates = self._fuzzy_words.get(word[0])
            if not candidates:
                continue
            found = process.extractOne(word, list(candidates), scorer=OSA.distance,
                                       score_cutoff=1 if len(word) < 9 else 2)
            if found:
                entity, value = candidates[found[0]]
                out.append(doc.char_span(token.idx, token.idx + len(token.text), label=f"{entity}|{value}"))
        return [s for s in out if s is not None]

    @staticmethod
    def _has_body_cue(doc: Doc, start: int, end: int) -> bool:
        words = [t for t in doc if not t.is_punct]
        if len(words) == end - start:
            return True  # the whole message is the word, e.g. "back" as an answer
        before = doc[start - 1].lower_ if start > 0 else ""
        after = doc[end].lower_ if end < len(doc) else ""
        if before in {"money", "come", "came", "coming", "be", "get", "got", "i'm", "im", "'m", "welcome", "go", "going", "went", "right", "call", "ring", "text", "write", "pay", "paid", "give", "bring"}:
            return False
        return before in BODY_CUES_BEFORE or after in BODY_CUES_AFTER

    @staticmethod
    def _is_negated(doc: Doc, start: int) -> bool:
        """'not my shoulders': a negator up to three words before, within the clause."""
        for token in reversed(doc[max(0, start - 3):start]):
            if token.is_punct or token.lower_ in ("but", "and", "it's", "its"):
                return False
            if token.lower_ in NEGATORS:
                return True
        return False
