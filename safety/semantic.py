"""The semantic layer of the safety detector: recognises paraphrases the rules miss.

Every sentence is embedded once (`safety.encoder`, all-MiniLM-L6-v2). Two things are read
off the embedding:

- how likely the sentence describes a red flag of the writer's own: a logistic regression
  trained on labelled messages (red flags against harmless twins and everyday messages);
- which flag: a similarity-weighted vote of the nearest labelled examples, whose nearest
  one is kept to explain the decision ("nearest: 'the air won't go in' (0.81)").

Training data (never the sealed evaluation sets): the examples and non-examples of every
flag in knowledge/content/red_flags.yml, the case files in safety/training/, and the
everyday messages of the NLU data (soreness, questions, step controls, small talk). Embeddings and the fitted classifier are cached in
`.state/cache/` under a hash of the data and the model, so start-up is fast after the first.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import yaml

from . import terms

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRAINING_DIR = Path(__file__).resolve().parent / "training"
# Everyday messages: every NLU example except the red-flag reports themselves (data/nlu/
# red_flags.yml), so that "wipe everything and start over" or "can I try a different one"
# are known as harmless and the classifier does not extrapolate to them.
EVERYDAY_DIR = PROJECT_ROOT / "data" / "nlu"
EVERYDAY_EXCLUDED = {"red_flags.yml"}
SKIPPED_INTENTS = {"report_red_flag", "correct_red_flag"}
CACHE_DIR = PROJECT_ROOT / ".state" / "cache"
NEIGHBOURS = 5
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a flag id, "area:<risk area>" for an ambiguous mention, or "" for harmless


@dataclass(frozen=True)
class SemanticScore:
    probability: float  # that the sentence is a red flag of the writer's own
    flag: Optional[str]  # the flag its nearest flagged examples vote for
    area: Optional[str]  # the risk area whose safety question fits it
    nearest: str
    similarity: float
    agrees: bool = True  # the nearest flagged example is at least as close as the nearest harmless one

    def explain(self) -> str:
        return f"semantic p={self.probability:.2f}, nearest '{self.nearest}' ({self.similarity:.2f})"


def everyday_files(folder: Path = EVERYDAY_DIR) -> list[Path]:
    return sorted(p for p in folder.glob("*.yml") if p.name not in EVERYDAY_EXCLUDED) if folder.exists() else []


def _everyday_examples(paths: Sequence[Path]) -> list[str]:
    out = []
    for path in paths:
        if not path.exists():
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if not block.get("intent") or block.get("intent") in SKIPPED_INTENTS:
                continue
            for line in (block.get("examples") or "").splitlines():
                line = _ANNOTATION.sub(r"\1", line.strip().lstrip("-").strip())
                if line:
                    out.append(line)
    return out


def load_examples(flags_file: Path = terms.RED_FLAGS_FILE, training_dir: Path = TRAINING_DIR,
                  everyday: Optional[Sequence[Path]] = None) -> list[Example]:
    """Every labelled message the semantic layer learns from."""
    data = yaml.safe_load(flags_file.read_text(encoding="utf-8"))
    examples = []
    for flag in data.get("flags") or []:
        if flag.get("level") == "cue":
            continue
        examples += [Example(t, flag["id"]) for t in flag.get("examples") or []]
        examples += [Example(t, "") for t in flag.get("non_examples") or []]
    levels = {f["id"]: f["level"] for f in data.get("flags") or []}
    for path in sorted(training_dir.glob("*.yml")):
        cases = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in cases.get("flagged") or []:
            flags = case.get("flags") or ([case["flag"]] if case.get("flag") else [])
            flags = [f for f in flags if f in levels]
            if flags:
                examples.append(Example(case["text"], flags[0]))
        for case in cases.get("ambiguous") or []:
            examples.append(Example(case["text"], f"area:{case['area']}"))
        for key in ("not_flagged", "harmless"):
            examples += [Example(case["text"], "") for case in cases.get(key) or []]
    examples += [Example(t, "") for t in _everyday_examples(everyday_files() if everyday is None else everyday)]
    return list({(e.text, e.label): e for e in examples}.values())


class SemanticScorer:
    """Scores sentences against the labelled examples; see the module docstring."""

    def __init__(self, encoder, examples: Sequence[Example], flag_areas: dict[str, Optional[str]],
                 cache_dir: Optional[Path] = CACHE_DIR):
        self.encoder = encoder
        self.examples = list(examples)
        self.flag_areas = flag_areas
        vectors = self._embed_examples(cache_dir)
        labels = [e.label for e in self.examples]
        flagged = np.array([bool(label) and not label.startswith("area:") for label in labels])
        harmless = np.array([label == "" for label in labels])
        self.vote_vectors = vectors[~harmless]
        self.vote_labels = [label for label, h in zip(labels, harmless) if not h]
        self.vote_texts = [e.text for e, h in zip(self.examples, harmless) if not h]
        self.harmless_vectors = vectors[harmless]
        train = flagged | harmless
        self.weights, self.bias = self._fit(vectors[train], flagged[train].astype(float))

    def _embed_examples(self, cache_dir: Optional[Path]) -> np.ndarray:
        texts = [e.text for e in self.examples]
        key = hashlib.sha256(json.dumps([getattr(self.encoder, "digest", "minilm"), texts]).encode()).hexdigest()[:16]
        path = cache_dir / f"semantic-bank-{key}.npy" if cache_dir else None
        if path is not None and path.exists():
            vectors = np.load(path)
            if vectors.shape[0] == len(texts):
                return vectors
        vectors = np.vstack([self.encoder.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)]) \
            if texts else np.zeros((0, 384), dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        return vectors

    @staticmethod
    def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        """Class-balanced logistic regression (L2), fitted once at start-up in well under a second."""
        from sklearn.linear_model import LogisticRegression
        if len(set(y.tolist())) < 2:
            return np.zeros(x.shape[1] if x.size else 384), -10.0
        model = LogisticRegression(C=16.0, max_iter=3000, class_weight="balanced")
        model.fit(x, y)
        return model.coef_[0].astype(np.float32), float(model.intercept_[0])

    def score(self, sentences: Sequence[str]) -> list[SemanticScore]:
        if not sentences:
            return []
        return self.score_vectors(self.encoder.encode(list(sentences)))

    def score_vectors(self, vectors: np.ndarray) -> list[SemanticScore]:
        probabilities = 1.0 / (1.0 + np.exp(-(vectors @ self.weights + self.bias)))
        similarities = vectors @ self.vote_vectors.T if len(self.vote_labels) else np.zeros((len(vectors), 0))
        nearest_harmless = (vectors @ self.harmless_vectors.T).max(axis=1) if len(self.harmless_vectors) \
            else np.full(len(vectors), -1.0)
        flagged = np.array([not label.startswith("area:") for label in self.vote_labels])
        out = []
        for row, probability, harmless_sim in zip(similarities, probabilities, nearest_harmless):
            if not len(row):
                out.append(SemanticScore(float(probability), None, None, "", 0.0))
                continue
            top = np.argsort(-row)[:NEIGHBOURS]
            votes: dict[str, float] = {}
            for i in top:
                votes[self.vote_labels[i]] = votes.get(self.vote_labels[i], 0.0) + float(row[i])
            label = max(votes, key=votes.get)
            flag = None if label.startswith("area:") else label
            area = label[5:] if label.startswith("area:") else self.flag_areas.get(label)
            best = int(top[0])
            best_flagged = float(row[flagged].max()) if flagged.any() else -1.0
            out.append(SemanticScore(round(float(probability), 4), flag, area, self.vote_texts[best],
                                     round(float(row[best]), 4), best_flagged >= float(harmless_sim)))
        return out


_SCORER: Optional[SemanticScorer] = None
_LOCK = threading.Lock()


def shared_scorer() -> SemanticScorer:
    """One scorer per process, built on first use."""
    global _SCORER
    with _LOCK:
        if _SCORER is None:
            from .encoder import shared_encoder
            areas = {p.id: p.area for p in terms.load_pattern_sets() if p.kind == "flag"}
            _SCORER = SemanticScorer(shared_encoder(), load_examples(), areas)
        return _SCORER
