"""Reads regional and world Englishes and voice typing as standard English before matching.

"a cannae feel ma foot" → "i cannot feel my foot"; "knocked us clean oot" → "... out";
"climbin", "lyin'" → "climbing", "lying"; clinical shorthand too ("CP → L arm", "x3/52").
The word lists are data (safety/terms/dialect.yml, mixed_languages.yml,
clinical_shorthand.yml); this module only applies them, keeping the map from every character
read back to the character typed, so that evidence still quotes the user's own words.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from .terms import Dialect

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*'?")
# "x3/52", "2/7 ago": (x)(count)/(denominator), not inside a longer date or number
_FRACTION = re.compile(r"(?<![\w/.])(x ?)?(\d{1,2})/(\d{1,2})(?![\w/.])(?=( (?:ago|post|since|now|hx))?)")


def replace_spans(text: str, index_map: list[int], replacements) -> tuple[str, list[int]]:
    """`text` with each (start, end, words) of `replacements` (in order, not overlapping)
    put in, and the offset map kept: every character read maps back to one typed."""
    out: list[str] = []
    new_map: list[int] = []
    last = 0
    for start, end, meant in replacements:
        out.append(text[last:start])
        new_map.extend(index_map[last:start])
        out.append(meant)
        origin = index_map[start:end]
        # the last character read maps to the last one typed, so evidence quotes the whole word
        new_map.extend(origin[min(i, len(origin) - 1)] if i < len(meant) - 1 else origin[-1]
                       for i in range(len(meant)))
        last = end
    if not out:
        return text, index_map
    out.append(text[last:])
    new_map.extend(index_map[last:])
    return "".join(out), new_map


class DialectReader:
    def __init__(self, dialect: Dialect, known_words: Optional[Callable[[], frozenset[str]]] = None):
        self.dialect = dialect
        self._known_words = known_words
        phrases = sorted(dialect.phrases, key=len, reverse=True)
        self._phrases = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w'])") \
            if phrases else None

    def _known(self) -> frozenset[str]:
        return self._known_words() if self._known_words else frozenset()

    def _word(self, word: str, previous: str, following: str) -> Optional[str]:
        d = self.dialect
        if word in d.words:
            return d.words[word]
        if word.endswith("'s") and word[:-2] in d.is_after:
            return word[:-2] + " is"
        if word in d.possessives:
            if previous in d.not_after or following.startswith("'"):
                return None
            return d.possessives[word]
        if d.dropped_g and len(word) >= 4 and (word.endswith("in") or word.endswith("in'")):
            stem = word.rstrip("'")
            known = self._known()
            if stem + "g" in known:
                return stem + "g"
        return None

    def _fractions(self, text: str):
        """"x3/52" -> "for 3 weeks"; over 7 or 12 only after "x" or before "ago"/"post", since
        "since 3/12" may be a date."""
        units = self.dialect.fractions
        for m in _FRACTION.finditer(text) if units else ():
            unit = units.get(m.group(3))
            if unit and (m.group(3) == "52" or m.group(1) or m.group(4)):
                yield m.start(), m.end(), f"for {m.group(2)} {unit}"

    def read(self, text: str, index_map: list[int]) -> tuple[str, list[int]]:
        replacements: list[tuple[int, int, str]] = []
        taken = [False] * len(text)
        for start, end, meant in self._fractions(text):
            replacements.append((start, end, meant))
            for i in range(start, end):
                taken[i] = True
        if self._phrases is not None:
            for m in self._phrases.finditer(text):
                if any(taken[m.start():m.end()]):
                    continue
                replacements.append((m.start(), m.end(), self.dialect.phrases[m.group()]))
                for i in range(m.start(), m.end()):
                    taken[i] = True
        words = list(_WORD.finditer(text))
        for n, m in enumerate(words):
            if taken[m.start()]:
                continue
            previous = words[n - 1].group() if n else ""
            following = text[m.end():m.end() + 1]
            meant = self._word(m.group(), previous, following)
            if meant is not None and meant != m.group():
                replacements.append((m.start(), m.end(), meant))
        replacements.sort()
        return replace_spans(text, index_map, replacements)
