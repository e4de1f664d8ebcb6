"""Loads the term lists the detector uses: patterns from knowledge/content, ConText
rules and correction cues from safety/terms. Kept apart from the algorithm."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RED_FLAGS_FILE = PROJECT_ROOT / "knowledge" / "content" / "red_flags.yml"
CONTRAINDICATIONS_FILE = PROJECT_ROOT / "knowledge" / "content" / "contraindications.yml"
CONTEXT_RULES_FILE = Path(__file__).resolve().parent / "terms" / "context_rules.yml"
CORRECTION_CUES_FILE = Path(__file__).resolve().parent / "terms" / "correction_cues.yml"
PEOPLE_FILE = Path(__file__).resolve().parent / "terms" / "people.yml"
SYMPTOM_WORDS_FILE = Path(__file__).resolve().parent / "terms" / "symptom_words.yml"
DIALECT_FILE = Path(__file__).resolve().parent / "terms" / "dialect.yml"
MIXED_LANGUAGES_FILE = Path(__file__).resolve().parent / "terms" / "mixed_languages.yml"
CLINICAL_SHORTHAND_FILE = Path(__file__).resolve().parent / "terms" / "clinical_shorthand.yml"
TEXTING_FILE = Path(__file__).resolve().parent / "terms" / "texting.yml"
QUESTIONS_FILE = Path(__file__).resolve().parent / "terms" / "questions.yml"
READING_FILES = (DIALECT_FILE, MIXED_LANGUAGES_FILE, CLINICAL_SHORTHAND_FILE, TEXTING_FILE)

CONTEXT_CATEGORIES = {"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "FAMILY",
                      "HISTORICAL", "TERMINATE", "PSEUDO"}
MODIFIER_CATEGORIES = {"NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HYPOTHETICAL", "FAMILY", "HISTORICAL"}
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
    historical_ok: bool | str = False  # True, False or "recent" (see red_flags.yml's header)
    # The safety question (risk area) to ask when the semantic layer suggests this flag
    # without the rules confirming it.
    area: str | None = None
    # Groups of concepts: the flag also fires when one word of each concept stands in the
    # same clause, close together ("groin" ... "gone numb"), or anywhere in the message.
    concept_pairs: tuple["ConceptGroup", ...] = ()


@dataclass(frozen=True)
class ConceptGroup:
    """One to three concept names that fire together.

    `window`: at most this many tokens between neighbouring words, in one clause (None:
    the component's default). `anywhere`: the first concept's words count when every other
    concept appears anywhere in the message ("I had a melanoma removed. Now my back hurts").
    `with`: concepts that must also appear somewhere in the message, not necessarily close
    ("can't get air in." ... "it's getting worse"). `unless`: concepts that, in the same
    sentence, show a harmless context instead ("tight chest" next to "bench press")."""

    names: tuple[str, ...]
    window: int | None = None
    anywhere: bool = False
    unless: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # `with` in the YAML

    def __iter__(self):  # unpacks like the plain pairs it generalises
        return iter(self.names)


@dataclass(frozen=True)
class ContextRuleSpec:
    literal: str
    category: str
    direction: str
    max_scope: int | None = None


def _load(path: Path) -> dict:
    """The parsed file, read once per version of it (the same file is asked for by the
    detector, the validator and the semantic layer; parsing it is the slow part)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise TermError(f"{path.name}: cannot be read: {exc}") from exc
    return _parse(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _parse(path_text: str, _mtime: int, _size: int) -> dict:
    path = Path(path_text)
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise TermError(f"{path.name}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise TermError(f"{path.name}: must hold a mapping")
    return data


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compile(path: Path, item: str, patterns, *, allow_empty: bool = False) -> tuple[re.Pattern, ...]:
    if allow_empty and not patterns:
        return ()
    if not isinstance(patterns, list) or not patterns:
        raise TermError(f"{path.name}: {item}: patterns: must be a non-empty list")
    out = []
    for p in patterns:
        try:
            # The detector lower-cases every message before matching (detector.normalise), and
            # case-insensitive matching costs about a third of the time spent in these regexes.
            if isinstance(p, str) and p != p.lower() and re.search(r"(?<!\\)[A-Z]", p.replace("\\", "")):
                raise TermError(f"{path.name}: {item}: patterns: {p!r} has upper-case letters; "
                                "messages are matched in lower case, so write patterns in lower case")
            out.append(re.compile(p))
        except (re.error, TypeError) as exc:
            raise TermError(f"{path.name}: {item}: patterns: {p!r} does not compile: {exc}") from exc
    return tuple(out)


@dataclass(frozen=True)
class Concept:
    """A word family: regular expressions over the text and/or single-word lemmas.

    Lemmas match any inflection (spaCy's lookup lemmatizer: "breathing" -> "breathe") and,
    through the spelling corrector, near misspellings of those words."""

    name: str
    patterns: tuple[re.Pattern, ...] = ()
    lemmas: frozenset[str] = frozenset()
    # The family's words carry their own negation ("no better", "hasn't budged"): a negation
    # inside one of its matches is the symptom itself and negates nothing.
    negative: bool = False


def load_concepts(flags_file: Path = RED_FLAGS_FILE) -> dict[str, Concept]:
    """Word families (NUMB, SADDLE_AREA, HEART...) that flags combine in `concept_pairs`.

    An entry is either a list of patterns or a mapping with `patterns` and/or `lemmas`."""
    concepts = _load(flags_file).get("concepts") or {}
    if not isinstance(concepts, dict):
        raise TermError(f"{flags_file.name}: concepts: must be a mapping of name to patterns")
    out = {}
    for name, raw in concepts.items():
        item = f"concept {name}"
        if isinstance(raw, dict):
            unknown = set(raw) - {"patterns", "lemmas", "negative"}
            if unknown:
                raise TermError(f"{flags_file.name}: {item}: unknown fields {sorted(unknown)}")
            lemmas = raw.get("lemmas") or []
            if not isinstance(lemmas, list) or not all(isinstance(w, str) and re.fullmatch(r"[a-z][a-z']*", w) for w in lemmas):
                raise TermError(f"{flags_file.name}: {item}: lemmas: must be a list of single lowercase words")
            patterns = _compile(flags_file, item, raw.get("patterns"), allow_empty=bool(lemmas))
            if not patterns and not lemmas:
                raise TermError(f"{flags_file.name}: {item}: needs patterns or lemmas")
            if not isinstance(raw.get("negative", False), bool):
                raise TermError(f"{flags_file.name}: {item}: negative: must be true or false")
            out[str(name)] = Concept(str(name), patterns, frozenset(lemmas), bool(raw.get("negative", False)))
        else:
            out[str(name)] = Concept(str(name), _compile(flags_file, item, raw))
    return out


def load_risk_areas(flags_file: Path = RED_FLAGS_FILE) -> dict[str, tuple[str, ...]]:
    """High-risk areas (chest or heart, breathing, head...) and the concepts that mention them.

    A mention that is the user's own and matches no flag earns a safety question."""
    data = _load(flags_file)
    concepts = data.get("concepts") or {}
    areas = data.get("risk_areas") or {}
    if not isinstance(areas, dict):
        raise TermError(f"{flags_file.name}: risk_areas: must be a mapping of area id to concept names")
    out = {}
    for area, names in areas.items():
        if not isinstance(names, list):
            raise TermError(f"{flags_file.name}: risk area {area}: must list concept names (or [] for none)")
        for name in names:
            if name not in concepts:
                raise TermError(f"{flags_file.name}: risk area {area}: unknown concept {name!r}")
        out[str(area)] = tuple(str(n) for n in names)
    return out


def load_vocabulary(flags_file: Path = RED_FLAGS_FILE, words_file: Path | None = None) -> frozenset[str]:
    """Symptom words that get spelling tolerance: every lemma of every concept, plus the
    extra words of safety/terms/symptom_words.yml (words the regular expressions use)."""
    words = set()
    for concept in load_concepts(flags_file).values():
        words |= concept.lemmas
    extra = _load(words_file or SYMPTOM_WORDS_FILE).get("words") or []
    words |= {str(w).lower() for w in extra}
    return frozenset(w for w in words if w.isalpha())


def _concept_pairs(path: Path, item: str, raw, concepts: dict) -> tuple[ConceptGroup, ...]:
    """`concept_pairs` entries: [A, B], [A, B, C], or
    {all: [A, ...], window: N, anywhere: true, with: [C, ...], unless: [D, ...]}
    (one to three concepts in `all`)."""
    groups = []
    for entry in raw or []:
        window, anywhere, unless, also = None, False, [], []
        if isinstance(entry, dict):
            unknown = set(entry) - {"all", "window", "anywhere", "unless", "with"}
            if unknown:
                raise TermError(f"{path.name}: {item}: concept_pairs: unknown fields {sorted(unknown)}")
            names, window, anywhere = entry.get("all"), entry.get("window"), bool(entry.get("anywhere", False))
            unless, also = entry.get("unless") or [], entry.get("with") or []
            if window is not None and (not isinstance(window, int) or not 1 <= window <= 40):
                raise TermError(f"{path.name}: {item}: concept_pairs: window must be a number of tokens from 1 to 40")
            if not isinstance(unless, list) or not isinstance(also, list):
                raise TermError(f"{path.name}: {item}: concept_pairs: with and unless must list concepts")
        else:
            names = entry
            if isinstance(names, list) and len(names) < 2:
                raise TermError(f"{path.name}: {item}: concept_pairs: a list entry names two or three concepts")
        if not isinstance(names, list) or not 1 <= len(names) <= 3:
            raise TermError(f"{path.name}: {item}: concept_pairs: each entry must name one to three concepts")
        for name in list(names) + list(unless) + list(also):
            if name not in concepts:
                raise TermError(f"{path.name}: {item}: concept_pairs: unknown concept {name!r}")
        groups.append(ConceptGroup(tuple(str(n) for n in names), window, anywhere,
                                   tuple(str(u) for u in unless), tuple(str(a) for a in also)))
    return tuple(groups)


def load_pattern_sets(flags_file: Path = RED_FLAGS_FILE,
                      contraindications_file: Path = CONTRAINDICATIONS_FILE) -> list[PatternSet]:
    sets = []
    concepts = load_concepts(flags_file)
    for entry in _load(flags_file).get("flags") or []:
        item = str(entry.get("id"))
        pairs = _concept_pairs(flags_file, item, entry.get("concept_pairs"), concepts)
        sets.append(PatternSet("flag", item, str(entry.get("level")),
                               _compile(flags_file, item, entry.get("patterns"), allow_empty=bool(pairs)),
                               _historical_ok(flags_file, item, entry), entry.get("area"), pairs))
    for entry in _load(contraindications_file).get("contraindications") or []:
        item = str(entry.get("id"))
        sets.append(PatternSet("contraindication", item, str(entry.get("effect")),
                               _compile(contraindications_file, item, entry.get("patterns")),
                               True))
    areas = load_risk_areas(flags_file)
    for pset in sets:
        if pset.area is not None and pset.area not in areas:
            raise TermError(f"{flags_file.name}: {pset.id}: area: {pset.area!r} is not one of the risk_areas")
    return sets


_NOT_FORMS = (("can't ", ("cant ", "cannot ")), ("cant ", ("can't ", "cannot ")), ("cannot ", ("can't ", "cant ")),
              ("couldn't ", ("couldnt ",)), ("couldnt ", ("couldn't ",)), ("won't ", ("wont ",)),
              ("don't ", ("dont ",)), ("dont ", ("don't ",)))


def _apostrophe_variants(literal: str) -> list[str]:
    """"can't straighten" is also typed "cant straighten" and "cannot straighten": a phrase
    that keeps a "can't ..." symptom from negating what follows is listed once and read in
    every spelling (only for PSEUDO phrases, which never negate anything themselves)."""
    variants = []
    for typed, others in _NOT_FORMS:
        if literal.startswith(typed):
            variants += [other + literal[len(typed):] for other in others]
    return variants


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
    listed = {rule.literal for rule in rules}
    for rule in list(rules):
        if rule.category == "PSEUDO":
            for variant in _apostrophe_variants(rule.literal):
                if variant not in listed:
                    listed.add(variant)
                    rules.append(ContextRuleSpec(variant, rule.category, rule.direction, rule.max_scope))
    # The same words as a modifier and as something else make the result depend on the order
    # of the file ("is it normal" was once both a question cue and a hypothetical).
    seen: dict[str, set[str]] = {}
    for rule in rules:
        seen.setdefault(rule.literal, set()).add(rule.category)
    for literal, categories in seen.items():
        if len(categories) > 1 and categories & MODIFIER_CATEGORIES:
            raise TermError(f"{path.name}: {literal}: listed as {' and '.join(sorted(categories))}; keep one")
    return rules


@dataclass(frozen=True)
class People:
    """Word lists of safety/terms/people.yml (see its header)."""

    other_people: tuple[str, ...]
    reporting_verbs: tuple[str, ...]
    determiners: tuple[str, ...]
    first_person: tuple[str, ...]
    # "ex melanoma patient", "new mum": words naming the writer's own illness or situation
    # before a person word, so the phrase is the writer, not someone else
    own_descriptions: tuple[str, ...] = ()
    # person words that are also things ("coach"): someone else only when opening a sentence
    sentence_openers: tuple[str, ...] = ()


def load_people(path: Path = PEOPLE_FILE) -> People:
    data = _load(path)
    required = ("other_people", "reporting_verbs", "determiners", "first_person")
    optional = ("own_descriptions", "sentence_openers")
    return People(**{key: _word_list(data, key, path, required=True) for key in required},
                  **{key: _word_list(data, key, path, required=False) for key in optional})


def _word_list(data: dict, key: str, path: Path, required: bool) -> tuple[str, ...]:
    """One word list of a term file, lower-cased and without repeats; a required one must
    not be empty."""
    words = data.get(key) if required else (data.get(key) or [])
    if not isinstance(words, list) or (required and not words) or not all(
            isinstance(w, str) and w.strip() for w in words):
        raise TermError(f"{path.name}: {key}: must be a {'non-empty ' if required else ''}list of words")
    return tuple(dict.fromkeys(w.strip().lower() for w in words))


def _historical_ok(path: Path, item: str, entry: dict) -> bool | str:
    value = entry.get("historical_ok", False)
    if value not in (True, False, "recent"):
        raise TermError(f"{path.name}: {item}: historical_ok: must be true, false or recent, not {value!r}")
    return value


@dataclass(frozen=True)
class Dialect:
    """Word lists of safety/terms/dialect.yml (see its header)."""

    phrases: dict[str, str]
    words: dict[str, str]
    possessives: dict[str, str]
    not_after: frozenset[str]
    dropped_g: bool
    # "x3/52": a count over 7, 52 or 12 is days, weeks or months (clinical_shorthand.yml)
    fractions: dict[str, str] = field(default_factory=dict)
    # "hand's gone useless": after these words "'s" is read as "is" (dialect.yml)
    is_after: frozenset[str] = frozenset()


def load_dialect(path: Path = DIALECT_FILE, *more: Path) -> Dialect:
    """The reading table of dialect.yml, with the `phrases` and `words` of further files
    (mixed_languages.yml) added; a word listed twice must mean the same in both."""
    dialect = _load_dialect_file(path)
    for extra in more:
        other = _load_dialect_file(extra)
        dialect = replace(dialect, is_after=dialect.is_after | other.is_after)
        for key in ("phrases", "words", "fractions"):
            mine, theirs = getattr(dialect, key), getattr(other, key)
            clash = sorted(w for w in set(mine) & set(theirs) if mine[w] != theirs[w])
            if clash:
                raise TermError(f"{extra.name}: {key}: {clash[0]!r} already means {mine[clash[0]]!r} in {path.name}")
            mine.update(theirs)
    return dialect


def _load_dialect_file(path: Path) -> Dialect:
    data = _load(path)
    tables = {}
    for key in ("phrases", "words", "possessives"):
        table = data.get(key) or {}
        if not isinstance(table, dict):
            raise TermError(f"{path.name}: {key}: must be a mapping of typed words to the words meant")
        for typed, meant in table.items():
            if not isinstance(typed, str) or not isinstance(meant, str) or not typed.strip() or not meant.strip():
                raise TermError(f"{path.name}: {key}: {typed!r}: both sides must be words")
            if typed != typed.lower() or meant != meant.lower():
                raise TermError(f"{path.name}: {key}: {typed!r}: write it in lower case (the text is lower-cased)")
            if key != "phrases" and " " in typed:
                raise TermError(f"{path.name}: {key}: {typed!r}: one word only (several words go under phrases)")
        tables[key] = {k.strip(): v.strip() for k, v in table.items()}
    fractions = data.get("fractions") or {}
    if not isinstance(fractions, dict) or not all(
            str(k).isdigit() and isinstance(v, str) and v.strip() for k, v in fractions.items()):
        raise TermError(f"{path.name}: fractions: must map a denominator (7, 52, 12) to a unit (days, weeks, months)")
    not_after = data.get("not_after") or []
    if not isinstance(not_after, list) or not all(isinstance(w, str) for w in not_after):
        raise TermError(f"{path.name}: not_after: must be a list of words")
    is_after = data.get("is_after") or []
    if not isinstance(is_after, list) or not all(isinstance(w, str) and w.isalpha() for w in is_after):
        raise TermError(f"{path.name}: is_after: must be a list of single words")
    return Dialect(tables["phrases"], tables["words"], tables["possessives"],
                   frozenset(w.lower() for w in not_after), bool(data.get("dropped_g", False)),
                   {str(k): v.strip() for k, v in fractions.items()}, frozenset(w.lower() for w in is_after))


def load_correction_cues(path: Path = CORRECTION_CUES_FILE) -> tuple[str, ...]:
    cues = _load(path).get("cues") or []
    return tuple(str(c).lower() for c in cues)


@dataclass(frozen=True)
class QuestionFrames:
    """safety/terms/questions.yml: question frames that yield to words of the present."""

    frames: frozenset[str]
    present: tuple[re.Pattern, ...]

    def says_now(self, text: str) -> bool:
        return any(p.search(text) for p in self.present)


def load_question_frames(path: Path = QUESTIONS_FILE) -> QuestionFrames:
    data = _load(path)
    frames, anchors = data.get("frames") or [], data.get("present_anchors") or []
    if not isinstance(frames, list) or not all(isinstance(f, str) and f.strip() for f in frames):
        raise TermError(f"{path.name}: frames: must be a list of phrases")
    if not isinstance(anchors, list) or not anchors:
        raise TermError(f"{path.name}: present_anchors: must be a non-empty list of patterns")
    compiled = []
    for i, anchor in enumerate(anchors, start=1):
        try:
            compiled.append(re.compile(str(anchor)))
        except re.error as exc:
            raise TermError(f"{path.name}: present_anchors: pattern {i}: {exc}") from exc
    return QuestionFrames(frozenset(f.strip().lower() for f in frames), tuple(compiled))
