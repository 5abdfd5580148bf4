"""GhostSwap host kit: what every Python host adapter (Nuke, Blender) shares with the engine.

The canonical file is plugins/hostkit/ghostswap_hostkit.py. `scripts/vendor_hostkit.py` copies it
byte for byte into each adapter package (ghostswap_nuke/, ghostswap_blender/); a test fails when a
copy differs. Edit the canonical file, then run the script.

Runs inside the hosts: Python 3.7 syntax (Nuke 13), standard library only, never imports `nuke`,
`bpy`, torch or ghost_core. The Resolve Fuse is Lua and keeps its own copies of the names below;
a test greps it for them.
"""

import json
import os
import re
import shutil
import subprocess
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

# The job file contract (docs/jobs.md); the engine refuses a newer version than it knows.
JOB_SCHEMA = "ghostswap.job"
JOB_VERSION = 1

EXE_NAME = "ghostswap"
EXE_ENV = "GHOSTSWAP_EXE"  # the executable, when the host's own setting is empty
CACHE_ENV = "GHOSTSWAP_CACHE"  # the cache root, when the host's own setting is empty
# Blender 0.1 read this name; it still works there, with a deprecation message.
DEPRECATED_CACHE_ENV = "GHOSTSWAP_CACHE_ROOT"
FARM_MANAGER_ENV = "GHOSTSWAP_FARM_MANAGER"
FARM_MANAGERS = ("openjd", "deadline", "opencue", "tractor")  # `ghostswap farm submit --manager`
DEFAULT_FARM_MANAGER = "openjd"


class GhostSwapError(RuntimeError):
    """A problem the artist can fix; the message says what and how."""


def safe_node_name(node: str) -> str:
    """A node name as one folder name, exactly as the engine names `<cache root>/<node>/`
    (ghost_core.jobs.cache.safe_node_name)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", node).strip("._")
    return cleaned or "ghostswap"


# The executable ----------------------------------------------------------------------------


def find_executable(
    setting: str = "",
    environ: Optional[Mapping[str, str]] = None,
    where: str = "the host's 'ghostswap' setting",
) -> str:
    """The `ghostswap` executable: the host's setting, then $GHOSTSWAP_EXE, then PATH.

    A path that is given but does not exist (or cannot run) is an error, never a silent fall
    back to PATH; `where` names the host's setting in the messages.
    """
    env = os.environ if environ is None else environ
    for candidate, origin in ((setting, where), (env.get(EXE_ENV, ""), "$" + EXE_ENV)):
        candidate = (candidate or "").strip()
        if not candidate:
            continue
        path = os.path.expanduser(candidate)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise GhostSwapError(f"ghostswap executable {path} does not exist or is not executable; fix {origin}")
    found = shutil.which(EXE_NAME)
    if not found:
        raise GhostSwapError(
            f"ghostswap was not found on PATH; set {where} or ${EXE_ENV} to the ghostswap executable"
        )
    return found


# Environment -------------------------------------------------------------------------------


def env_cache_root(
    environ: Optional[Mapping[str, str]] = None,
    accept_deprecated: bool = False,
    warn: Optional[Callable[[str], None]] = None,
) -> str:
    """$GHOSTSWAP_CACHE ('' when unset). With `accept_deprecated`, an old $GHOSTSWAP_CACHE_ROOT
    is used when the new name is unset, and `warn` is told to rename it."""
    env = os.environ if environ is None else environ
    value = env.get(CACHE_ENV, "").strip()
    if value or not accept_deprecated:
        return value
    old = env.get(DEPRECATED_CACHE_ENV, "").strip()
    if old and warn is not None:
        warn(
            f"GhostSwap: ${DEPRECATED_CACHE_ENV} is deprecated and will stop working; "
            f"set ${CACHE_ENV} instead (same meaning)"
        )
    return old


def farm_manager(environ: Optional[Mapping[str, str]] = None) -> str:
    """$GHOSTSWAP_FARM_MANAGER (lower case), else openjd; a name the engine lacks is an error."""
    env = os.environ if environ is None else environ
    value = env.get(FARM_MANAGER_ENV, "").strip().lower() or DEFAULT_FARM_MANAGER
    if value not in FARM_MANAGERS:
        raise GhostSwapError(
            f"${FARM_MANAGER_ENV}={value!r} is not a farm manager; use one of " + ", ".join(FARM_MANAGERS)
        )
    return value


# `ghostswap ... --json` ----------------------------------------------------------------------


def parse_summary(stdout: str) -> Dict[str, Any]:
    """The one JSON document `ghostswap --json` prints on stdout ({} when there is none)."""
    start = (stdout or "").find("{")
    if start < 0:
        return {}
    try:
        value = json.loads(stdout[start:])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def command_name(argv: Sequence[str]) -> str:
    """'bake', 'job check', 'farm submit': the ghostswap command an argv runs (for messages)."""
    words = [a for a in list(argv)[1:] if not a.startswith("-")]
    if not words:
        return ""
    return " ".join(words[:2]) if words[0] in ("job", "farm", "models") and len(words) > 1 else words[0]


def check_summary(
    stdout: str, returncode: int, stderr: str, argv: Sequence[str], show_command: bool = False
) -> Dict[str, Any]:
    """The summary of a finished run, or GhostSwapError with the engine's own message."""
    summary = parse_summary(stdout)
    if returncode == 0 and summary and summary.get("ok", True) is True:
        return summary
    message = summary.get("message")
    if not isinstance(message, str) or not message:
        lines = (stderr or "").strip().splitlines()
        message = lines[-1] if lines else "no output"
    name = command_name(argv)
    text = "ghostswap " + (name + " " if name else "") + f"failed (exit {returncode}): {message}"
    if show_command:
        text += "\ncommand: " + subprocess.list2cmdline(list(argv))
    raise GhostSwapError(text)
