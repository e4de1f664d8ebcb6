"""Where the time of a long conversation goes: a child process (with .venv/rasa's
Python) that opens the same SQLite tracker store as the running server and, for each
sender id it reads on stdin, prints one JSON line with the number of events Rasa loads
per turn, the time of SQLTrackerStore.retrieve, the time and size of the tracker JSON
sent to the action server each action call, and the time of the dialogue-state
featurisation over the whole history (what the policies do every turn).

    python -m benchmarks.tracker_probe TRACKER.db DOMAIN.yml
"""
from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import time

logging.disable(logging.WARNING)


def main(db: str, domain_file: str) -> None:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    domain = Domain.load(domain_file)
    store = SQLTrackerStore(domain, dialect="sqlite", db=db)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        sender = line.strip()
        if not sender:
            continue
        retrieve, rows_ms, rebuild, dump, states, size, events = [], [], [], [], [], 0, 0
        for _ in range(5):
            t = time.perf_counter()
            tracker = asyncio.run(store.retrieve(sender))
            retrieve.append((time.perf_counter() - t) * 1000)
            if tracker is None:
                break
            # The two halves of retrieve: reading the rows (SQL + JSON) and rebuilding the tracker.
            t = time.perf_counter()
            with store.session_scope() as session:
                data = [json.loads(row.data) for row in
                        store._event_query(session, sender, fetch_events_from_all_sessions=False).all()]
            rows_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            DialogueStateTracker.from_dict(sender, data, domain.slots)
            rebuild.append((time.perf_counter() - t) * 1000)
            events = len(tracker.events)
            t = time.perf_counter()
            text = json.dumps(tracker.current_state(EventVerbosity.ALL))
            dump.append((time.perf_counter() - t) * 1000)
            size = len(text)
            t = time.perf_counter()
            tracker.past_states(domain)
            states.append((time.perf_counter() - t) * 1000)
        med = (lambda xs: round(statistics.median(xs), 2) if xs else None)
        print(json.dumps({"sender": sender, "events": events, "retrieve_ms": med(retrieve),
                          "read_rows_ms": med(rows_ms), "rebuild_tracker_ms": med(rebuild),
                          "tracker_json_ms": med(dump), "tracker_json_kb": round(size / 1024, 1),
                          "past_states_ms": med(states)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
