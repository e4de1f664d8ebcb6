"""How flags add up to one triage level: the most urgent flag or combination wins.

Pure function shared by the knowledge layer (which reads levels from the database)
and the safety suite (which reads them from the YAML), so the rule exists once.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

LEVEL_ORDER = ("self_care", "soon", "urgent_24h", "emergency_now")


def rank(level: Optional[str]) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else 0


def most_urgent(flags: Iterable[str], flag_levels: Mapping[str, str],
                combinations: Sequence[tuple[str, Iterable[str], str]]) -> tuple[str, Optional[str]]:
    """(level, id of the flag or combination that set it). Cues count only in combinations."""
    present = [f for f in dict.fromkeys(flags) if f in flag_levels]
    best, source = "self_care", None
    for flag in present:
        if rank(flag_levels[flag]) > rank(best):
            best, source = flag_levels[flag], flag
    for combo_id, members, level in combinations:
        if set(members) <= set(present) and rank(level) > rank(best):
            best, source = level, combo_id
    return best, source
