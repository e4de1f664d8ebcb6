"""Finds the user's own red-flag symptoms and contraindications in one message.

Pipeline: spaCy blank English + sentencizer, the `unknot_symptom_spans` component
(regular expressions from the reviewed content turned into spans), then medspaCy
ConText, which marks spans that are negated, hypothetical, about someone else or in
the resolved past. A finding counts only when none of those applies.
"""

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from . import terms

logger = logging.getLogger(__name__)

SPAN_GROUP = "unknot_findings"
# Longer messages are read in full up to this many characters; beyond it only the
# first part is read, which keeps the time per message bounded. Nobody types more.
MAX_CHARS = 20_000
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"'})
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    kind: str  # "flag" | "contraindication"
    id: str
    start: int  # offsets in the original text
    end: int
    negated: bool = False
    hypothetical: bool = False
    family: bool = False
    historical: bool = False
    historical_ok: bool = False

    @property
    def applies(self) -> bool:
        """True when this is the user's own, current problem."""
        if self.negated or self.hypothetical or self.family:
            return False
        return self.historical_ok or not self.historical


@dataclass(frozen=True)
class Detection:
    flags: tuple[str, ...] = ()
    negated_flags: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    correction: bool = False
    findings: tuple[Finding, ...] = ()
    degraded: bool = False  # True when context analysis failed and raw matches were used

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


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
    return "".join(out_chars), index_map


@Language.factory(
    "unknot_symptom_spans",
    default_config={"flags_file": None, "contraindications_file": None, "concept_window": 8},
)
def make_symptom_spans(nlp: Language, name: str, flags_file: Optional[str], contraindications_file: Optional[str],
                       concept_window: int):
    flags_path = Path(flags_file) if flags_file else terms.RED_FLAGS_FILE
    return SymptomSpans(
        terms.load_pattern_sets(flags_path,
                                Path(contraindications_file) if contraindications_file else terms.CONTRAINDICATIONS_FILE),
        terms.load_concepts(flags_path), concept_window,
    )


# Words that end a clause: two concepts on either side of one are not paired.
CLAUSE_BREAKS = {"but", "however", "though", "although", "except", ";", "whereas"}


class SymptomSpans:
    """spaCy component: every pattern match becomes a span in doc.spans[SPAN_GROUP],
    labelled 'flag:<id>' or 'contraindication:<id>'; so does every close pair of concept
    words that a flag lists in `concept_pairs`. Overlaps are kept."""

    def __init__(self, pattern_sets: list[terms.PatternSet], concepts: Optional[dict] = None, window: int = 8):
        self.pattern_sets = pattern_sets
        self.concepts = concepts or {}
        self.window = window

    def __call__(self, doc: Doc) -> Doc:
        spans: dict[tuple[str, int, int], Span] = {}
        text = doc.text
        for pset in self.pattern_sets:
            label = f"{pset.kind}:{pset.id}"
            for pattern in pset.patterns:
                for match in pattern.finditer(text):
                    self._add(spans, doc, match.start(), match.end(), label)
        if any(p.concept_pairs for p in self.pattern_sets):
            found = self._concept_spans(doc)
            breaks = [i for i, t in enumerate(doc) if t.lower_ in CLAUSE_BREAKS]
            for pset in self.pattern_sets:
                label = f"{pset.kind}:{pset.id}"
                for first, second in pset.concept_pairs:
                    for sentence, firsts in found.get(first, {}).items():
                        for a in firsts:
                            for b in found.get(second, {}).get(sentence, ()):
                                if self._close(a, b, breaks):
                                    span = doc[min(a[0], b[0]):max(a[1], b[1])]
                                    self._add(spans, doc, span.start_char, span.end_char, label)
        doc.spans[SPAN_GROUP] = list(spans.values())
        return doc

    @staticmethod
    def _add(spans: dict, doc: Doc, start: int, end: int, label: str) -> None:
        if end <= start:
            return
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is not None and len(span):
            spans.setdefault((label, span.start, span.end), span)

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
        for name, patterns in self.concepts.items():
            for pattern in patterns:
                for match in pattern.finditer(doc.text):
                    if match.end() <= match.start():
                        continue
                    span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
                    if span is None or not len(span):
                        continue
                    bucket = found.setdefault(name, {}).setdefault(sentence_of[span.start], [])
                    if len(bucket) < self.MAX_PER_SENTENCE:
                        bucket.append((span.start, span.end))
        return found

    def _close(self, a: tuple[int, int], b: tuple[int, int], breaks: list[int]) -> bool:
        """At most `window` tokens apart, no clause break between (same sentence is given)."""
        if a[0] < b[1] and b[0] < a[1]:
            return False  # the same words cannot be both concepts
        left, right = (a, b) if a[0] < b[0] else (b, a)
        if right[0] - left[1] > self.window:
            return False
        return not any(left[1] <= i < right[0] for i in breaks)


class SymptomDetector:
    """Builds the pipeline once; `detect` is then safe to call on any text."""

    def __init__(self, context_rules: Optional[list[terms.ContextRuleSpec]] = None,
                 correction_cues: Optional[tuple[str, ...]] = None,
                 flags_file: Optional[Path] = None, contraindications_file: Optional[Path] = None):
        from medspacy.context import ConTextRule  # imported here: medspaCy is slow to import

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.spans = self.nlp.add_pipe("unknot_symptom_spans", config={
            "flags_file": str(flags_file) if flags_file else None,
            "contraindications_file": str(contraindications_file) if contraindications_file else None,
        })
        self.context = self.nlp.add_pipe("medspacy_context", config={
            "rules": "default", "input_span_type": "group", "span_group_name": SPAN_GROUP,
        })
        rules = context_rules if context_rules is not None else terms.load_context_rules()
        self.context.add([
            ConTextRule(r.literal, r.category, direction=r.direction, max_scope=r.max_scope)
            for r in rules
        ])
        cues = correction_cues if correction_cues is not None else terms.load_correction_cues()
        self._correction = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b") if cues else None
        self._historical_ok = {(p.kind, p.id): p.historical_ok for p in self.spans.pattern_sets}

    def detect(self, text: Optional[str]) -> Detection:
        if not text or not isinstance(text, str):
            return Detection()
        norm, index_map = normalise(text)
        if not norm:
            return Detection()
        correction = bool(self._correction and self._correction.search(norm))
        try:
            doc = self.nlp(norm)
            findings = [self._finding(span, index_map) for span in doc.spans[SPAN_GROUP]]
            degraded = False
        except Exception:  # noqa: BLE001 - never lose a flag to a bug: fall back to raw matches
            logger.exception("context analysis failed; using raw pattern matches")
            findings = self._raw_findings(norm, index_map)
            degraded = True
        return self._summarise(findings, correction, degraded)

    def _finding(self, span: Span, index_map: list[int]) -> Finding:
        kind, _, item = span.label_.partition(":")
        start = index_map[span.start_char] if span.start_char < len(index_map) else 0
        end = index_map[span.end_char - 1] + 1 if span.end_char - 1 < len(index_map) else start
        return Finding(
            kind=kind, id=item, start=start, end=end,
            negated=bool(span._.is_negated), hypothetical=bool(span._.is_hypothetical),
            family=bool(span._.is_family), historical=bool(span._.is_historical),
            historical_ok=self._historical_ok.get((kind, item), False),
        )

    def _raw_findings(self, norm: str, index_map: list[int]) -> list[Finding]:
        """Pattern and concept matches without ConText: over-warn rather than miss."""
        try:
            with self.nlp.select_pipes(disable=["medspacy_context"]):
                doc = self.nlp(norm)
            spans = doc.spans[SPAN_GROUP]
        except Exception:  # noqa: BLE001
            logger.exception("symptom spans failed too; using plain pattern search")
            return [Finding(p.kind, p.id, 0, 0, historical_ok=p.historical_ok)
                    for p in self.spans.pattern_sets if any(pattern.search(norm) for pattern in p.patterns)]
        out = []
        for span in spans:
            kind, _, item = span.label_.partition(":")
            out.append(Finding(kind, item, index_map[span.start_char], index_map[span.end_char - 1] + 1,
                               historical_ok=self._historical_ok.get((kind, item), False)))
        return out

    @staticmethod
    def _summarise(findings: list[Finding], correction: bool, degraded: bool) -> Detection:
        findings.sort(key=lambda f: (f.start, f.end, f.id))
        flags = [f.id for f in findings if f.kind == "flag" and f.applies]
        contra = [f.id for f in findings if f.kind == "contraindication" and f.applies]
        negated = [f.id for f in findings if f.kind == "flag" and f.negated and f.id not in flags]
        return Detection(
            flags=tuple(dict.fromkeys(flags)),
            negated_flags=tuple(dict.fromkeys(negated)),
            contraindications=tuple(dict.fromkeys(contra)),
            correction=correction,
            findings=tuple(findings),
            degraded=degraded,
        )
