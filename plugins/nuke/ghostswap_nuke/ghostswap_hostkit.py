"""GhostSwap host kit: what every Python host adapter (Nuke, Blender) shares with the engine.

The canonical file is plugins/hostkit/ghostswap_hostkit.py. `scripts/vendor_hostkit.py` copies it
byte for byte into each adapter package (ghostswap_nuke/, ghostswap_blender/) next to the knob
table it vendors (knobs.json, from `ghost_core.knobs.knob_table()`); a test fails when a copy
differs. Edit the canonical file, then run the script.

Runs inside the hosts: Python 3.7 syntax (Nuke 13), standard library only, never imports `nuke`,
`bpy`, torch or ghost_core. The Resolve Fuse is Lua and keeps its own copies of the names below;
a test greps it for them.
"""

import json
import math
import os
import re
import shutil
import subprocess
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

# The job file contract (docs/jobs.md); the engine refuses a newer version than it knows.
JOB_SCHEMA = "ghostswap.job"
JOB_VERSION = 1
# The vendored knob table (`ghostswap knobs --out knobs.json`).
KNOBS_SCHEMA = "ghostswap.knobs"
KNOBS_VERSION = 1
KNOBS_FILE = "knobs.json"

EXE_NAME = "ghostswap"
EXE_ENV = "GHOSTSWAP_EXE"  # the executable, when the host's own setting is empty
CACHE_ENV = "GHOSTSWAP_CACHE"  # the cache root, when the host's own setting is empty
# Blender 0.1 read this name; it still works there, with a deprecation message.
DEPRECATED_CACHE_ENV = "GHOSTSWAP_CACHE_ROOT"
FARM_MANAGER_ENV = "GHOSTSWAP_FARM_MANAGER"
FARM_MANAGERS = ("openjd", "deadline", "opencue", "tractor")  # `ghostswap farm submit --manager`
DEFAULT_FARM_MANAGER = "openjd"

# Knob kinds a host can offer as one control (list kinds such as "paths" stay job-file only).
HOST_KINDS = ("str", "path", "int", "float", "bool", "choice")


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


# The knob table ----------------------------------------------------------------------------


def load_knobs(path: str) -> Dict[str, Any]:
    """The vendored knob table, checked against the job contract this kit writes."""
    with open(path, encoding="utf-8") as handle:
        table = json.load(handle)
    if table.get("schema") != KNOBS_SCHEMA or int(table.get("version", 0)) > KNOBS_VERSION:
        raise GhostSwapError(f"{path}: not a GhostSwap knob table this host understands")
    if (table.get("job_schema"), table.get("job_version")) != (JOB_SCHEMA, JOB_VERSION):
        raise GhostSwapError(
            f"{path}: knobs for job {table.get('job_schema')} {table.get('job_version')}, but this "
            f"host writes {JOB_SCHEMA} {JOB_VERSION}; run scripts/vendor_hostkit.py"
        )
    return table


def host_knobs(table: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The knobs hosts offer as controls (`"host": true`), in table order."""
    knobs = [dict(k) for k in table["knobs"] if k.get("host")]
    for knob in knobs:
        if knob["kind"] not in HOST_KINDS:
            raise GhostSwapError(
                f"knob {knob['name']} has kind {knob['kind']!r}, which hosts cannot show yet "
                "(one of " + ", ".join(HOST_KINDS) + ")"
            )
        if "." not in knob["job"]:
            raise GhostSwapError(f"host knob {knob['name']} must live in a job section, not {knob['job']!r}")
    return knobs


def section(knob: Mapping[str, Any]) -> str:
    """'matte' for 'matte.erode'."""
    return str(knob["job"]).rpartition(".")[0]


def is_override(knob: Mapping[str, Any]) -> bool:
    """Nullable numbers (null: the engine chooses per track) sit behind an "override" toggle;
    the control shows `host_default` while the toggle is off."""
    return bool(knob.get("nullable")) and knob["kind"] in ("int", "float")


def shown_default(knob: Mapping[str, Any]) -> Any:
    """What the host control starts at."""
    value = knob.get("host_default")
    if value is None:
        value = knob.get("default")
    if value is None:
        return {"int": 0, "float": 0.0, "bool": False}.get(knob["kind"], "")
    return value


def job_value(knob: Mapping[str, Any], raw: Any, overridden: bool = True) -> Any:
    """A control's value as the job file holds it (None where the engine should choose)."""
    kind = knob["kind"]
    if is_override(knob) and not overridden:
        return None
    if raw is None and kind in ("int", "float", "bool"):
        raw = shown_default(knob)
    if kind == "int":
        return math.floor(float(raw) + 0.5)  # half up, as the Fuse rounds
    if kind == "float":
        return float(raw)
    if kind == "bool":
        return bool(raw)
    text = "" if raw is None else str(raw).strip()
    if kind == "choice" and text not in knob.get("choices", ()):
        text = ""
    if text:
        return text
    return None if knob.get("nullable") else knob.get("default")


def put_job_value(job: Dict[str, Any], path: str, value: Any) -> None:
    """Set `matte.erode` in a job dictionary, making the section when it is missing."""
    head, _, key = path.rpartition(".")
    target = job
    for part in head.split(".") if head else ():
        target = target.setdefault(part, {})
    target[key] = value


def engine_job_values(
    knobs: Sequence[Mapping[str, Any]],
    value_of: Callable[[Mapping[str, Any]], Any],
    overridden: Callable[[Mapping[str, Any]], bool],
) -> Dict[str, Any]:
    """{job path: value} for each host knob; `value_of(knob)` reads the host control and
    `overridden(knob)` its override toggle."""
    return {
        str(k["job"]): job_value(k, value_of(k), overridden(k) if is_override(k) else True) for k in knobs
    }
