"""Where the model cache lives; its own module so the manifest, user models and store all read it.

Standard library only: every module of the model manager may import it without a cycle.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "GHOSTSWAP_HOME"


def cache_root() -> Path:
    """$GHOSTSWAP_HOME, else $XDG_CACHE_HOME/ghostswap, else ~/.cache/ghostswap."""
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        return Path(home).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser().absolute() if xdg else Path.home() / ".cache") / "ghostswap"
