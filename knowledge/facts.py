"""Facts that every part of Unknot shows, read straight from the reviewed content, so that
each exists once: the emergency numbers, and the names of regions, activities and kit.

Plain YAML reads (no database), so that even an error message sent when the database is
down, or the Rasa process (which never imports the SQLAlchemy layer), use the same words.
Read on first use and kept: the content changes only with a reload and a restart.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(name: str) -> dict:
    with (CONTENT_DIR / name).open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER) or {}


@lru_cache(maxsize=1)
def emergency_numbers() -> str:
    """"999 in the UK, 112 in the EU, 911 in the US, or your local emergency number"."""
    for message in _read("messages.yml").get("messages") or []:
        if message.get("id") == "emergency_numbers":
            return message["texts"][0]
    raise KeyError("messages.yml has no emergency_numbers message")


@lru_cache(maxsize=1)
def emergency_dial_codes() -> tuple[str, ...]:
    """The numbers themselves, in the order the text gives them ("999", "112", "911")."""
    import re
    return tuple(re.findall(r"\b\d{3}\b", emergency_numbers()))


@lru_cache(maxsize=3)
def _names(file: str, key: str) -> dict[str, str]:
    return {item["id"]: item.get("name") or item["id"].replace("_", " ") for item in _read(file).get(key) or []}


def region_names() -> dict[str, str]:
    """Region id -> the name used in sentences, in the content's order."""
    return _names("regions.yml", "regions")


def activity_names() -> dict[str, str]:
    return _names("activities.yml", "activities")


def equipment_names() -> dict[str, str]:
    return _names("equipment.yml", "equipment")


@lru_cache(maxsize=1)
def routine_titles() -> dict[str, str]:
    """Routine id -> its title, for summaries read by people ("Calf roll with a foam roller")."""
    titles = {}
    for path in sorted((CONTENT_DIR / "routines").glob("*.yml")):
        with path.open(encoding="utf-8") as fh:
            routine = yaml.load(fh, Loader=_LOADER) or {}
        if routine.get("id"):
            titles[routine["id"]] = routine.get("title") or routine["id"]
    return titles
