"""Command line: `python -m knowledge {check,load,export-nlu,stats}`."""
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
