"""Generates Rasa NLU lookup tables and synonyms from the knowledge content.

The aliases are written once, in knowledge/content; this turns them into
data/generated/knowledge_terms.yml for Rasa, so there is no second copy to keep in step.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from .schema import OtherArea, Term

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GENERATED_NLU = PROJECT_ROOT / "data" / "generated" / "knowledge_terms.yml"
HEADER = "# Generated from knowledge/content by `python -m knowledge export-nlu`. Do not edit.\n"

ENTITY_OF_SECTION = {"regions": "body_region", "activities": "activity", "equipment": "equipment"}


def _phrases(term: Term) -> list[str]:
    phrases = [term.name.lower(), term.id.replace("_", " "), *term.aliases]
    return list(dict.fromkeys(p for p in phrases if p))


def nlu_document(regions: list[Term], activities: list[Term], equipment: list[Term],
                 other_areas: list[OtherArea] = ()) -> dict:
    nlu: list[dict] = []
    sections = {"regions": regions, "activities": activities, "equipment": equipment}
    for section, entity in ENTITY_OF_SECTION.items():
        terms = sections[section]
        nlu.append({"lookup": entity, "examples": sorted({p for t in terms for p in _phrases(t)})})
        for term in terms:
            nlu.append({"synonym": term.id, "examples": [p for p in _phrases(term) if p != term.id]})
    if other_areas:
        nlu.append({"lookup": "other_area", "examples": sorted({a for area in other_areas for a in area.aliases})})
        for area in other_areas:
            nlu.append({"synonym": area.id, "examples": list(area.aliases)})
    ambiguous = sorted({a for t in regions for a in t.ambiguous_aliases})
    if ambiguous:
        # Words such as "back" name a region only with a body cue; the entity matcher
        # reads this table to know which phrases need one.
        nlu.append({"lookup": "body_region_ambiguous", "examples": ambiguous})
        for term in regions:
            if term.ambiguous_aliases:
                nlu.append({"synonym": term.id, "examples": list(term.ambiguous_aliases)})
    return {"version": "3.1", "nlu": nlu}


def _block(entry: dict) -> str:
    key = "lookup" if "lookup" in entry else "synonym"
    lines = "".join(f"    - {example}\n" for example in entry["examples"])
    return f"- {key}: {entry[key]}\n  examples: |\n{lines}"


def write_nlu(terms: tuple, path: Path = GENERATED_NLU) -> Path:
    doc = nlu_document(*terms)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = HEADER + 'version: "3.1"\nnlu:\n' + "".join(_block(e) for e in doc["nlu"] if e["examples"])
    yaml.safe_load(text)  # refuse to write something Rasa could not read
    path.write_text(text, encoding="utf-8")
    return path
