"""The `ghostswap` command line: parsing only, each command calls one function that owns the logic."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ghost_core import __version__
from ghost_core.console import emit_json, log, setup_logging
from ghost_core.errors import GhostSwapError

# Each command family registers its own sub-parsers; the handler is stored as `func`.
Registrar = Callable[[argparse._SubParsersAction], None]


def _registrars() -> list[Registrar]:
    from ghost_core.engine.commands import register as register_shot
    from ghost_core.io.commands import register as register_frames
    from ghost_core.models_store.commands import register as register_models
    from ghost_core.runtime.doctor import register as register_doctor
    from ghost_core.train.commands import register as register_train

    return [register_doctor, register_models, register_frames, register_shot, register_train]


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose, args.quiet)
    try:
        result = args.func(args)
    except GhostSwapError as exc:
        if args.json:
            emit_json({"ok": False, "error": type(exc).__name__, "message": str(exc)})
        log.error("%s", exc)
        return exc.exit_code
    except KeyboardInterrupt:
        log.error("interrupted; finished outputs are kept, rerun to resume")
        return 130
    if args.json:
        emit_json({"ok": True, "command": args.command, **(result or {})})
    return 0


if __name__ == "__main__":
    sys.exit(main())
