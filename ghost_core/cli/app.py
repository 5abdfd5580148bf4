"""The `ghostswap` command line: parsing only, each command calls one function that owns the logic."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from ghost_core import __version__
from ghost_core.console import emit_json, log, setup_logging
from ghost_core.errors import GhostSwapError, StdoutClosed

# Each command family registers its own sub-parsers; the handler is stored as `func`.
Registrar = Callable[[argparse._SubParsersAction], None]


def _registrars() -> list[Registrar]:
    from ghost_core.cli.datasets import register as register_dataset
    from ghost_core.cli.doctor import register as register_doctor
    from ghost_core.cli.evaluation import register as register_eval
    from ghost_core.cli.farm import register as register_farm
    from ghost_core.cli.frames import register as register_frames
    from ghost_core.cli.jobs import register as register_jobs
    from ghost_core.cli.knobs import register as register_knobs
    from ghost_core.cli.models import register as register_models
    from ghost_core.cli.review import register as register_review
    from ghost_core.cli.serve import register as register_serve
    from ghost_core.cli.shot import register as register_shot
    from ghost_core.cli.train import register as register_train

    return [
        register_doctor,
        register_models,
        register_frames,
        register_shot,
        register_jobs,
        register_knobs,
        register_dataset,
        register_eval,
        register_review,
        register_farm,
        register_train,
        register_serve,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ghostswap",
        description="GHOST face replacement for scene-linear EXR plates.",
    )
    parser.add_argument("--version", action="version", version=f"ghostswap {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log detail (stderr)")
    parser.add_argument("-q", "--quiet", action="store_true", help="errors only, no progress bars")
    parser.add_argument("--json", action="store_true", help="print a machine-readable JSON summary on stdout")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _registrars():
        register(sub)
    _accept_global_options_anywhere(sub)
    return parser


def _accept_global_options_anywhere(sub: argparse._SubParsersAction) -> None:
    """`ghostswap bake --job F --json` works as well as `ghostswap --json bake --job F`.

    Each sub-command also accepts --json/-q/-v; SUPPRESS defaults leave the top-level values alone
    unless the option is given after the command.
    """
    for parser in sub.choices.values():
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for inner in nested:
                _accept_global_options_anywhere(inner)
            continue
        extra = parser.add_argument_group("output")
        hidden = argparse.SUPPRESS
        extra.add_argument("--json", action="store_true", default=hidden, help="JSON summary on stdout")
        extra.add_argument("-q", "--quiet", action="store_true", default=hidden, help="errors only")
        extra.add_argument("-v", "--verbose", action="count", default=hidden, help="more log detail")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        # `ghostswap ... | head -1`: the reader has all it wanted. Point stdout at /dev/null so the
        # interpreter's final flush cannot raise again, and exit without a traceback.
        _discard_stdout()
        return StdoutClosed.exit_code


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    try:
        # With --json, stdout carries the one JSON document and nothing else: what libraries print
        # while the command runs (Ray's driver prints its cluster's error messages to stdout) goes to
        # stderr, so a farm script can parse stdout as it is.
        with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
            result = args.func(args)
    except GhostSwapError as exc:
        if args.json:
            emit_json({**exc.details, "ok": False, "error": type(exc).__name__, "message": str(exc)})
        log.error("%s", exc)
        sys.stdout.flush()
        return exc.exit_code
    except KeyboardInterrupt:
        log.error("interrupted; finished outputs are kept, rerun to resume")
        return 130
    if args.json:
        emit_json({"ok": True, "command": args.command, **(result or {})})
    sys.stdout.flush()  # a closed pipe surfaces here, inside main, not at interpreter exit
    return 0


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (an in-process caller)
        pass
