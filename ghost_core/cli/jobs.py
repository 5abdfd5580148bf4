"""`ghostswap job check` and `ghostswap bake`: parsing only; schema, cache and bake own the logic."""

from __future__ import annotations

import argparse
from typing import Any

from ghost_core.errors import ServiceError
from ghost_core.jobs.schema import load_job


def register(sub: argparse._SubParsersAction) -> None:
    job = sub.add_parser("job", help="check a job file and show where its results go")
    commands = job.add_subparsers(dest="job_command", metavar="SUBCOMMAND", required=True)
    check = commands.add_parser("check", help="validate a job; print its output, track file and hash")
    check.add_argument("file", metavar="JOB", help="job file (JSON)")
    check.set_defaults(func=_check)

    bake = sub.add_parser("bake", help="run a job: track the shot when needed, then render (hosts use this)")
    bake.add_argument("--job", required=True, metavar="FILE", help="job file (JSON)")
    bake.add_argument("--frames", metavar="SPEC", help="frames to render (default: the job's, else all)")
    where = bake.add_mutually_exclusive_group()
    where.add_argument(
        "--local", action="store_true", help="bake in this process even if `ghostswap serve` runs"
    )
    where.add_argument(
        "--server-only", action="store_true", help="fail unless a `ghostswap serve` takes the job"
    )
    bake.set_defaults(func=_bake)


def _check(args: argparse.Namespace) -> dict[str, Any]:
    """Print where the results go and every missing input; fail (typed) after printing if any."""
    from ghost_core.jobs.check import check_job, shown_job

    job = load_job(args.file)
    report = check_job(job, args.file)
    if not args.json:
        for key, value in report.summary.items():
            print(f"{key:<17} {value}")
        if report.problems:
            print(f"{len(report.problems)} problem(s):")
            for problem in report.problems:
                print(f"  {problem.line()}")
    error = report.error()
    if error is not None:
        error.details["resolved"] = shown_job(job)
        raise error
    return {**report.summary, "problems": [], "resolved": shown_job(job)}


def _bake(args: argparse.Namespace) -> dict[str, Any]:
    """Hand the job to a running `ghostswap serve` (warm models) when there is one, else bake here."""
    job = load_job(args.job)  # invalid jobs fail here, the same way with or without a server
    if not args.local:
        from ghost_core.service.client import bake_on_server, find_server
        from ghost_core.service.connection import state_dir

        folder = state_dir(None)
        client = find_server(folder)
        if client is not None:
            return bake_on_server(client, job, args.frames)
        if args.server_only:
            raise ServiceError(f"no ghostswap serve is running ({folder}); start one with `ghostswap serve`")
    from ghost_core.jobs.bake import bake

    return {**bake(job, frames=args.frames), "server": None}
