"""`ghostswap knobs`: the shot knob table, for people (a table) and for host builds (a JSON file)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def knobs_json_text() -> str:
    """The knob table exactly as hosts vendor it (stable key order, trailing newline)."""
    from ghost_core.knobs import knob_table

    return json.dumps(knob_table(), indent=2) + "\n"


def _knobs(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.knobs import knob_table

    table = knob_table()
    if args.markdown:
        from ghost_core.knobs import knob_markdown

        print(knob_markdown(), end="")
    elif args.out:
        from ghost_core.io.atomic import atomic_output

        with atomic_output(Path(args.out)) as tmp:
            Path(tmp).write_text(knobs_json_text(), encoding="utf-8")
    elif not args.json:
        for row in table["knobs"]:
            flag = row["cli"] or "(job file)"
            print(f"{row['job']:<26} {flag:<14} {row['kind']:<12} {row['help']}")
    return {"written": args.out} if args.out else table


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("knobs", help="list every shot knob (CLI flag, job key, type); --out for hosts")
    parser.add_argument("--out", metavar="FILE", help="write the versioned knob table JSON hosts vendor")
    parser.add_argument("--markdown", action="store_true", help="print the docs/jobs.md table instead")
    parser.set_defaults(func=_knobs)
