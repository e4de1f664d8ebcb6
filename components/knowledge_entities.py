"""Finds body regions, activities and equipment with spaCy's PhraseMatcher.

The phrases come from the training data's lookup tables and synonyms, which are
generated from the knowledge base content (data/generated/knowledge_terms.yml), so
the matcher and the content can never drift apart. Typos are caught by a bounded
edit-distance match on single words; ambiguous words such as "back" count only with a
body cue next to them ("my back", "back is stiff", but not "my money back").

Kit is read as what the person has: a kit word after "no", "don't own", "left ... at home",
"took" or "broke" is kit they lack (role "not"); kit words also match in the singular or
plural and with one typo in the few head nouns people misspell ("rollr"); and a message that
lists only kit they lack ("no gun, no roller") or says they have nothing means their hands.
"""
from __future__ import annotations

import json
import logging
import re
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
# Kit the person does not have at hand: a word up to KIT_WINDOW words before the kit...
KIT_ABSENT_BEFORE = NEGATORS | {"without", "forgot", "forgotten", "lost", "broke", "broken", "sold", "dont", "nor",
                                "neither", "lacking"}
# ...or right after it ("the gun died", "roller is at my mum's").
KIT_ABSENT_AFTER = {"died", "broke", "broken", "dead", "bust", "busted", "gone", "missing"}
KIT_WINDOW = 5
KIT_LEFT_BEHIND = re.compile(r"(?:\w+\s+)?(?:at|in|behind|back)\b")
KIT_LIST_JOINERS = {",", "or", "nor", "and", "a", "an", "any", "no", "not", "/", "&", "even"}
# "I have nothing", "not got anything", "don't have any equipment": the person's hands. A bare
# "nothing" or "none" is left to the dialogue, which knows whether kit was the question.
_KIT_NOUN = r"(?:equipment|kit|gear|tools?|props|gadgets?|massage\s+tools?|of\s+(?:that|those|these|them))"
_NOT = r"(?:\b(?:not|dont|no|never)|n't)"
NOTHING_AT_HAND = re.compile(
    r"\b(?:have|got|own|brought)\s+(?:absolutely\s+|literally\s+|got\s+)?(?:nothing|nothin|nada|zilch)\b"
    r"|" + _NOT + r"\s+(?:have|got|own)\s+(?:got\s+)?(?:anything|anythin|nothing)\b(?!\s+(?:wrong|bad|serious|else))"
    r"|" + _NOT + r"\s+(?:have|got|own)\s+(?:got\s+)?(?:any\s+|a\s+|the\s+)?(?:special\s+|fancy\s+|proper\s+)?"
    + _KIT_NOUN + r"\b"
    r"|\bno\s+(?:special\s+|fancy\s+|proper\s+)?(?:equipment|kit|gear|tools|props|gadgets)\b"
    r"|\bnothing\s+(?:at\s+home|to\s+hand|on\s+hand|with\s+me)\b",
    re.IGNORECASE)
# The kit nouns people misspell, matched with one edit (first letter kept, 5+ letters).
KIT_FUZZY_WORDS = ("roller", "rollers", "theragun", "hypervolt", "hyperice", "blackroll", "massager", "percussion")
KIT_FUZZY_STOPWORDS = {"rolled", "rolls", "rolex", "roller's", "hyper", "massages", "massaged"}
# Fuzzy matching is for misspelt body parts only: activity and kit words collide with
# everyday English ("hurting" is one letter from "hurling", "weight" from "weights").
FUZZY_ENTITY_TYPES = ("body_region",)
FUZZY_STOPWORDS = {"gluten", "should", "shouldn't", "hurting", "weight", "wrists", "calling", "called", "walked",
                   "thighs", "things", "charts", "beside", "behind", "bottle", "better", "hopped"}


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def number_variants(phrase: str) -> List[str]:
    """The other grammatical number of a kit phrase's last word ("massager" and
    "massagers"), so that people need not say it the way the content does."""
    head, _, last = phrase.rpartition(" ")
    if not last.isalpha() or len(last) < 4:
        return []
    if last.endswith("ss"):
        other = last + "es"
    elif last.endswith("s"):
        other = last[:-1]
    else:
        other = last + "s"
    return [f"{head} {other}".strip()]


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
        self._kit_words = self._kit_fuzzy_index()

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

    def _kit_fuzzy_index(self) -> Dict[str, List[str]]:
        """The misspelt kit nouns the content has, by first letter."""
        index: Dict[str, List[str]] = {}
        for word in KIT_FUZZY_WORDS:
            if word in self.phrases.get("equipment", {}):
                index.setdefault(word[0], []).append(word)
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
        for phrase, value in list(phrases["equipment"].items()):
            if value == "hands":  # "hand" alone is the body part, not the kit
                continue
            for variant in number_variants(phrase):
                phrases["equipment"].setdefault(variant, value)
        if not any(phrases.values()):
            logger.warning("KnowledgeEntityMatcher found no lookup tables: run `make nlu-data`.")
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "phrases.json").write_text(
                json.dumps({"phrases": phrases, "ambiguous": sorted(set(ambiguous))}), encoding="utf-8")
        self.phrases, self.ambiguous = phrases, set(ambiguous)
        self._matcher = self._build_matcher()
        self._fuzzy_words = self._fuzzy_index()
        self._kit_words = self._kit_fuzzy_index()
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
        # spaCy splits "5K" but not "5k": match on ASCII lower case (same length, so the
        # character offsets still point into the user's text).
        doc = self._nlp.make_doc(text[:5000].translate(_ASCII_LOWER))
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
        covered = {i for s in spans for i in range(s.start, s.end)}
        spans += self._fuzzy_kit(doc, covered)
        entities = []
        last_kit = None  # (end token, lacking) of the previous kit mention
        for span in sorted(spans, key=lambda s: s.start):
            entity, value = span.label_.split("|", 1)
            record = {"entity": entity, "value": value, "start": span.start_char, "end": span.end_char,
                      "confidence_entity": 1.0, "extractor": self.__class__.__name__}
            if entity == "equipment":
                # "no balls or rollers": a kit listed right after one they lack is lacking too
                listed = last_kit is not None and last_kit[1] and all(
                    t.lower_ in KIT_LIST_JOINERS for t in doc[last_kit[0]:span.start])
                negated = listed or self._kit_is_absent(doc, span.start, span.end)
                last_kit = (span.end, negated)
            else:
                negated = self._is_negated(doc, span.start)
            if negated:
                record["role"] = "not"
            entities.append(record)
        return entities + self._hands_when_nothing_else(doc, entities)

    def _hands_when_nothing_else(self, doc: Doc, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """No kit they have, and either two kinds they lack ("no gun, no roller") or words
        that say they have nothing: their hands."""
        kit = [e for e in entities if e["entity"] == "equipment"]
        if any(e.get("role") != "not" for e in kit):
            return []
        lacking = {e["value"] for e in kit}
        said = NOTHING_AT_HAND.search(doc.text.replace("\u2019", "'"))
        if len(lacking) < 2 and not said:
            return []
        start, end = (said.start(), said.end()) if said else (kit[-1]["start"], kit[-1]["end"])
        return [{"entity": "equipment", "value": "hands", "start": start, "end": end, "confidence_entity": 1.0,
                 "extractor": self.__class__.__name__}]

    def _fuzzy_kit(self, doc: Doc, covered: set) -> list:
        """'foam rollr', 'theragunn': one edit from a kit noun people often misspell."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        out = []
        for token in doc:
            word = token.lower_
            if token.i in covered or not token.is_alpha or len(word) < 5 or word in KIT_FUZZY_STOPWORDS:
                continue
            candidates = self._kit_words.get(word[0])
            if not candidates:
                continue
            found = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=1)
            if found and found[0] != word:
                value = self.phrases["equipment"][found[0]]
                out.append(doc.char_span(token.idx, token.idx + len(token.text), label=f"equipment|{value}"))
        return [s for s in out if s is not None]

    @staticmethod
    def _kit_is_absent(doc: Doc, start: int, end: int) -> bool:
        """'no roller', 'don't own a gun', 'left my theragun at home', 'the gun died'."""
        for token in reversed(doc[max(0, start - KIT_WINDOW):start]):
            word = token.lower_
            if token.is_punct or word in ("but", "only", "just", "so", "though", "however", "except", "instead",
                                          "still"):
                break
            if word in KIT_ABSENT_BEFORE:
                return True
            if word in ("left", "forgot") and KIT_LEFT_BEHIND.match(doc[end:end + 5].text.lower()):
                return True  # "left my theragun at home" (but "there's a roller at home" is at hand)
        following = [t.lower_ for t in doc[end:end + 3]]
        return bool(following[:1] and following[0] in KIT_ABSENT_AFTER or
                    following[1:2] and following[1] in KIT_ABSENT_AFTER)

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
