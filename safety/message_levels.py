"""The whole-message layer of the safety detector: how urgent a message reads as a whole.

The rules and the sentence layer (`safety.semantic`) only speak where a known symptom word
stands. People in a hurry, in other languages or in metaphors often use none ("bucked off,
apparently had a fit, don't remember any of it"). This layer reads the whole message: its
MiniLM embedding goes through a five-way logistic regression (harmless, ambiguous, soon,
urgent_24h, emergency_now) fitted on the blind-written sets already spent on measuring
(tests/safety/sealed/, never the one kept sealed), whose harmless twins (negated,
hypothetical, someone else's, resolved, plainly muscular) teach it what not to warn about,
and on what the sentence layer learns from, whose everyday chat ("can we end now", "start
over") keeps it from reading ordinary talk as a crisis.

What it may do is deliberately narrow: it asks, it never warns. A message that reads as
anything but harmless (probability of "harmless" below 1 - `ask`) and about which neither
the rules nor the sentence layer said anything gets the safety question of its risk area
(the nearest labelled examples say which), never a routine first. It raises no level: an
embedding barely sees "not" ("mid back is sore but it's not constant" reads like "...is
constant"), and a first version that also warned when very confident flagged "can we end
now" as self-harm until everyday chat was added to its training data. Nor does it speak
against a denial the rules read (`detector.SymptomDetector._message_findings`).

The fitted weights live in `safety/model/message_levels.json` with the hashes of the sets
they came from, so start-up costs nothing and a test notices when a set changed without a
refit (`python -m safety fit-message-levels`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODEL_FILE = Path(__file__).resolve().parent / "model" / "message_levels.json"
SETS_DIR = PROJECT_ROOT / "tests" / "safety" / "sealed"
CLASSES = ("harmless", "ambiguous", "soon", "urgent_24h", "emergency_now")
FLAG_LEVELS = ("soon", "urgent_24h", "emergency_now")
# Chosen on leave-one-set-out runs over 20 spent sets (the classifier never saw the set it
# was scored on; 4,330 messages): asking at 0.85 added 10 questions on 749 ambiguous mentions
# for 32 more on 1,204 harmless twins; at 0.7 one more ambiguous question cost 49 more.
DEFAULT_ASK = 0.85
REGULARISATION = 4.0


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class MessageVerdict:
    probabilities: Mapping[str, float]
    ask: bool = False  # the message reads as more than harmless: ask before any routine

    def explain(self) -> str:
        top = max(self.probabilities, key=self.probabilities.get)
        return f"message reads {top} (p={self.probabilities[top]:.2f})"


@dataclass(frozen=True)
class MessageLevels:
    weights: np.ndarray  # (classes, dimensions)
    bias: np.ndarray  # (classes,)
    ask: float = DEFAULT_ASK

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        logits = self.weights @ vector + self.bias
        exp = np.exp(logits - logits.max())
        probs = exp / exp.sum()
        return {name: float(p) for name, p in zip(CLASSES, probs)}

    def verdict(self, vector: np.ndarray) -> MessageVerdict:
        probs = self.probabilities(vector)
        return MessageVerdict(probs, 1.0 - probs["harmless"] >= self.ask)


class ModelError(ValueError):
    """The fitted file is missing or does not fit the code."""


def load(path: Path = MODEL_FILE) -> MessageLevels:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path.name}: cannot be read ({exc}); run `python -m safety fit-message-levels`") from exc
    if tuple(data.get("classes") or ()) != CLASSES:
        raise ModelError(f"{path.name}: classes {data.get('classes')} differ from {CLASSES}")
    weights = np.asarray(data["weights"], dtype=np.float32)
    bias = np.asarray(data["bias"], dtype=np.float32)
    if weights.shape != (len(CLASSES), 384) or bias.shape != (len(CLASSES),):
        raise ModelError(f"{path.name}: weights {weights.shape} / bias {bias.shape} do not fit 384-d MiniLM vectors")
    return MessageLevels(weights, bias, float(data.get("ask", DEFAULT_ASK)))


def labelled_messages(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, class) of every message in the case files."""
    out = []
    for path in paths:
        cases = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        out += [(c["text"], c["level"]) for c in cases.get("flagged") or [] if c.get("level") in FLAG_LEVELS]
        out += [(c["text"], "ambiguous") for c in cases.get("ambiguous") or []]
        out += [(c["text"], "harmless") for c in cases.get("not_flagged") or []]
    return out


def project_messages() -> list[tuple[str, str]]:
    """(text, class) of what the sentence layer learns from (safety.semantic.load_examples):
    the red flags' own examples and non-examples, the project's case files and, above all,
    the everyday talk of the NLU data (greetings, "start over", "can we end now"), so that
    the layer knows ordinary chat as harmless instead of extrapolating to it."""
    from . import semantic, terms
    levels = {p.id: p.level for p in terms.load_pattern_sets() if p.kind == "flag"}
    out = []
    for example in semantic.load_examples():
        if not example.label:
            out.append((example.text, "harmless"))
        elif example.label.startswith("area:"):
            out.append((example.text, "ambiguous"))
        elif levels.get(example.label) in FLAG_LEVELS:
            out.append((example.text, levels[example.label]))
    return out


def fit(paths: Sequence[Path], encoder, out: Path = MODEL_FILE, with_project: bool = True) -> dict:
    """Fit on the messages of `paths` (and the project's own labelled messages) and write the
    model file; returns its content."""
    from sklearn.linear_model import LogisticRegression

    rows = labelled_messages(paths) + (project_messages() if with_project else [])
    texts = [t for t, _ in rows]
    vectors = np.vstack([encoder.encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])
    labels = np.array([CLASSES.index(c) for _, c in rows])
    model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    model.fit(vectors, labels)
    # one row per class, also for a class the data lacks (it can then never win)
    weights = np.zeros((len(CLASSES), vectors.shape[1]))
    bias = np.full(len(CLASSES), -30.0)
    for row, label in enumerate(model.classes_):
        weights[label], bias[label] = model.coef_[row], model.intercept_[row]
    data = {
        "about": "Five-way logistic regression over all-MiniLM-L6-v2 message embeddings; see safety/message_levels.py",
        "classes": list(CLASSES),
        "trained_on": {Path(p).name: file_digest(Path(p)) for p in paths},
        "messages": len(rows),
        "regularisation": REGULARISATION,
        "ask": DEFAULT_ASK,
        "weights": np.round(weights, 5).tolist(),
        "bias": np.round(bias, 5).tolist(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return data


def stale_sets(path: Path = MODEL_FILE, sets_dir: Path = SETS_DIR) -> list[str]:
    """Sets the model was fitted on that have changed or gone since (empty: in sync)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [name for name, digest in data["trained_on"].items()
            if not (sets_dir / name).exists() or file_digest(sets_dir / name) != digest]
