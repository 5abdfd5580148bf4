"""The `ghostswap` command line: one module per command family, parsing only.

No domain package imports this layer; each command calls one function in the package that owns
the logic. `main` and `build_parser` live in `app`.
"""

from ghost_core.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
