"""Knowledge-base query time: kb.find_routines over every region.

Run with .venv/actions/bin/python (the knowledge layer needs SQLAlchemy 2):
    python -m benchmarks.kb_query DATABASE_URL OUT.json
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from knowledge import models as m  # noqa: E402
from knowledge.query import KnowledgeBase, clear_caches  # noqa: E402

ROUNDS = 20


def main(url: str, out: Path) -> None:
    kb = KnowledgeBase.from_url(url)
    from sqlalchemy.orm import Session
    with Session(kb.engine) as session:
        regions = sorted(session.scalars(select(m.Region.id)))
        activities = sorted(session.scalars(select(m.Activity.id)))
    cold, warm, counts = [], [], {}
    for round_ in range(ROUNDS):
        clear_caches()  # cold: the routines of the region are read from the database
        for i, region in enumerate(regions):
            activity = activities[(i + round_) % len(activities)] if activities else None
            t = time.perf_counter()
            search = kb.find_routines(region, activity, "foam_roller")
            cold.append((time.perf_counter() - t) * 1000)
            counts[region] = len(search.matches)
            t = time.perf_counter()  # warm: the same query again, served from the process cache
            kb.find_routines(region, activity, "hands")
            warm.append((time.perf_counter() - t) * 1000)
    out.write_text(json.dumps({
        "regions": len(regions), "rounds": ROUNDS, "queries": len(cold),
        "cold_median_ms": round(statistics.median(cold), 3), "cold_worst_ms": round(max(cold), 3),
        "warm_median_ms": round(statistics.median(warm), 3), "warm_worst_ms": round(max(warm), 3),
        "routines_per_region": counts, "dialect": kb.engine.dialect.name,
    }, indent=2))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
