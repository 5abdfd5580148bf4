"""`ghostswap doctor`: parsing only; `runtime.doctor` owns the report."""

from __future__ import annotations

import argparse
from typing import Any


def _doctor(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.runtime.doctor import machine_report

    report = machine_report()
    if not args.json:
        width = max(map(len, report))
        for key, value in report.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key:<{width}}  {shown}")
    return report


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="show versions, GPUs and inference providers of this machine")
    parser.set_defaults(func=_doctor)
