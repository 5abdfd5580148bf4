"""The GhostSwap job file as Blender writes it (pure Python: no bpy, no ghost_core).

The engine owns validation (`ghostswap job check`); this module only lays out the JSON the
contract describes (docs/jobs.md) and writes it atomically, so a farm never reads half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import engine_knobs
from . import ghostswap_hostkit as hostkit

SCHEMA = hostkit.JOB_SCHEMA
VERSION = hostkit.JOB_VERSION
MATTE_LAYER = "ghost.matte"
PLATE_PATTERN = "plate.####.exr"
safe_node_name = hostkit.safe_node_name  # spelled as the engine spells its cache folder


def node_dir(cache_root: str | Path, node: str) -> Path:
    """`<cache root>/<node>`: the engine puts `<hash>/swap.####.exr` here, Blender puts `plate/`."""
    return Path(cache_root) / safe_node_name(node)


def plate_pattern(cache_root: str | Path, node: str) -> Path:
    return node_dir(cache_root, node) / "plate" / PLATE_PATTERN


def holdout_pattern(cache_root: str | Path, node: str) -> Path:
    """The holdout input's frames, written like the plate (the engine reads their alpha)."""
    return node_dir(cache_root, node) / "holdout" / PLATE_PATTERN


@dataclass
class BakeRequest:
    """Everything a bake needs, gathered from the Blender UI (or a test) before any file is written."""

    node: str
    cache_root: str
    sources: list[str]
    first: int
    last: int
    colorspace: str
    ocio: str | None = None
    # The engine knobs by job path ({"swapper.name": "morph", "matte.erode": None}), as
    # engine_knobs.job_values gives them; a knob left out gets the engine's default.
    knobs: dict[str, Any] = field(default_factory=dict)
    host: dict[str, Any] = field(default_factory=dict)


def build_job(request: BakeRequest, knobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The job dictionary: the cache-written plate, photos, frames, cache folder and knobs.

    `knobs` are the host knob rows (default: the vendored table's); each lands at its job path.
    """
    if not request.sources:
        raise ValueError("GhostSwap needs at least one photo of the new face (Source photos)")
    rows = engine_knobs.host_knobs() if knobs is None else knobs
    unknown = sorted(set(request.knobs) - {str(k["job"]) for k in rows})
    if unknown:
        raise ValueError(f"not engine knobs of this GhostSwap: {', '.join(unknown)}")
    job: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "plate": str(plate_pattern(request.cache_root, request.node)),
        "sources": [[str(Path(p)) for p in request.sources]],
        "frames": f"{request.first}-{request.last}",
        "cache": {"root": str(Path(request.cache_root)), "node": request.node},
    }
    for path, value in {**engine_knobs.default_values(rows), **request.knobs}.items():
        hostkit.put_job_value(job, path, value)
    job["color"] = {"colorspace": request.colorspace, "ocio": request.ocio}
    hostkit.put_job_value(job, "matte.layer", MATTE_LAYER)
    job["host"] = {"name": "blender", "node": request.node, **request.host}
    return job


def write_job(path: Path, job: dict[str, Any]) -> Path:
    """Write the job JSON atomically (temp file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(job, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
