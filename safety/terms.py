"""Loads the term lists the detector uses: patterns from knowledge/content, ConText
rules and correction cues from safety/terms. Kept apart from the algorithm."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RED_FLAGS_FILE = PROJECT_ROOT / "knowledge" / "content" / "red_flags.yml"
CONTRAINDICATIONS_FILE = PROJECT_ROOT / "knowledge" / "content" / "contraindications.yml"
CONTEXT_RULES_FILE = Path(__file__).resolve().parent / "terms" / "context_rules.yml"
CORRECTION_CUES_FILE = Path(__file__).resolve().parent / "terms" / "correction_cues.yml"

CONTEXT_CATEGORIES = {"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "FAMILY",
                      "HISTORICAL", "TERMINATE", "PSEUDO"}
DIRECTIONS = {"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"}


class TermError(ValueError):
    """A term file that cannot be used, naming the file, item and field."""


@dataclass(frozen=True)
class PatternSet:
    """Compiled patterns of one red flag or contraindication."""

    kind: str  # "flag" | "contraindication"
    id: str
    level: str  # triage level for flags, effect for contraindications
    patterns: tuple[re.Pattern, ...]
    historical_ok: bool = False
    # Pairs of concept names: the flag also fires when one word of each concept stands in
    # the same clause, close together ("groin" ... "gone numb").
    concept_pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ContextRuleSpec:
    literal: str
    category: str
    direction: str
    max_scope: int | None = None


def _load(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise TermError(f"{path.name}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise TermError(f"{path.name}: must hold a mapping")
    return data


def _compile(path: Path, item: str, patterns, *, allow_empty: bool = False) -> tuple[re.Pattern, ...]:
    if allow_empty and not patterns:
        return ()
    if not isinstance(patterns, list) or not patterns:
        raise TermError(f"{path.name}: {item}: patterns: must be a non-empty list")
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except (re.error, TypeError) as exc:
            raise TermError(f"{path.name}: {item}: patterns: {p!r} does not compile: {exc}") from exc
    return tuple(out)


def load_concepts(flags_file: Path = RED_FLAGS_FILE) -> dict[str, tuple[re.Pattern, ...]]:
    """Word families (NUMB, SADDLE_AREA, ...) that flags combine in `concept_pairs`."""
    concepts = _load(flags_file).get("concepts") or {}
    if not isinstance(concepts, dict):
        raise TermError(f"{flags_file.name}: concepts: must be a mapping of name to patterns")
    return {str(name): _compile(flags_file, f"concept {name}", patterns) for name, patterns in concepts.items()}


def _concept_pairs(path: Path, item: str, raw, concepts: dict) -> tuple[tuple[str, str], ...]:
    pairs = []
    for pair in raw or []:
        if not isinstance(pair, list) or len(pair) != 2:
            raise TermError(f"{path.name}: {item}: concept_pairs: each entry must be [CONCEPT, CONCEPT]")
        for name in pair:
            if name not in concepts:
                raise TermError(f"{path.name}: {item}: concept_pairs: unknown concept {name!r}")
        pairs.append((str(pair[0]), str(pair[1])))
    return tuple(pairs)


def load_pattern_sets(flags_file: Path = RED_FLAGS_FILE,
                      contraindications_file: Path = CONTRAINDICATIONS_FILE) -> list[PatternSet]:
    sets = []
    concepts = load_concepts(flags_file)
    for entry in _load(flags_file).get("flags") or []:
        item = str(entry.get("id"))
        pairs = _concept_pairs(flags_file, item, entry.get("concept_pairs"), concepts)
        sets.append(PatternSet("flag", item, str(entry.get("level")),
                               _compile(flags_file, item, entry.get("patterns"), allow_empty=bool(pairs)),
                               bool(entry.get("historical_ok", False)), pairs))
    for entry in _load(contraindications_file).get("contraindications") or []:
        item = str(entry.get("id"))
        sets.append(PatternSet("contraindication", item, str(entry.get("effect")),
                               _compile(contraindications_file, item, entry.get("patterns")),
                               True))
    return sets


def load_context_rules(path: Path = CONTEXT_RULES_FILE) -> list[ContextRuleSpec]:
    rules = []
    for i, entry in enumerate(_load(path).get("rules") or [], start=1):
        literal = entry.get("literal")
        category, direction = entry.get("category"), entry.get("direction", "BIDIRECTIONAL")
        if not isinstance(literal, str) or not literal.strip():
            raise TermError(f"{path.name}: rule {i}: literal: must be text")
        if category not in CONTEXT_CATEGORIES:
            raise TermError(f"{path.name}: {literal}: category: {category!r} is not one of {sorted(CONTEXT_CATEGORIES)}")
        if direction not in DIRECTIONS:
            raise TermError(f"{path.name}: {literal}: direction: {direction!r} is not one of {sorted(DIRECTIONS)}")
        rules.append(ContextRuleSpec(literal.strip().lower(), category, direction, entry.get("max_scope")))
    return rules


def load_correction_cues(path: Path = CORRECTION_CUES_FILE) -> tuple[str, ...]:
    cues = _load(path).get("cues") or []
    return tuple(str(c).lower() for c in cues)
