"""Finds the user's own red-flag symptoms, contraindications and high-risk mentions in one
message, and says why.

Pipeline (spaCy blank English):
  1. the text is normalised (case, quotes, spaces) and misspelt symptom words are read as the
     word meant (`safety.lexicon`: "chesst" -> "chest"; common words are never changed);
  2. sentencizer;
  3. `unknot_symptom_spans`: the reviewed patterns and word families of the content become
     spans: `flag:<id>`, `contraindication:<id>`, and `concern:<area>` for a mention of a
     high-risk area (chest or heart, breathing, head, face/vision/speech, walking, a fall, a
     break). Families match regular expressions and lemmas ("breathing" -> "breathe");
  4. `unknot_semantic_flags` (optional): each sentence is embedded once (all-MiniLM-L6-v2);
     a classifier trained on the case files says how likely it describes a red flag and the
     nearest examples say which. A confident score adds `semantic:<flag>` spans on the
     sentence's symptom words, a middling one a `concern:<area>` span (ask, don't guess);
  5. medspaCy ConText marks every span that is negated, hypothetical, about someone else or
     in the resolved past. A finding counts only when none of those applies.

`Detection.evidence` says for each flag what fired it (a pattern, a pair of families, or
the semantic score with its nearest example); the Rasa component logs it at debug level.
"""

import itertools
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import terms
from .dialect import DialectReader, replace_spans

logger = logging.getLogger(__name__)

SPAN_GROUP = "unknot_findings"
# Longer messages are read in full up to this many characters; beyond it only the
# first part is read, which keeps the time per message bounded. Nobody types more.
MAX_CHARS = 20_000
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"'})
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

if not Doc.has_extension("unknot_concepts"):
    Doc.set_extension("unknot_concepts", default=None)
# For a pair whose partner words may stand anywhere in the message ("banged my head ... not
# sick"): the token ranges of each partner family, by (label, start, end) of the pair's span.
if not Doc.has_extension("unknot_partners"):
    Doc.set_extension("unknot_partners", default=None)
# Token indices inside matches of families that carry their own negation ("no better").
if not Doc.has_extension("unknot_self_negating"):
    Doc.set_extension("unknot_self_negating", default=None)
# Why each span was made, by (label, start token, end token): span extensions in spaCy are
# stored by character offsets only, so two labels on the same words would share them.
# The whole-message reading (safety.message_levels): (verdict, message vector), set by
# `unknot_semantic_flags`.
if not Doc.has_extension("unknot_message"):
    Doc.set_extension("unknot_message", default=None)
if not Doc.has_extension("unknot_details"):
    Doc.set_extension("unknot_details", default=None)


def _note(doc: Doc, span: Span, detail: str, group: int = -1) -> None:
    if doc._.unknot_details is None:
        doc._.unknot_details = {}
    doc._.unknot_details.setdefault((span.label_, span.start, span.end), (detail, group))


def _detail(span: Span) -> tuple[str, int]:
    return (span.doc._.unknot_details or {}).get((span.label_, span.start, span.end), ("", -1))


@dataclass(frozen=True)
class Finding:
    kind: str  # "flag" | "semantic" | "contraindication" | "concern"
    id: str  # flag, contraindication or risk-area id
    start: int  # offsets in the original text
    end: int
    negated: bool = False
    hypothetical: bool = False
    family: bool = False
    historical: bool = False
    historical_ok: bool | str = False
    detail: str = ""
    group: int = -1  # semantic findings of one sentence share a group (its first token)

    @property
    def applies(self) -> bool:
        """True when this is the user's own, current problem."""
        if self.negated or self.hypothetical or self.family:
            return False
        return self.historical_ok or not self.historical

    @property
    def is_flag(self) -> bool:
        return self.kind in ("flag", "semantic")


@dataclass(frozen=True)
class Evidence:
    """Why a flag fired: `source` is "pattern", "families" or "semantic"."""

    flag: str
    source: str
    text: str
    detail: str = ""


@dataclass(frozen=True)
class Detection:
    flags: tuple[str, ...] = ()
    negated_flags: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()  # high-risk areas mentioned with no flag: ask about them
    correction: bool = False
    findings: tuple[Finding, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    corrected_text: str = ""  # the text as read after spelling tolerance (for the debug log)
    degraded: bool = False  # True when context analysis failed and raw matches were used

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def explain(self) -> str:
        """One line per flag and concern: what fired and why."""
        lines = [f"{e.flag} <- {e.source} '{e.text}'" + (f" ({e.detail})" if e.detail else "") for e in self.evidence]
        lines += [f"ask about {area}" for area in self.concerns]
        return "; ".join(lines) or "nothing"


def normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with straight quotes and single spaces, and for each of its
    characters the offset of the character it came from in the original."""
    out_chars: list[str] = []
    index_map: list[int] = []
    previous_space = True
    for i, ch in enumerate(text[:MAX_CHARS].translate(_QUOTES)):
        if ch.isspace():
            if previous_space:
                continue
            ch, previous_space = " ", True
        else:
            lowered = ch.lower()
            ch = lowered if len(lowered) == 1 else ch
            previous_space = False
        out_chars.append(ch)
        index_map.append(i)
    while out_chars and out_chars[-1] == " ":
        out_chars.pop()
        index_map.pop()
    # "Can't. Get. Full. Sentence. Out." / "chest. heavy. left arm weird.": one clause typed a
    # few words at a time. The full stops inside a run of three or more fragments of at most
    # four words are dropped (and their offsets with them), so the run reads as one sentence.
    text = "".join(out_chars)
    dropped = {m.start() + i for m in _WORD_AT_A_TIME.finditer(text) for i, ch in enumerate(m.group()) if ch == "."}
    if dropped:
        text = "".join(ch for i, ch in enumerate(text) if i not in dropped)
        index_map = [origin for i, origin in enumerate(index_map) if i not in dropped]
    return text, index_map


_FRAGMENT = r"[^\W\d_]+(?:'[^\W\d_]+)?(?: [^\W\d_]+(?:'[^\W\d_]+)?){0,3}"
_WORD_AT_A_TIME = re.compile(r"(?:(?<=^)|(?<=[.!?] ))(?:" + _FRAGMENT + r"\. ){2,}" + _FRAGMENT + r"(?=\.)")


def correct_spelling(text: str, index_map: list[int], corrector) -> tuple[str, list[int]]:
    """Replaces misspelt symptom words by the word meant, keeping the offset map."""
    if corrector is None:
        return text, index_map
    replacements = []
    for match in _WORD.finditer(text):
        meant = corrector.correct(match.group())
        if meant:
            replacements.append((match.start(), match.end(), meant))
    return replace_spans(text, index_map, replacements)


def _someone_else_leads_into(span: Span) -> bool:
    """"friend coughed blood": a someone-else phrase that runs into the symptom's first word
    (medspaCy never lets a modifier touch the words it modifies)."""
    graph = getattr(span.doc._, "context_graph", None)
    return any(m.category == "FAMILY" and m.modifier_span[0] <= span.start < m.modifier_span[1] < span.end
               for m in (getattr(graph, "modifiers", None) or ()))


def _names_the_writer(span: Span, first_person: frozenset) -> bool:
    """"one guy jammed my head", "a lad elbowed me": someone else did it, the symptom is the
    writer's own (not "a girl has a stress fracture, my shins...": a new clause)."""
    for token in span:
        if token.text in CLAUSE_COMMAS:
            return False  # a new clause: "osteoporosis, I'm just here about my own shoulders"
        if token.lower_ in first_person:
            return True
    return False


# "can't walk, pee like tea": an inability is a symptom of its own and ends at the comma.
ABILITY_NEGATIONS = {"can't", "cant", "cannot", "can not", "couldn't", "couldnt", "unable to", "ca n't"}


def _sentence_ends(doc: Doc, start: int, end: int) -> bool:
    """A full stop, question or exclamation mark (or a semicolon) among tokens start..end."""
    return any(doc[i].text in (".", "!", "?", ";", "..", "...") for i in range(start, min(end, len(doc))))


def _new_clause_between(doc: Doc, after: int, target_start: int, target_end: int) -> bool:
    """True when a comma (or dash) between token `after` and the target opens a new clause:
    within the next four words, up to the target's end, a verb and no list joiner."""
    for i in range(after, target_start + 1):
        if i >= len(doc) or doc[i].text not in CLAUSE_COMMAS:
            continue
        window = [t.lower_ for t in doc[i + 1:min(i + 5, max(target_end, i + 1), len(doc))]]
        if window and window[0] in LIST_JOINERS:
            continue
        if window[0] in CLAUSE_SUBJECTS or any(w in CLAUSE_VERBS for w in window):
            return True
    return False


@Language.factory(
    "unknot_symptom_spans",
    default_config={"flags_file": None, "contraindications_file": None, "concept_window": 8},
)
def make_symptom_spans(nlp: Language, name: str, flags_file: Optional[str], contraindications_file: Optional[str],
                       concept_window: int):
    flags_path = Path(flags_file) if flags_file else terms.RED_FLAGS_FILE
    from .lexicon import Lemmas
    return SymptomSpans(
        terms.load_pattern_sets(flags_path,
                                Path(contraindications_file) if contraindications_file else terms.CONTRAINDICATIONS_FILE),
        terms.load_concepts(flags_path), concept_window, terms.load_risk_areas(flags_path), Lemmas(),
    )


# Words that end a clause: two concepts on either side of one are not paired.
CLAUSE_BREAKS = {"but", "however", "though", "although", "except", ";", "whereas"}

# A negation reaches across a comma only into a list ("no numbness, tingling or weakness"),
# not into a new clause with its own verb ("can't get off the toilet, wee is dark brown"):
# medspaCy's scope runs to the end of the sentence, so a negation early in a run-on message
# would silence every symptom after it.
CLAUSE_VERBS = {
    "is", "was", "are", "were", "'s", "s", "has", "have", "had", "'ve", "feels", "feel", "felt", "keeps", "kept",
    "went", "goes", "gone", "going", "got", "gets", "getting", "looks", "looked", "started", "starts", "came",
    "comes", "been", "be", "hurts", "hurt", "aches", "ached", "won't", "wont", "can't", "cant", "cannot",
    "ca", "wo", "do", "does", "did", "keep", "am", "'m", "m", "needs", "need", "turned", "turns", "seems",
    # what happened next: "ring won't come off, finger blew up like a sausage"
    "blew", "swelled", "ballooned", "popped", "snapped", "cracked", "gave", "fell", "landed", "twisted", "jammed",
}
CLAUSE_COMMAS = {",", "-", "--", "\u2013", "\u2014", "...", "..", "/"}
LIST_JOINERS = {"or", "nor"}
# a pronoun right after the comma opens a clause of its own ("..., it wake me 2 3 times")
CLAUSE_SUBJECTS = {"it", "i", "i'm", "im", "he", "she", "they", "we", "its", "it's", "there", "this", "that"}
# ", just ..." / ", now just ...": the writer turns to something else ("went away months ago,
# now just stiff wrists"); two concepts either side are not paired. (", now" alone is not one:
# "hit my head on the floor, now my neck hurts" is one story.)
CONTRAST_OPENERS = (("just",), ("now", "just"), ("now", "only"))


class SymptomSpans:
    """spaCy component: every pattern match becomes a span in doc.spans[SPAN_GROUP],
    labelled 'flag:<id>' or 'contraindication:<id>'; so does every close pair of concept
    words that a flag lists in `concept_pairs`; every concept word of a risk area becomes a
    'concern:<area>' span. Overlaps are kept. The concept words found are left on the doc
    (`doc._.unknot_concepts`) for the semantic component."""

    def __init__(self, pattern_sets: list[terms.PatternSet], concepts: Optional[dict] = None, window: int = 8,
                 risk_areas: Optional[dict] = None, lemmas=None):
        self.pattern_sets = pattern_sets
        self.concepts: dict[str, terms.Concept] = {
            name: c if isinstance(c, terms.Concept) else terms.Concept(name, tuple(c))
            for name, c in (concepts or {}).items()}
        self.window = window
        self.risk_areas = risk_areas or {}
        self.lemmas = lemmas
        self._lemma_index: dict[str, list[str]] = {}
        for name, concept in self.concepts.items():
            for lemma in concept.lemmas:
                self._lemma_index.setdefault(lemma, []).append(name)

    def relevant_concepts(self) -> dict[str, frozenset[str]]:
        """For each flag, the concept families that speak of it: those of its own groups and
        of its risk area. The semantic layer anchors a flag on these words only."""
        out = {}
        for pset in self.pattern_sets:
            if pset.kind != "flag":
                continue
            names = {n for group in pset.concept_pairs for n in group.names}
            names |= set(self.risk_areas.get(pset.area or "", ()))
            out[pset.id] = frozenset(names)
        return out

    def __call__(self, doc: Doc) -> Doc:
        spans: dict[tuple[str, int, int], Span] = {}
        text = doc.text
        for pset in self.pattern_sets:
            label = f"{pset.kind}:{pset.id}"
            for number, pattern in enumerate(pset.patterns, start=1):
                for match in pattern.finditer(text):
                    self._add(spans, doc, match.start(), match.end(), label, f"pattern {number}")
        found = self._concept_spans(doc)
        doc._.unknot_concepts = found
        doc._.unknot_self_negating = frozenset(
            i for name, concept in self.concepts.items() if concept.negative
            for ranges in found.get(name, {}).values() for start, end in ranges for i in range(start, end))
        breaks = [i for i, t in enumerate(doc) if t.lower_ in CLAUSE_BREAKS or (
            t.text in CLAUSE_COMMAS and any(
                [w.lower_ for w in doc[i + 1:i + 1 + len(opener)]] == list(opener) for opener in CONTRAST_OPENERS))]
        partners_of: dict[tuple[str, int, int], list] = {}
        for pset in self.pattern_sets:
            label = f"{pset.kind}:{pset.id}"
            for group in pset.concept_pairs:
                for start, end, partners in self._group_matches(group, found, breaks, doc):
                    added = self._add(spans, doc, doc[start].idx, doc[end - 1].idx + len(doc[end - 1]), label,
                                      "families " + "+".join(group.names))
                    if added is not None and partners:
                        partners_of[added] = partners
        doc._.unknot_partners = partners_of
        for area, names in self.risk_areas.items():
            for name in names:
                for ranges in found.get(name, {}).values():
                    for start, end in ranges:
                        self._add(spans, doc, doc[start].idx, doc[end - 1].idx + len(doc[end - 1]), f"concern:{area}", name)
        doc.spans[SPAN_GROUP] = list(spans.values())
        return doc

    @staticmethod
    def _add(spans: dict, doc: Doc, start: int, end: int, label: str, detail: str = "") -> Optional[tuple]:
        if end <= start:
            return
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None and len(span) and (label, span.start, span.end) not in spans:
            _note(doc, span, detail)
            spans[(label, span.start, span.end)] = span
            return (label, span.start, span.end)
        return None

    # At most this many matches of one concept per sentence are paired: enough for any
    # real message, and it keeps the pairing bounded on pathological input.
    MAX_PER_SENTENCE = 12

    def _concept_spans(self, doc: Doc) -> dict[str, dict[int, list[tuple[int, int]]]]:
        """Token ranges of every concept word, grouped by the sentence they start in."""
        sentence_of = [0] * len(doc)
        for number, sent in enumerate(doc.sents):
            for i in range(sent.start, sent.end):
                sentence_of[i] = number
        found: dict[str, dict[int, list[tuple[int, int]]]] = {}

        def note(name: str, start: int, end: int) -> None:
            bucket = found.setdefault(name, {}).setdefault(sentence_of[start], [])
            if len(bucket) < self.MAX_PER_SENTENCE and (start, end) not in bucket:
                bucket.append((start, end))

        text = doc.text  # a property that joins every token: read it once
        for name, concept in self.concepts.items():
            for pattern in concept.patterns:
                for match in pattern.finditer(text):
                    if match.end() <= match.start():
                        continue
                    span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                    if span is not None and len(span):
                        note(name, span.start, span.end)
        if self._lemma_index:
            for token in doc:
                if not token.is_alpha:
                    continue
                word = token.lower_
                names = self._lemma_index.get(word) or (
                    self._lemma_index.get(self.lemmas(word)) if self.lemmas is not None else None)
                for name in names or ():
                    note(name, token.i, token.i + 1)
        return found

    def _group_matches(self, group: terms.ConceptGroup, found: dict, breaks: list, doc: Doc):
        """Token ranges where every concept of the group is present, close together, each with
        the ranges of its partner families when they may stand anywhere (else None)."""
        names = group.names
        if any(name not in found for name in names + group.also):
            return

        def harmless(sentence: int) -> bool:
            return any(found.get(name, {}).get(sentence) for name in group.unless)

        if group.anywhere or len(names) == 1:
            partners = [[r for ranges in found[name].values() for r in ranges] for name in names[1:] + group.also]
            for sentence, ranges in found[names[0]].items():
                if not harmless(sentence):
                    for start, end in ranges:
                        yield start, end, partners
            return
        window = group.window or self.window
        first, rest = names[0], names[1:]
        for sentence, firsts in found[first].items():
            others = [found[name].get(sentence) for name in rest]
            if not all(others) or harmless(sentence):
                continue
            for a in firsts:
                for combo in itertools.product(*others):
                    ranges = (a, *combo)
                    if self._close_all(ranges, breaks, window):
                        yield min(r[0] for r in ranges), max(r[1] for r in ranges), None

    @staticmethod
    def _close_all(ranges: tuple[tuple[int, int], ...], breaks: list[int], window: int) -> bool:
        """Distinct words, each at most `window` tokens from the next, no clause break between."""
        ordered = sorted(ranges)
        for left, right in zip(ordered, ordered[1:]):
            if right[0] < left[1]:
                return False  # the same words cannot be two concepts
            if right[0] - left[1] > window:
                return False
        lo, hi = ordered[0][1], ordered[-1][0]
        return not any(lo <= i < hi for i in breaks)


@Language.factory("unknot_semantic_flags", default_config={"fire": 0.85, "ask": 0.5, "fire_similarity": 0.4,
                                                           "whole_message": True})
def make_semantic_flags(nlp: Language, name: str, fire: float, ask: float, fire_similarity: float,
                        whole_message: bool):
    from .semantic import shared_scorer
    levels = None
    if whole_message:
        from . import message_levels
        levels = message_levels.load()
    return SemanticFlags(shared_scorer(), fire, ask, fire_similarity, levels)


class SemanticFlags:
    """spaCy component after `unknot_symptom_spans`: one embedding per sentence.

    A sentence that the classifier scores at least `fire`, whose nearest labelled examples
    agree (the nearest flagged example is at least as close as the nearest harmless one),
    adds a `semantic:<flag>` span on each of its words that belong to that flag's own
    families, so that ConText can still negate it ("no chest pain" is never a flag). A
    sentence scored at least `ask`, or a confident one without such words, adds a
    `concern:<area>` span on its symptom words instead, so the assistant asks the flag's
    safety question. Sentences without any symptom word add nothing.

    A classifier extrapolates: far from every labelled example it can still be confident
    ("can I try a different one" scored 0.99 once). So a sentence fires only when its
    nearest labelled example is at least `fire_similarity` alike; a confident score further
    away only asks."""

    MIN_WORDS = 2

    def __init__(self, scorer, fire: float = 0.85, ask: float = 0.5, fire_similarity: float = 0.4,
                 message_levels=None):
        self.scorer = scorer
        self.fire, self.ask, self.fire_similarity = fire, ask, fire_similarity
        self.message_levels = message_levels
        self.relevant: dict[str, frozenset[str]] = {}

    def __call__(self, doc: Doc) -> Doc:
        found = doc._.unknot_concepts or {}
        sentences = []
        all_sentences = list(doc.sents)
        for number, sent in enumerate(all_sentences):
            words = {name: per_sentence[number] for name, per_sentence in found.items() if per_sentence.get(number)}
            if words and sum(t.is_alpha for t in sent) >= self.MIN_WORDS:
                sentences.append((sent, words))
        # One encoder call for the sentences and the whole message; a message of one
        # sentence already scored is its own message vector. The whole-message reading is
        # only used when the rules found no flag and no risk area (`_message_findings`), so
        # it is not computed otherwise.
        texts = [sent.text for sent, _ in sentences]
        rules_spoke = any(span.label_.startswith(("flag:", "concern:")) for span in doc.spans[SPAN_GROUP])
        whole = self.message_levels is not None and not rules_spoke and sum(t.is_alpha for t in doc) >= self.MIN_WORDS
        reuse = whole and len(all_sentences) == 1 and len(texts) == 1
        batch = texts + ([doc.text] if whole and not reuse else [])
        vectors = self.scorer.encoder.encode(batch) if batch else None
        if whole:
            vector = vectors[0] if reuse else vectors[-1]
            doc._.unknot_message = (self.message_levels.verdict(vector), vector)
        if not sentences:
            return doc
        scores = self.scorer.score_vectors(vectors[:len(texts)])
        group = list(doc.spans[SPAN_GROUP])
        for (sent, words), score in zip(sentences, scores):
            anchors = sorted({r for name, ranges in words.items()
                              if name in self.relevant.get(score.flag or "", ()) for r in ranges})
            if score.probability >= self.fire and score.agrees and anchors \
                    and score.similarity >= self.fire_similarity:
                label = f"semantic:{score.flag}"
            elif score.probability >= self.ask and score.area:
                label = f"concern:{score.area}"
                anchors = anchors or sorted({r for ranges in words.values() for r in ranges})
            else:
                continue
            for start, end in anchors:
                span = Span(doc, start, end, label=label)
                _note(doc, span, score.explain(), sent.start)
                group.append(span)
        doc.spans[SPAN_GROUP] = group
        return doc


# Verbs (and "with") after which a person is the object of the writer's action.
OBJECT_VERBS = frozenset({
    "picking", "picked", "pick", "lifting", "lifted", "lift", "carrying", "carried", "carry", "holding", "held",
    "chasing", "chased", "chase", "pushing", "pushed", "push", "feeding", "fed", "bathing", "bathed", "rocking",
    "playing", "played", "with", "wrestling", "wrestled", "hugging", "hugged", "catching", "caught", "swinging",
    "swung", "helping", "helped", "moving", "moved", "walking", "walked", "spotting", "spotted", "coaching",
    "sprinting", "running", "racing", "jogging", "dragging", "dragged", "towing",
})


def people_rules(people: "terms.People") -> list:
    """ConText rules built from token patterns over the people word lists: one rule per
    role covers every frame ("training partner collapsed", "colleague's pee went dark")."""
    from medspacy.context import ConTextRule

    others = list(people.other_people)
    firsts = list(people.first_person)
    own = list(people.own_descriptions)
    return [
        # the subject of a clause: first in its sentence, or after a determiner ("my mate",
        # "one guy"); not an object ("collided with a player" keeps "with" before "a")
        ConTextRule("someone else opens the sentence", "FAMILY", direction="FORWARD", terminated_by={"SELF"},
                    pattern=[{"IS_SENT_START": True, "LOWER": {"IN": others + list(people.sentence_openers)}},
                             {"LOWER": {"IN": ["'s", "s"]}, "OP": "?"}]),
        # "gym bro passed out", "squadmate collapsed": a word before the noun, or any "-mate"
        ConTextRule("someone else, described, opens the sentence", "FAMILY", direction="FORWARD",
                    terminated_by={"SELF"},
                    pattern=[{"IS_SENT_START": True, "IS_ALPHA": True, "LOWER": {"NOT_IN": firsts + own}},
                             {"LOWER": {"IN": others}}, {"LOWER": {"IN": ["'s", "s"]}, "OP": "?"}]),
        # "running club mate has foot drop": two words describing the person
        ConTextRule("someone else, described at length, opens the sentence", "FAMILY", direction="FORWARD",
                    terminated_by={"SELF"},
                    pattern=[{"IS_SENT_START": True, "IS_ALPHA": True, "LOWER": {"NOT_IN": firsts}},
                             {"IS_ALPHA": True, "LOWER": {"NOT_IN": firsts + own + ["and", "but", "or", "so"]}},
                             {"LOWER": {"IN": others}}, {"LOWER": {"IN": ["'s", "s"]}, "OP": "?"}]),
        ConTextRule("a -mate opens the sentence", "FAMILY", direction="FORWARD", terminated_by={"SELF"},
                    pattern=[{"IS_SENT_START": True, "LOWER": {"REGEX": r"^[a-z]+mates?$"}},
                             {"LOWER": {"IN": ["'s", "s"]}, "OP": "?"}]),
        ConTextRule("someone else", "FAMILY", direction="FORWARD", terminated_by={"SELF"},
                    pattern=[{"LOWER": {"IN": list(people.determiners)}},
                             {"IS_ALPHA": True, "LOWER": {"NOT_IN": list(people.first_person)}, "OP": "?"},
                             {"LOWER": {"IN": others}}, {"LOWER": {"IN": ["'s", "s"]}, "OP": "?"}]),
        # "my friend says my lips look blue": the witness reports the writer ("my", "I"...);
        # "my mum says her back stiffens" stays someone else's
        ConTextRule("a witness reporting", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": ["my", "the", "a", "our", "his", "her"]}, "OP": "?"},
                             {"LOWER": {"IN": others}}, {"LOWER": {"IN": list(people.reporting_verbs)}},
                             {"LOWER": {"IN": ["that"]}, "OP": "?"}, {"LOWER": {"IN": firsts}}]),
        # "like the tin man", "as an old man": a simile, not a person
        ConTextRule("a simile, not a person", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": ["like", "as"]}}, {"LOWER": {"IN": ["a", "an", "the", "some"]}},
                             {"IS_ALPHA": True, "LOWER": {"NOT_IN": firsts + ["his", "her", "our", "their", "your"]},
                              "OP": "?"}, {"LOWER": {"IN": others}}]),
        # "nearly 8 weeks", "almost a month": an amount, not something that nearly happened
        ConTextRule("an approximate amount", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": ["nearly", "almost"]}},
                             {"LIKE_NUM": True, "OP": "?"}, {"LOWER": {"IN": ["a", "an", "half", "over"]}, "OP": "?"},
                             {"LOWER": {"REGEX": r"^(?:\d+|a|an|half|one|two|three|four|five|six|seven|eight|nine|ten|"
                                                  r"eleven|twelve|twenty|thirty)$|^(?:week|month|year|day|hour|wk|yr)s?$"}}]),
        # "can't get a full breath without a sharp catch", "can't walk without my knee giving":
        # what comes with every attempt is there, not denied by "can't" or by "without"
        ConTextRule("a sign that comes with every attempt", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": ["ca", "can", "could", "cannot", "cant", "wo"]}},
                             {"LOWER": {"IN": ["n't", "nt", "not"]}, "OP": "?"}]
                    + [{"IS_ALPHA": True, "LOWER": {"NOT_IN": ["but", "and", "so", "or"]}, "OP": "?"}] * 6
                    + [{"LOWER": "without"}]),
        ConTextRule("the writer", "SELF", direction="FORWARD", max_scope=1,
                    pattern=[{"LOWER": {"IN": list(people.first_person)}}]),
        # "picking up my toddler", "chasing the kids", "with the kids": someone the writer acts
        # on or is with is the object, not the subject of what follows
        ConTextRule("someone the writer acts on", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": list(OBJECT_VERBS)}}, {"LOWER": {"IN": ["up", "after", "round", "around"]},
                                                                      "OP": "?"},
                             {"LOWER": {"IN": list(people.determiners)}},
                             {"IS_ALPHA": True, "LOWER": {"NOT_IN": firsts}, "OP": "?"},
                             {"LOWER": {"IN": others}}]),
        # "a patient on my ward", "a guy at my gym": the writer's place, not the writer ("one of
        # my clients" is someone else)
        ConTextRule("the writer's place", "PSEUDO", direction="PSEUDO",
                    pattern=[{"LOWER": {"IN": ["at", "on", "in", "from", "with", "to", "near", "by", "for"]}},
                             {"LOWER": {"IN": ["my", "our"]}}]),
    ]


class SymptomDetector:
    """Builds the pipeline once; `detect` is then safe to call on any text.

    `semantic`: None reads UNKNOT_SEMANTIC (on unless "0"); False leaves the semantic layer
    out (rules only, e.g. to measure what it adds)."""

    def __init__(self, context_rules: Optional[list[terms.ContextRuleSpec]] = None,
                 correction_cues: Optional[tuple[str, ...]] = None,
                 flags_file: Optional[Path] = None, contraindications_file: Optional[Path] = None,
                 semantic: Optional[bool] = None, spelling: bool = True):
        from medspacy.context import ConTextRule  # imported here: medspaCy is slow to import

        if semantic is None:
            semantic = os.environ.get("UNKNOT_SEMANTIC", "1") != "0"
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.spans = self.nlp.add_pipe("unknot_symptom_spans", config={
            "flags_file": str(flags_file) if flags_file else None,
            "contraindications_file": str(contraindications_file) if contraindications_file else None,
        })
        self.semantic = self.nlp.add_pipe("unknot_semantic_flags") if semantic else None
        if self.semantic is not None:
            self.semantic.relevant = self.spans.relevant_concepts()
        self.context = self.nlp.add_pipe("medspacy_context", config={
            "rules": "default", "input_span_type": "group", "span_group_name": SPAN_GROUP,
        })
        rules = context_rules if context_rules is not None else terms.load_context_rules()
        self.context.add([
            ConTextRule(r.literal, r.category, direction=r.direction, max_scope=r.max_scope)
            for r in rules
        ] + people_rules(people := terms.load_people()))
        self.first_person = frozenset(people.first_person)
        # The writer speaking again ends every "someone else" scope (terms/people.yml). Set on
        # the rules themselves: medspaCy 1.3.1's `terminating_types` setting is consumed by
        # the first rule it is applied to.
        for rule in self.context.rules:
            if rule.category.upper() == "FAMILY":
                rule.terminated_by.add("SELF")
        cues = correction_cues if correction_cues is not None else terms.load_correction_cues()
        self._correction = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b") if cues else None
        self._historical_ok = {(p.kind, p.id): p.historical_ok for p in self.spans.pattern_sets}
        self._historical_ok.update({("semantic", p.id): p.historical_ok for p in self.spans.pattern_sets})
        from .lexicon import common_words
        self.dialect = DialectReader(terms.load_dialect(*terms.READING_FILES), common_words)
        self.questions = terms.load_question_frames()
        self.corrector = None
        if spelling:
            from .lexicon import SpellingCorrector
            self.corrector = SpellingCorrector(terms.load_vocabulary(Path(flags_file) if flags_file else terms.RED_FLAGS_FILE))

    def detect(self, text: Optional[str]) -> Detection:
        if not text or not isinstance(text, str):
            return Detection()
        norm, index_map = normalise(text)
        if not norm:
            return Detection()
        correction = bool(self._correction and self._correction.search(norm))
        read, index_map = self.dialect.read(norm, index_map)
        read, index_map = correct_spelling(read, index_map, self.corrector)
        try:
            doc = self.nlp(read)
            findings = []
            for span in doc.spans[SPAN_GROUP]:
                findings.append(self._finding(span, index_map))
                findings += self._settled_concern(span, findings[-1])
            findings += self._message_findings(doc._.unknot_message, findings, len(text))
            degraded = False
        except Exception:  # noqa: BLE001 - never lose a flag to a bug: fall back to raw matches
            logger.exception("context analysis failed; using raw pattern matches")
            findings = self._raw_findings(read, index_map)
            degraded = True
        detection = self._summarise(findings, correction, degraded, text, read if read != norm else "")
        if detection.flags or detection.concerns:
            logger.debug("safety: %s", detection.explain())
        return detection

    def _settled_concern(self, span: Span, finding: Finding) -> list[Finding]:
        """A red flag that has just settled ("bit of chest pressure after my run, gone now I
        think") is no warning, but its risk area still earns the safety question: only the
        user can say whether it was that. Not when it was long ago ("years ago", "in 2015")."""
        if finding.kind != "flag" or not finding.historical or finding.historical_ok or \
                finding.negated or finding.hypothetical or finding.family:
            return []
        area = self.semantic.scorer.flag_areas.get(finding.id) if self.semantic is not None else None
        if not area or self._long_ago(span):
            return []
        return [Finding("concern", area, finding.start, finding.end, historical=True,
                        detail=f"settled {finding.id}: {finding.detail}")]

    def _message_findings(self, reading, findings: list[Finding], length: int = 0) -> list[Finding]:
        """What the whole-message layer adds (see safety/message_levels.py): the safety
        question of the message's risk area when it reads as more than harmless and nothing
        else speaks. It asks, it never warns: an embedding barely sees "not" ("mid back is sore
        but it's not constant" reads like "...is constant"), so only the rules and ConText
        raise a level. Never against a denial the rules read: no question once any flag
        finding is negated, hypothetical, someone else's or in the past."""
        if reading is None or any(f.is_flag for f in findings) or any(f.kind == "concern" for f in findings):
            return []
        verdict, vector = reading
        if not verdict.ask:
            return []
        score = self.semantic.scorer.score_vectors(vector[None, :])[0]
        if not score.area:  # only a risk area has a safety question of its own
            return []
        # the whole message is what was read
        return [Finding("concern", score.area, 0, length, group=-2,
                        detail=f"{verdict.explain()}, nearest '{score.nearest}'")]

    @staticmethod
    def _negation_reaches(span: Span) -> bool:
        """False when every negation of the span either stands before a comma that starts a
        new clause (a verb within the next few words) on the way to it, or is a word of a
        family that carries its own negation inside the span ("foam rolled daily, no change")."""
        negations = [m for m in (getattr(span._, "modifiers", None) or ())
                     if m.category == "NEGATED_EXISTENCE"]
        if not negations:
            return bool(span._.is_negated)
        doc = span.doc
        own = doc._.unknot_self_negating or frozenset()
        for modifier in negations:
            start, end = modifier.modifier_span
            if all(i in own for i in range(start, end)) and (
                    start >= span.start or all(i in own for i in range(span.start, span.end))):
                continue  # "no better", "hasn't budged", "can't get a full breath": the symptom's own words
            if start < span.end and doc[start:end].text in ABILITY_NEGATIONS and any(
                    doc[i].text in CLAUSE_COMMAS for i in range(end, span.start)):
                continue  # "legs pain until cannot walk, urine like tea": what cannot be done is the walking
            if start >= span.end or not _new_clause_between(doc, end, span.start, span.end):
                return True
        return False

    @staticmethod
    def _partners_denied(span: Span) -> bool:
        """True when a partner family of an anywhere-pair is denied right where it stands, at
        every place it stands ("banged my head, didn't black out, not sick": the knock alone is
        no flag). Only a negation touching the words counts (at most two words before, or
        right after for a backward one): a partner is not a ConText target of its own, and a
        long negation scope ("can't think what day it is and I've been sick") must not hide it."""
        partners = (span.doc._.unknot_partners or {}).get((span.label_, span.start, span.end))
        if not partners:
            return False
        graph = getattr(span.doc._, "context_graph", None)
        modifiers = list(getattr(graph, "modifiers", None) or ())
        negations = [m for m in modifiers
                     if m.category == "NEGATED_EXISTENCE" and m.direction.upper() in ("FORWARD", "BACKWARD")]
        # someone else's or a hypothetical partner: ConText's scopes, already cut by the
        # writer's own words and by terminators, are reliable for these
        others = [m for m in modifiers if m.category in ("FAMILY", "HYPOTHETICAL")
                  and m.direction.upper() in ("FORWARD", "BACKWARD", "BIDIRECTIONAL")]
        own = span.doc._.unknot_self_negating or frozenset()

        def denied(start: int, end: int) -> bool:
            for m in others:
                m_start, m_end = m.modifier_span
                s_start, s_end = m.scope_span
                if not (m_start < end and start < m_end) and s_start <= start and end <= s_end:
                    return True
            for m in negations:
                m_start, m_end = m.modifier_span
                if all(i in own for i in range(m_start, m_end)):
                    continue
                if m.direction.upper() == "FORWARD" and m_end <= start and start - m_end <= 2 \
                        and not _sentence_ends(span.doc, m_end, start):
                    return True
                if m.direction.upper() == "BACKWARD" and m_start >= end and m_start - end <= 1:
                    return True
            return False

        return any(ranges and all(denied(a, b) for a, b in ranges) for ranges in partners)

    def _finding(self, span: Span, index_map: list[int]) -> Finding:
        kind, _, item = span.label_.partition(":")
        detail, group = _detail(span)
        start = index_map[span.start_char] if span.start_char < len(index_map) else 0
        end = index_map[span.end_char - 1] + 1 if span.end_char - 1 < len(index_map) else start
        historical_ok = self._historical_ok.get((kind, item), kind == "contraindication")
        # `recent`: settled since ("fainted at spin, fine since") still counts, long ago
        # ("blacked out once as a teenager") does not; checked once per finding
        stale = historical_ok == "recent" and self._long_ago(span)
        return Finding(
            kind=kind, id=item, start=start, end=end,
            negated=(bool(span._.is_negated) and self._negation_reaches(span)) or self._partners_denied(span),
            hypothetical=bool(span._.is_hypothetical) and not self._asked_about_now(span),
            family=(bool(span._.is_family) or _someone_else_leads_into(span)) and not _names_the_writer(
                span, self.first_person),
            historical=bool(span._.is_historical) or stale,
            historical_ok=bool(historical_ok) and not stale,
            detail=detail, group=group,
        )

    def _asked_about_now(self, span: Span) -> bool:
        """True when every hypothetical modifier of the span is a question frame ("is it normal
        to ...", "what does ...") and the message says it is happening now ("been 20 min now",
        "this morning"): a question about the writer's own experience (questions.yml)."""
        modifiers = [m for m in (getattr(span._, "modifiers", None) or ()) if m.category == "HYPOTHETICAL"]
        if not modifiers or not all(m.rule.literal.lower() in self.questions.frames for m in modifiers):
            return False
        return self.questions.says_now(span.doc.text)

    @staticmethod
    def _long_ago(span: Span) -> bool:
        """LONG_AGO words ("years ago", "as a kid", "in 2012") in the span's sentence, and no
        word that it still hurts ("fell off a ladder years ago and my back still hurts")."""
        found = span.doc._.unknot_concepts or {}
        if not found.get("LONG_AGO"):
            return False
        number = next((n for n, sent in enumerate(span.doc.sents) if sent.start <= span.start < sent.end), -1)
        return bool(found["LONG_AGO"].get(number)) and not (found.get("STILL_HURTS") or {}).get(number)

    def _raw_findings(self, text: str, index_map: list[int]) -> list[Finding]:
        """Pattern and concept matches without ConText: over-warn rather than miss."""
        try:
            with self.nlp.select_pipes(disable=["medspacy_context"]):
                doc = self.nlp(text)
            spans = doc.spans[SPAN_GROUP]
        except Exception:  # noqa: BLE001
            logger.exception("symptom spans failed too; using plain pattern search")
            return [Finding(p.kind, p.id, 0, 0, historical_ok=p.historical_ok)
                    for p in self.spans.pattern_sets if any(pattern.search(text) for pattern in p.patterns)]
        out = []
        for span in spans:
            kind, _, item = span.label_.partition(":")
            detail, group = _detail(span)
            out.append(Finding(kind, item, index_map[span.start_char], index_map[span.end_char - 1] + 1,
                               historical_ok=self._historical_ok.get((kind, item), False),
                               detail=detail, group=group))
        return out

    @staticmethod
    def _summarise(findings: list[Finding], correction: bool, degraded: bool, original: str = "",
                   read: str = "") -> Detection:
        findings.sort(key=lambda f: (f.start, f.end, f.id))
        # A semantic flag stands only if none of its words in that sentence is negated,
        # hypothetical or someone else's ("my breath is normal, chest doesn't hurt").
        doubted = {(f.id, f.group) for f in findings if f.kind == "semantic" and not f.applies}
        findings = [f for f in findings if not (f.kind == "semantic" and (f.id, f.group) in doubted)]
        flags = [f.id for f in findings if f.is_flag and f.applies]
        contra = [f.id for f in findings if f.kind == "contraindication" and f.applies]
        negated = [f.id for f in findings if f.is_flag and f.negated and f.id not in flags]
        # A question about one's own high-risk area still earns the safety question ("is it
        # broken?"), and so does one that has settled ("lip went numb for a minute, fine now
        # I think": the question is how to tell); a negated or someone else's mention does not.
        concerns = [f.id for f in findings if f.kind == "concern" and not (f.negated or f.family)]
        evidence = {}
        for f in findings:
            if f.is_flag and f.applies:
                source = "semantic" if f.kind == "semantic" else (
                    "families" if f.detail.startswith("families") else "pattern")
                evidence.setdefault((f.id, source), Evidence(f.id, source, original[f.start:f.end], f.detail))
        return Detection(
            flags=tuple(dict.fromkeys(flags)),
            negated_flags=tuple(dict.fromkeys(negated)),
            contraindications=tuple(dict.fromkeys(contra)),
            concerns=tuple(dict.fromkeys(concerns)),
            correction=correction,
            findings=tuple(findings),
            evidence=tuple(evidence.values()),
            corrected_text=read,
            degraded=degraded,
        )
