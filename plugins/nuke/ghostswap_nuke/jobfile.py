"""Knob values → GhostSwap job, cache paths and command lines. Pure Python, no `nuke`.

Everything here takes plain values (a dict of knob values, strings, ints) so it is tested without
Nuke; `node.py` only reads knobs and calls these functions.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ghostswap_nuke import ghostswap_hostkit as hostkit
from ghostswap_nuke import spec

SCHEMA = hostkit.JOB_SCHEMA
VERSION = hostkit.JOB_VERSION
GhostSwapError = hostkit.GhostSwapError  # a problem the artist can fix; the message says what and how
safe_node_name = hostkit.safe_node_name  # the engine's folder name for a node


def find_exe(knob_value: str = "", environ: Optional[Mapping[str, str]] = None) -> str:
    """The `ghostswap` executable: the node's knob, then $GHOSTSWAP_EXE, then PATH."""
    return hostkit.find_executable(knob_value, environ, where="the node's 'ghostswap' knob")


def cache_root(knob_value: str, script_path: str, environ: Optional[Mapping[str, str]] = None) -> str:
    """The cache root: the knob, then $GHOSTSWAP_CACHE, then `ghostswap_cache` beside the script."""
    for candidate in (knob_value.strip(), hostkit.env_cache_root(environ)):
        if candidate:
            return os.path.abspath(os.path.expanduser(candidate))
    if script_path and script_path != "Root":
        return os.path.join(os.path.dirname(os.path.abspath(script_path)), "ghostswap_cache")
    return os.path.join(tempfile.gettempdir(), "ghostswap_cache")


class CacheLayout:
    """Where one node's files live under the cache root (the engine adds `<hash>/swap.####.exr`)."""

    def __init__(self, root: str, node: str) -> None:
        self.root = root
        self.node = node
        self.node_dir = os.path.join(root, safe_node_name(node))

    def _fill(self, template: str) -> str:
        path = template.format(cache_root=self.root, node=safe_node_name(self.node), params_hash="")
        return os.path.normpath(path)

    @property
    def plate_pattern(self) -> str:
        return self._fill(spec.PLATE_TEMPLATE)

    @property
    def source_path(self) -> str:
        return self._fill(spec.SOURCE_TEMPLATE)

    @property
    def holdout_pattern(self) -> str:
        return self._fill(spec.HOLDOUT_TEMPLATE)

    @property
    def job_path(self) -> str:
        return os.path.join(self.node_dir, "job.json")


def source_photos(values: Mapping[str, Any]) -> List[str]:
    return [str(values[k]).strip() for k in spec.SOURCE_PHOTO_KNOBS if str(values.get(k) or "").strip()]


def _track_ids(text: str) -> List[int]:
    try:
        return [int(t) for t in re.split(r"[\s,]+", text.strip()) if t]
    except ValueError:
        raise GhostSwapError("track ids must be whole numbers, e.g. '0 2'; got " + repr(text)) from None


def targets(values: Mapping[str, Any]) -> Dict[str, Any]:
    mode = values.get("target_mode", "only face")
    block: Dict[str, Any] = {"reference_photos": [], "track_ids": [], "all": False}
    if mode == "by track id":
        block["track_ids"] = _track_ids(str(values.get("track_ids", "")))
        if not block["track_ids"]:
            raise GhostSwapError("target 'by track id' needs track ids (see `ghostswap track`)")
    elif mode == "all faces":
        block["all"] = True
    elif mode == "reference photo":
        photo = str(values.get("target_photo") or "").strip()
        if not photo:
            raise GhostSwapError("target 'reference photo' needs a photo of the face to replace")
        block["reference_photos"] = [photo]
    return block


def frame_range(values: Mapping[str, Any]) -> str:
    first, last = int(values["frame_first"]), int(values["frame_last"])
    if last < first:
        raise GhostSwapError(f"last frame {last} is before first frame {first}")
    return f"{first}-{last}"


def engine_values(
    values: Mapping[str, Any], knobs: Optional[Sequence[Mapping[str, Any]]] = None
) -> Dict[str, Any]:
    """{job path: value} of the engine knobs (spec.ENGINE_KNOBS, from the vendored knob table).

    A nullable number is null (the engine chooses per track) unless its section's override
    toggle (e.g. "matte_override") is on.
    """
    return hostkit.engine_job_values(
        spec.ENGINE_KNOBS if knobs is None else knobs,
        lambda k: values.get(k["name"], hostkit.shown_default(k)),
        lambda k: bool(values.get(spec.override_knob(hostkit.section(k)))),
    )


def build_job(
    values: Mapping[str, Any],
    layout: CacheLayout,
    sources: Sequence[str],
    host_version: str = "",
    environ: Optional[Mapping[str, str]] = None,
    knobs: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Any]:
    """The job dictionary for a node's knob values (see docs/jobs.md)."""
    env = os.environ if environ is None else environ
    if not sources:
        raise GhostSwapError("no source face: connect the 'source' input or set a source photo")
    colorspace = str(values.get("colorspace") or "scene_linear")
    ocio = str(values.get("ocio") or "").strip() or env.get("OCIO") or None
    job: Dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "plate": layout.plate_pattern,
        "sources": [list(sources)],
        "frames": frame_range(values),
        "cache": {"root": layout.root, "node": layout.node},
        "targets": targets(values),
    }
    for path, value in engine_values(values, knobs).items():
        hostkit.put_job_value(job, path, value)
    job.setdefault("color", {}).update(colorspace=colorspace, ocio=ocio)  # keep engine knobs (color.match)
    hostkit.put_job_value(job, "matte.layer", spec.MATTE_LAYER)
    job["host"] = {"name": "nuke", "version": host_version, "node": layout.node}
    return job


def set_holdout(job: Dict[str, Any], pattern: Optional[str]) -> None:
    """A connected holdout input wins over the typed holdout knob: the job names its frames."""
    if pattern:
        hostkit.put_job_value(job, "matte.holdout", pattern)


def write_job(job: Mapping[str, Any], path: str) -> str:
    """Write the job atomically (a half-written job must never be picked up by a farm)."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        os.makedirs(folder)
    fd, tmp = tempfile.mkstemp(prefix=".job-", suffix=".json", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(job, handle, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
    return path


def bake_argv(exe: str, job_path: str, frames: Optional[str] = None) -> List[str]:
    argv = [exe, "--json", "bake", "--job", job_path]
    return [*argv, "--frames", frames] if frames else argv


def check_argv(exe: str, job_path: str) -> List[str]:
    return [exe, "--json", "job", "check", job_path]


def frame_path(pattern: str, frame: int) -> str:
    """`swap.####.exr` (or %04d / $F4) with a frame number filled in."""
    match = re.search(r"#+|%0?(\d*)d|\$F(\d*)", pattern)
    if not match:
        return pattern
    if match.group(0).startswith("#"):
        width = len(match.group(0))
    else:
        width = int(match.group(1) or match.group(2) or 1)
    return pattern[: match.start()] + str(frame).zfill(width) + pattern[match.end() :]


def missing_frames(pattern: str, first: int, last: int) -> List[int]:
    return [f for f in range(first, last + 1) if not os.path.isfile(frame_path(pattern, f))]


def status_text(pattern: Optional[str], first: int, last: int) -> str:
    if not pattern:
        return spec.NOT_BAKED
    missing = missing_frames(pattern, first, last)
    if not missing:
        return f"GhostSwap: baked {first}-{last}"
    if len(missing) == last - first + 1:
        return spec.NOT_BAKED
    return f"{spec.NOT_BAKED} ({len(missing)} of {last - first + 1} frames missing)"


def farm_commands(
    exe: str, job_path: str, frames: str, farm_available: bool, manager: str, out_dir: str
) -> Dict[str, Any]:
    """What "Farm bake" does: submit through `ghostswap farm` when it exists, else say what to run.

    Returns {"argv": [...]} to run, or {"message": text} telling the artist the two commands.
    """
    if farm_available:
        return {
            "argv": [
                exe,
                "--json",
                "farm",
                "submit",
                "--job",
                job_path,
                "--manager",
                manager,
                "--out",
                out_dir,
            ]
        }
    message = (
        f"Job written to {job_path}\nRun on the farm (one track task, then render chunks):\n"
        f"  ghostswap track --job {job_path}\n  ghostswap render --job {job_path} --frames {frames}"
    )
    return {"message": message}
