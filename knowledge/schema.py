"""Reads and validates the reviewed YAML content under ``knowledge/content``.

Plain Python (PyYAML only, no database, no Rasa) so that content errors are found
before anything is written anywhere. Every problem is reported with the file, the
item and the field, and all problems are reported at once.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: 10x faster

REGION_IDS = (
    "neck", "upper_back", "lower_back", "shoulders", "chest", "arms", "glutes",
    "hamstrings", "quads", "calves", "shins", "feet",
)
ACTIVITY_IDS = (
    "running", "weightlifting", "cycling", "swimming", "team_sports", "racket_sports",
    "climbing", "rowing", "hiit", "yoga", "hiking", "desk_work", "manual_work",
)
EQUIPMENT_IDS = ("massage_ball", "foam_roller", "massage_gun", "hands")
TRIAGE_LEVELS = ("emergency_now", "urgent_24h", "soon")
FLAG_LEVELS = TRIAGE_LEVELS + ("cue",)
EVIDENCE_LABELS = (
    "small benefit for soreness",
    "small, short-term flexibility gain",
    "moderate, for flexibility",
    "raises pain tolerance; relief not proven",
    "probably helpful short-term",
    "low certainty",
)
CONTRAINDICATION_EFFECTS = ("avoid_area", "no_massage_gun", "gentle_only")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class ContentError(Exception):
    """Raised with every problem found in the content, each naming file, item and field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid knowledge content:\n  - " + "\n  - ".join(problems))


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Step:
    position: str
    action: str
    seconds: Optional[int]
    reps: Optional[int]
    pressure: str
    avoid: str


@dataclass(frozen=True)
class Routine:
    id: str
    title: str
    region: str
    muscles: tuple[str, ...]
    activities: tuple[str, ...]
    equipment: str
    summary: str
    duration_minutes: int
    steps: tuple[Step, ...]
    dose: str
    frequency: str
    evidence_label: str
    evidence_source: str
    contraindications: tuple[str, ...]
    cautions: tuple[str, ...]
    closing_name: str
    closing_instructions: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """A region, activity or piece of equipment with the words people use for it."""

    id: str
    name: str
    aliases: tuple[str, ...]
    ambiguous_aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class OtherArea:
    """A body part with no routine of its own, and the regions to suggest instead."""

    id: str
    aliases: tuple[str, ...]
    message: str
    suggest: tuple[str, ...]


@dataclass(frozen=True)
class RedFlag:
    id: str
    level: str
    title: str
    advice: str
    source: str
    patterns: tuple[str, ...]
    examples: tuple[str, ...]
    non_examples: tuple[str, ...]
    historical_ok: bool = False
    crisis: bool = False


@dataclass(frozen=True)
class Combination:
    id: str
    all_of: tuple[str, ...]
    level: str
    advice: str
    source: str


@dataclass(frozen=True)
class Contraindication:
    id: str
    title: str
    effect: str
    message: str
    source: str
    patterns: tuple[str, ...]
    examples: tuple[str, ...]
    non_examples: tuple[str, ...]


@dataclass(frozen=True)
class ScreeningItem:
    flag: str
    label: str


@dataclass(frozen=True)
class Screening:
    """A safety question, asked before the first routine for its regions and whenever the
    user mentions one of its high-risk areas (ask, don't guess)."""

    id: str
    regions: tuple[str, ...]
    question: str
    items: tuple[ScreeningItem, ...]
    areas: tuple[str, ...] = ()
    yes_flags: tuple[str, ...] = ()  # what a plain "yes" means; default: every item's flag


@dataclass(frozen=True)
class BotMessage:
    """A fixed thing the assistant says, with variations."""

    id: str
    texts: tuple[str, ...]
    sources: tuple[str, ...] = ()


REQUIRED_MESSAGES = (
    "greet", "ask_region", "ask_activity", "ask_equipment", "thanks", "goodbye", "iamabot", "help",
    "out_of_scope", "default", "restart", "answer_trigger_point", "answer_pressure",
    "answer_duration", "answer_safety", "answer_equipment_compare",
)


@dataclass
class Content:
    """Everything under knowledge/content, validated."""

    regions: list[Term]
    activities: list[Term]
    equipment: list[Term]
    routines: list[Routine]
    red_flags: list[RedFlag]
    combinations: list[Combination]
    contraindications: list[Contraindication]
    screenings: list[Screening]
    messages: list[BotMessage] = field(default_factory=list)
    other_areas: list[OtherArea] = field(default_factory=list)
    fingerprint: str = ""

    def routine(self, routine_id: str) -> Routine:
        return next(r for r in self.routines if r.id == routine_id)


# --------------------------------------------------------------------------- checking
@dataclass
class _Checker:
    """Collects problems as 'file: item: field: message' lines."""

    problems: list[str] = field(default_factory=list)

    def add(self, where: str, item: str, fld: str, message: str) -> None:
        self.problems.append(f"{where}: {item}: {fld}: {message}")

    def text(self, where, item, data, key, *, required=True, max_len=2000) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, item, key, "is missing")
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(where, item, key, f"must be non-empty text, got {value!r}")
            return ""
        if len(value) > max_len:
            self.add(where, item, key, f"is longer than {max_len} characters")
        return value.strip()

    def text_list(self, where, item, data, key, *, min_items=1, required=True) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            if required:
                self.add(where, item, key, "is missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(where, item, key, "must be a list of non-empty texts")
            return ()
        if len(value) < min_items:
            self.add(where, item, key, f"needs at least {min_items} entries, has {len(value)}")
        return tuple(v.strip() for v in value)

    def choice(self, where, item, data, key, allowed: Iterable[str]) -> str:
        value = data.get(key)
        allowed = tuple(allowed)
        if value not in allowed:
            self.add(where, item, key, f"{value!r} is not one of {', '.join(allowed)}")
            return ""
        return value

    def choices(self, where, item, data, key, allowed: Iterable[str], *, min_items=1) -> tuple[str, ...]:
        values = self.text_list(where, item, data, key, min_items=min_items)
        allowed = tuple(allowed)
        for v in values:
            if v not in allowed:
                self.add(where, item, key, f"{v!r} is not one of {', '.join(allowed)}")
        return values

    def integer(self, where, item, data, key, lo, hi, *, nullable=False) -> Optional[int]:
        value = data.get(key)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, item, key, f"must be a whole number, got {value!r}")
            return None
        if not lo <= value <= hi:
            self.add(where, item, key, f"must be between {lo} and {hi}, got {value}")
        return value

    def identifier(self, where, item, data) -> str:
        value = data.get("id")
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.add(where, item, "id", f"must be a snake_case id, got {value!r}")
            return ""
        return value

    def patterns(self, where, item, data, key="patterns") -> tuple[str, ...]:
        values = self.text_list(where, item, data, key)
        for p in values:
            try:
                re.compile(p)
            except re.error as exc:
                self.add(where, item, key, f"pattern {p!r} does not compile: {exc}")
        return values


def _read_yaml(path: Path, checker: _Checker) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_YAML_LOADER)
    except FileNotFoundError:
        checker.add(path.name, "-", "-", "file is missing")
    except yaml.YAMLError as exc:
        checker.add(path.name, "-", "-", f"is not valid YAML: {exc}")
    return None


def _items(path: Path, data: Any, key: str, checker: _Checker) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        checker.add(path.name, "-", key, f"the file must hold a mapping with a list under '{key}'")
        return []
    out = []
    for index, entry in enumerate(data[key]):
        if not isinstance(entry, dict):
            checker.add(path.name, f"item {index + 1}", "-", "must be a mapping")
            continue
        out.append(entry)
    return out


def _label(entry: dict, index: int) -> str:
    return str(entry.get("id") or f"item {index + 1}")


# --------------------------------------------------------------------------- sections
def _read_terms(path: Path, key: str, allowed_ids: tuple[str, ...], checker: _Checker) -> list[Term]:
    terms = []
    for i, entry in enumerate(_items(path, _read_yaml(path, checker), key, checker)):
        item = _label(entry, i)
        term_id = checker.choice(path.name, item, entry, "id", allowed_ids)
        aliases = checker.text_list(path.name, item, entry, "aliases", min_items=3)
        ambiguous = checker.text_list(path.name, item, entry, "ambiguous_aliases", min_items=0, required=False)
        terms.append(Term(
            id=term_id,
            name=checker.text(path.name, item, entry, "name"),
            aliases=tuple(a.lower() for a in aliases),
            ambiguous_aliases=tuple(a.lower() for a in ambiguous),
            description=checker.text(path.name, item, entry, "description", required=False),
        ))
    seen = {t.id for t in terms}
    for missing in sorted(set(allowed_ids) - seen):
        checker.add(path.name, missing, "id", "is required by the contract but has no entry")
    return terms


def _read_routine(path: Path, checker: _Checker) -> Optional[Routine]:
    data = _read_yaml(path, checker)
    where = f"routines/{path.name}"
    if not isinstance(data, dict):
        if data is not None:
            checker.add(where, path.stem, "-", "the file must hold one routine as a mapping")
        return None
    item = str(data.get("id") or path.stem)
    routine_id = checker.identifier(where, item, data)
    if routine_id and routine_id != path.stem:
        checker.add(where, item, "id", f"must equal the file name '{path.stem}'")
    steps_raw = data.get("steps")
    steps: list[Step] = []
    if not isinstance(steps_raw, list) or not 3 <= len(steps_raw) <= 7:
        checker.add(where, item, "steps", "must be a list of 3 to 7 steps")
        steps_raw = steps_raw if isinstance(steps_raw, list) else []
    for n, step in enumerate(steps_raw, start=1):
        label = f"{item} step {n}"
        if not isinstance(step, dict):
            checker.add(where, label, "-", "must be a mapping")
            continue
        seconds = checker.integer(where, label, step, "seconds", 5, 600, nullable=True)
        reps = checker.integer(where, label, step, "reps", 1, 100, nullable=True)
        if seconds is None and reps is None:
            checker.add(where, label, "seconds", "a step needs seconds or reps")
        steps.append(Step(
            position=checker.text(where, label, step, "position"),
            action=checker.text(where, label, step, "action"),
            seconds=seconds, reps=reps,
            pressure=checker.text(where, label, step, "pressure"),
            avoid=checker.text(where, label, step, "avoid"),
        ))
    evidence = data.get("evidence") if isinstance(data.get("evidence"), dict) else {}
    if not evidence:
        checker.add(where, item, "evidence", "must be a mapping with label and source")
    closing = data.get("closing_movement") if isinstance(data.get("closing_movement"), dict) else {}
    if not closing:
        checker.add(where, item, "closing_movement", "must be a mapping with name and instructions")
    return Routine(
        id=routine_id,
        title=checker.text(where, item, data, "title", max_len=120),
        region=checker.choice(where, item, data, "region", REGION_IDS),
        muscles=checker.text_list(where, item, data, "muscles"),
        activities=checker.choices(where, item, data, "activities", ACTIVITY_IDS),
        equipment=checker.choice(where, item, data, "equipment", EQUIPMENT_IDS),
        summary=checker.text(where, item, data, "summary"),
        duration_minutes=checker.integer(where, item, data, "duration_minutes", 1, 30) or 0,
        steps=tuple(steps),
        dose=checker.text(where, item, data, "dose"),
        frequency=checker.text(where, item, data, "frequency"),
        evidence_label=checker.choice(where, item, evidence, "label", EVIDENCE_LABELS) if evidence else "",
        evidence_source=checker.text(where, item, evidence, "source") if evidence else "",
        contraindications=checker.text_list(where, item, data, "contraindications", min_items=0),
        cautions=checker.text_list(where, item, data, "cautions"),
        closing_name=checker.text(where, item, closing, "name") if closing else "",
        closing_instructions=checker.text(where, item, closing, "instructions") if closing else "",
        sources=checker.text_list(where, item, data, "sources"),
    )


def _read_red_flags(path: Path, checker: _Checker) -> tuple[list[RedFlag], list[Combination]]:
    data = _read_yaml(path, checker)
    # Word families, concept groups and risk areas are checked by the detector's own loader,
    # so the content is validated by the same code that uses it.
    from safety.terms import TermError, load_pattern_sets, load_risk_areas
    try:
        load_pattern_sets(path, path.parent / "contraindications.yml")
        risk_areas = set(load_risk_areas(path))
    except TermError as exc:
        checker.add(path.name, "concepts", "-", str(exc).split(": ", 1)[-1])
        risk_areas = set()
    except OSError:
        risk_areas = set()
    concepts = data.get("concepts") if isinstance(data, dict) else None
    concepts = concepts if isinstance(concepts, dict) else {}
    flags = []
    for i, entry in enumerate(_items(path, data, "flags", checker)):
        item = _label(entry, i)
        pairs = entry.get("concept_pairs") or []
        if entry.get("area") is not None and entry.get("area") not in risk_areas:
            checker.add(path.name, item, "area", f"{entry.get('area')!r} is not one of the risk_areas")
        if pairs and not entry.get("patterns"):
            entry = {**entry, "patterns": []}
        flags.append(RedFlag(
            id=checker.identifier(path.name, item, entry),
            level=checker.choice(path.name, item, entry, "level", FLAG_LEVELS),
            title=checker.text(path.name, item, entry, "title"),
            advice=checker.text(path.name, item, entry, "advice"),
            source=checker.text(path.name, item, entry, "source"),
            patterns=checker.patterns(path.name, item, entry) if entry.get("patterns") or not pairs else (),
            examples=checker.text_list(path.name, item, entry, "examples", min_items=1),
            non_examples=checker.text_list(path.name, item, entry, "non_examples", min_items=0, required=False),
            historical_ok=entry.get("historical_ok", False) in (True, "recent"),
            crisis=bool(entry.get("crisis", False)),
        ))
    flag_ids = {f.id for f in flags}
    combos = []
    raw_combos = data.get("combinations", []) if isinstance(data, dict) else []
    for i, entry in enumerate(raw_combos or []):
        item = _label(entry, i) if isinstance(entry, dict) else f"item {i + 1}"
        if not isinstance(entry, dict):
            checker.add(path.name, item, "-", "must be a mapping")
            continue
        members = checker.choices(path.name, item, entry, "all_of", flag_ids, min_items=2)
        combos.append(Combination(
            id=checker.identifier(path.name, item, entry),
            all_of=members,
            level=checker.choice(path.name, item, entry, "level", TRIAGE_LEVELS),
            advice=checker.text(path.name, item, entry, "advice"),
            source=checker.text(path.name, item, entry, "source"),
        ))
    return flags, combos


def _risk_area_ids(path: Path) -> tuple[str, ...]:
    from safety.terms import TermError, load_risk_areas
    try:
        return tuple(load_risk_areas(path))
    except (TermError, OSError):
        return ()  # reported by _read_red_flags


def _read_contraindications(path: Path, checker: _Checker) -> list[Contraindication]:
    out = []
    for i, entry in enumerate(_items(path, _read_yaml(path, checker), "contraindications", checker)):
        item = _label(entry, i)
        out.append(Contraindication(
            id=checker.identifier(path.name, item, entry),
            title=checker.text(path.name, item, entry, "title"),
            effect=checker.choice(path.name, item, entry, "effect", CONTRAINDICATION_EFFECTS),
            message=checker.text(path.name, item, entry, "message"),
            source=checker.text(path.name, item, entry, "source"),
            patterns=checker.patterns(path.name, item, entry),
            examples=checker.text_list(path.name, item, entry, "examples"),
            non_examples=checker.text_list(path.name, item, entry, "non_examples", min_items=0, required=False),
        ))
    return out


def _read_screenings(path: Path, flag_ids: set[str], checker: _Checker,
                     risk_areas: Iterable[str] = ()) -> list[Screening]:
    out = []
    risk_areas = sorted(risk_areas)
    for i, entry in enumerate(_items(path, _read_yaml(path, checker), "screenings", checker)):
        item = _label(entry, i)
        items = []
        for n, raw in enumerate(entry.get("items") or [], start=1):
            label = f"{item} item {n}"
            if not isinstance(raw, dict):
                checker.add(path.name, label, "-", "must be a mapping with flag and label")
                continue
            items.append(ScreeningItem(
                flag=checker.choice(path.name, label, raw, "flag", sorted(flag_ids)),
                label=checker.text(path.name, label, raw, "label", max_len=80),
            ))
        if not items:
            checker.add(path.name, item, "items", "needs at least one item")
        regions = checker.choices(path.name, item, entry, "regions", REGION_IDS, min_items=0) \
            if entry.get("regions") else ()
        areas = checker.choices(path.name, item, entry, "areas", risk_areas, min_items=0) if entry.get("areas") else ()
        if not regions and not areas:
            checker.add(path.name, item, "regions", "a screening needs regions or areas")
        yes_flags = checker.choices(path.name, item, entry, "yes_flags", sorted(flag_ids), min_items=0) \
            if entry.get("yes_flags") else ()
        out.append(Screening(
            id=checker.identifier(path.name, item, entry),
            regions=regions,
            question=checker.text(path.name, item, entry, "question"),
            items=tuple(items),
            areas=areas,
            yes_flags=yes_flags,
        ))
    seen: dict[str, str] = {}
    for screening in out:
        for area in screening.areas:
            if area in seen:
                checker.add(path.name, screening.id, "areas", f"area {area!r} is already asked by {seen[area]}")
            seen[area] = screening.id
    return out


def _read_messages(path: Path, checker: _Checker) -> list[BotMessage]:
    out = []
    for i, entry in enumerate(_items(path, _read_yaml(path, checker), "messages", checker)):
        item = _label(entry, i)
        out.append(BotMessage(
            id=checker.identifier(path.name, item, entry),
            texts=checker.text_list(path.name, item, entry, "texts"),
            sources=checker.text_list(path.name, item, entry, "sources", min_items=0, required=False),
        ))
    for missing in sorted(set(REQUIRED_MESSAGES) - {m.id for m in out}):
        checker.add(path.name, missing, "id", "is a required message but has no entry")
    return out


# --------------------------------------------------------------------------- cross checks
def _check_unique(name: str, ids: list[str], checker: _Checker) -> None:
    seen = set()
    for value in ids:
        if value and value in seen:
            checker.add(name, value, "id", "is used twice")
        seen.add(value)


def _check_aliases(terms_by_file: dict[str, list[Term]], checker: _Checker) -> None:
    owner: dict[str, str] = {}
    for fname, terms in terms_by_file.items():
        for term in terms:
            for alias in term.aliases + term.ambiguous_aliases:
                key = alias.lower()
                if key in owner and owner[key] != f"{fname}:{term.id}":
                    checker.add(fname, term.id, "aliases", f"'{alias}' is already an alias of {owner[key]}")
                owner.setdefault(key, f"{fname}:{term.id}")


def _check_coverage(routines: list[Routine], contraindication_ids: set[str], checker: _Checker) -> None:
    for r in routines:
        for c in r.contraindications:
            if c not in contraindication_ids:
                checker.add(f"routines/{r.id}.yml", r.id, "contraindications", f"'{c}' is not a known contraindication")
    for region in REGION_IDS:
        kit = {r.equipment for r in routines if r.region == region}
        if len(kit) < 2:
            checker.add("routines", region, "equipment", f"region needs routines for at least two kinds of equipment, has {sorted(kit)}")


def fingerprint_of(directory: Path) -> str:
    """Hash of every content file, so loads can be skipped when nothing changed."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*.yml")):
        digest.update(str(path.relative_to(directory)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_other_areas(path: Path, checker: _Checker) -> list[OtherArea]:
    out = []
    for i, entry in enumerate(_items(path, _read_yaml(path, checker), "areas", checker)):
        item = _label(entry, i)
        out.append(OtherArea(
            id=checker.identifier(path.name, item, entry),
            aliases=tuple(a.lower() for a in checker.text_list(path.name, item, entry, "aliases")),
            message=checker.text(path.name, item, entry, "message"),
            suggest=checker.choices(path.name, item, entry, "suggest", REGION_IDS),
        ))
    return out


def _read_all_terms(directory: Path, checker: _Checker):
    regions = _read_terms(directory / "regions.yml", "regions", REGION_IDS, checker)
    activities = _read_terms(directory / "activities.yml", "activities", ACTIVITY_IDS, checker)
    equipment = _read_terms(directory / "equipment.yml", "equipment", EQUIPMENT_IDS, checker)
    others = _read_other_areas(directory / "other_areas.yml", checker)
    other_terms = [Term(id=a.id, name=a.id.replace("_", " "), aliases=a.aliases) for a in others]
    _check_aliases({"regions.yml": regions, "activities.yml": activities, "equipment.yml": equipment,
                    "other_areas.yml": other_terms}, checker)
    return regions, activities, equipment, others


def load_terms(directory: Path | str | None = None):
    """Regions, activities, equipment and other areas with their aliases (all the NLU needs)."""
    checker = _Checker()
    terms = _read_all_terms(Path(directory) if directory else CONTENT_DIR, checker)
    if checker.problems:
        raise ContentError(checker.problems)
    return terms


def load_content(directory: Path | str | None = None) -> Content:
    """Reads and validates every content file; raises ContentError listing all problems."""
    directory = Path(directory) if directory else CONTENT_DIR
    checker = _Checker()
    regions, activities, equipment, other_areas = _read_all_terms(directory, checker)
    routine_files = sorted((directory / "routines").glob("*.yml"))
    if not routine_files:
        checker.add("routines", "-", "-", "no routine files found")
    routines = [r for r in (_read_routine(p, checker) for p in routine_files) if r is not None]
    red_flags, combinations = _read_red_flags(directory / "red_flags.yml", checker)
    contraindications = _read_contraindications(directory / "contraindications.yml", checker)
    screenings = _read_screenings(directory / "screening.yml", {f.id for f in red_flags}, checker,
                                  _risk_area_ids(directory / "red_flags.yml"))
    messages = _read_messages(directory / "messages.yml", checker)

    _check_unique("routines", [r.id for r in routines], checker)
    _check_unique("red_flags.yml", [f.id for f in red_flags] + [c.id for c in combinations], checker)
    _check_unique("contraindications.yml", [c.id for c in contraindications], checker)
    _check_unique("messages.yml", [m.id for m in messages], checker)
    _check_coverage(routines, {c.id for c in contraindications}, checker)
    if checker.problems:
        raise ContentError(checker.problems)
    return Content(
        regions=regions, activities=activities, equipment=equipment, routines=routines,
        red_flags=red_flags, combinations=combinations, contraindications=contraindications,
        screenings=screenings, messages=messages, other_areas=other_areas, fingerprint=fingerprint_of(directory),
    )
