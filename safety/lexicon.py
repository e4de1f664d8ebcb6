"""Word-level normalisation for the safety detector: lemmas and bounded spelling tolerance.

- Lemmas come from spaCy's lookup lemmatizer with the `spacy-lookups-data` tables, so
  "breathing", "breathed" and "breathe" share the lemma "breathe" and "hearts" is "heart".
  Word families (`lemmas:` of a concept in red_flags.yml) are matched on lemmas.
- Spelling: a word that is not a common English word and lies within a small edit distance
  of a symptom word is read as that word: "chesst" -> "chest", "breth" -> "breath",
  "numbe" -> "numb". The first letter must agree; the distance is 1, or 2 for an unknown
  word of 8 letters or more. Common words are never changed ("chess" stays "chess"), and a
  rare but real word only at distance 1 ("spurting" is not "slurring"), which is what keeps
  the tolerance bounded. Distances are rapidfuzz's optimal string alignment (a swap of two
  letters counts as one edit).

The word lists come from spacy-lookups-data's word probabilities (a million entries) and are
cached under `.state/cache/`: the common words, and the rare words that lie near a symptom
word, a few MB instead of the whole table in memory.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = PROJECT_ROOT / ".state" / "cache"
# Words at least this frequent (log probability in spacy-lookups-data) count as real words.
COMMON_WORD_LOGPROB = -14.5
MIN_CORRECTED_LENGTH = 5


def _lexeme_prob_file() -> Path:
    import spacy_lookups_data
    return Path(spacy_lookups_data.__file__).resolve().parent / "data" / "en_lexeme_prob.json.gz"


def _cached_words(name: str, key_parts: str, build) -> frozenset[str]:
    key = hashlib.sha256(key_parts.encode()).hexdigest()[:12]
    cached = CACHE_DIR / f"{name}-{key}.txt"
    if cached.exists():
        return frozenset(w for w in cached.read_text(encoding="utf-8").split("\n") if w)
    words = sorted(build())
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("\n".join(words), encoding="utf-8")
    os.replace(tmp, cached)
    return frozenset(words)


@lru_cache(maxsize=1)
def _word_probabilities() -> dict[str, float]:
    with gzip.open(_lexeme_prob_file(), "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _source_key() -> str:
    source = _lexeme_prob_file()
    return f"{source}:{source.stat().st_size}:{COMMON_WORD_LOGPROB}"


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """English words frequent enough that they are never 'corrected'."""
    return _cached_words("common-words", _source_key(), lambda: (
        w for w, p in _word_probabilities().items() if p >= COMMON_WORD_LOGPROB and w.isalpha() and w.islower()))


def rare_words_near(vocabulary: frozenset[str]) -> frozenset[str]:
    """Real but rare words within distance 2 of a symptom word ("spurting" near "slurring")."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    def build():
        rare: dict[tuple[str, int], list[str]] = {}
        for w, p in _word_probabilities().items():
            if p < COMMON_WORD_LOGPROB and w.isalpha() and w.islower() and len(w) >= MIN_CORRECTED_LENGTH:
                rare.setdefault((w[0], len(w)), []).append(w)
        found = set()
        for word in vocabulary:
            for length in range(len(word) - 2, len(word) + 3):
                choices = rare.get((word[0], length))
                if choices:
                    found.update(m[0] for m in process.extract(word, choices, scorer=OSA.distance,
                                                               score_cutoff=2, limit=None))
        return found

    return _cached_words("rare-words", _source_key() + ":" + ",".join(sorted(vocabulary)), build)


class SpellingCorrector:
    """Reads a misspelt word as the nearest symptom word, within a bounded distance."""

    def __init__(self, vocabulary: Iterable[str], known_words: Optional[frozenset[str]] = None,
                 rare_words: Optional[frozenset[str]] = None):
        self.vocabulary = frozenset(w.lower() for w in vocabulary if w and w.isalpha())
        self.known = known_words if known_words is not None else common_words()
        self.rare = rare_words if rare_words is not None else rare_words_near(self.vocabulary)
        self._by_letter: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            if len(word) >= MIN_CORRECTED_LENGTH - 1:
                self._by_letter.setdefault(word[0], []).append(word)

    def limit(self, word: str) -> int:
        return 1 if len(word) < 8 or word in self.rare else 2

    def correct(self, word: str) -> Optional[str]:
        """The symptom word meant, or None when the word is fine as it is."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        word = word.lower()
        if len(word) < MIN_CORRECTED_LENGTH or not word.isalpha() or word in self.vocabulary or word in self.known:
            return None
        # the singular or plural of a symptom word is no misspelling ("buttock" next to
        # "buttocks"): the patterns read both, and "correcting" one breaks them
        if word + "s" in self.vocabulary or word + "es" in self.vocabulary or (
                word.endswith("s") and word[:-1] in self.vocabulary):
            return None
        choices = self._by_letter.get(word[0])
        if not choices:
            return None
        found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=self.limit(word))
        return found[0] if found else None


class Lemmas:
    """spaCy's English lookup lemmatizer, without a pipeline around it."""

    def __init__(self):
        from spacy.lookups import load_lookups
        self.table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    def __call__(self, word: str) -> str:
        word = word.lower()
        return self.table.get(word, word)
