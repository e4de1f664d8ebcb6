"""Command line: `python -m knowledge {check,load,export-nlu,purge}`.

`purge` deletes user data older than the retention period (UNKNOT_RETENTION_DAYS, default
365 days, or --days): progress rows, warnings, summaries, preferences and emergency holds
in DATABASE_URL, and conversation events in the tracker store (TRACKER_DATABASE_URL, else
DATABASE_URL, else .state/tracker.db).
"""
from __future__ import annotations

import argparse
import sys
import time

from .schema import ContentError, load_content


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate the content and report every problem")
    load = sub.add_parser("load", help="validate and load the content into DATABASE_URL")
    load.add_argument("--force", action="store_true", help="reload even if unchanged")
    sub.add_parser("export-nlu", help="write Rasa lookup tables and synonyms from the content")
    purge = sub.add_parser("purge", help="delete user data older than the retention period")
    purge.add_argument("--days", type=int, default=None, help="retention in days (default UNKNOT_RETENTION_DAYS or 365)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            content = load_content()
            print(f"content OK: {len(content.routines)} routines, {len(content.red_flags)} red flags")
        elif args.command == "load":
            from .db import make_engine
            from .loader import load_into_database
            started = time.perf_counter()
            engine = make_engine()
            loaded, content = load_into_database(engine, force=args.force)
            where = engine.url.render_as_string(hide_password=True)
            if loaded:
                print(f"knowledge base loaded: {len(content.routines)} routines into {where} "
                      f"in {time.perf_counter() - started:.2f}s")
            else:
                print(f"knowledge base up to date in {where}")
        elif args.command == "purge":
            from .retention import purge_everything, retention_days
            days = args.days if args.days is not None else retention_days()
            counts = purge_everything(days)
            print(f"purged data older than {days} days: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        elif args.command == "export-nlu":
            from .nlu_export import write_nlu
            from .schema import load_terms
            path = write_nlu(load_terms())
            print(f"wrote {path}")
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
