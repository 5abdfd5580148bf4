"""Where a job's results live: one folder per host node and per parameter hash.

Hosts give `cache: {root, node}` instead of an output path. The engine names the folder
`<root>/<node>/<hash>/` from everything that decides the pixels (plate path, photo contents,
target choice, swapper, model, colour and matte knobs, GhostSwap version), so changing a knob
points the host at a new, empty folder and never at a stale result; switching the knob back finds
the earlier result again. Frame range, batch size and device are not part of the hash: they do
not change what a finished frame looks like.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ghost_core import __version__
from ghost_core.errors import InputError
from ghost_core.io.sequence import FramePattern
from ghost_core.jobs.schema import Job
from ghost_core.knobs import PIXEL_FIELDS, TRACK_FIELDS, ShotSettings, knob_fields

HASH_LENGTH = 12
# Photos are hashed by content, every other pixel knob by value (knobs.PIXEL_FIELDS).
_PHOTO_KINDS = ("paths", "photo_groups")


@dataclass(frozen=True)
class ResolvedJob:
    """A job with every path decided: what `bake`, `serve` and hosts act on."""

    settings: ShotSettings  # `out` and `track` are always set
    params_hash: str
    cache_dir: Path | None


def _photo_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the photo ({exc.strerror or exc})") from None


def _knobs(settings: ShotSettings) -> dict[str, Any]:
    """Every pixel knob, with the photos by content (each photo is read once here)."""
    knobs: dict[str, Any] = {}
    for name, knob in knob_fields():
        if not knob.pixels:
            continue
        value = getattr(settings, name)
        if knob.kind == "photo_groups":
            value = [[_photo_digest(p) for p in group] for group in value]
        elif knob.kind in _PHOTO_KINDS:
            value = [_photo_digest(p) for p in value]
        knobs[name] = value
    knobs["ghostswap"] = ".".join(__version__.split(".")[:2])
    return knobs


def _hash(knobs: dict[str, Any], for_track: bool) -> str:
    if for_track:
        knobs = {k: v for k, v in knobs.items() if k not in PIXEL_FIELDS or k in TRACK_FIELDS}
    text = json.dumps(knobs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def params_hash(settings: ShotSettings, for_track: bool = False) -> str:
    """Hash of everything that decides a finished frame's pixels (photos by content).

    `for_track` leaves out the render-only matte knobs: the hash that names the track file.
    """
    return _hash(_knobs(settings), for_track)


def safe_node_name(node: str) -> str:
    """A node name as one folder name (Nuke/Fusion names may hold spaces or slashes)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", node).strip("._")
    return cleaned or "ghostswap"


def resolve_job(job: Job) -> ResolvedJob:
    """Fill in the output pattern and track file from the cache layout (or beside the output)."""
    settings = job.settings
    knobs = _knobs(settings)
    digest = _hash(knobs, for_track=False)
    cache_dir = None
    out, track = settings.out, settings.track
    node_dir = None
    if job.cache_root and not out:
        node_dir = Path(job.cache_root) / safe_node_name(job.cache_node or "ghostswap")
        cache_dir = node_dir / digest
        is_sequence = FramePattern.parse(settings.plate).is_sequence
        out = str(cache_dir / ("swap.####.exr" if is_sequence else "swap.exr"))
    if not track:
        folder = node_dir if node_dir is not None else Path(out or ".").parent
        track = str(folder / f"track-{_hash(knobs, for_track=True)}.json")
    return ResolvedJob(replace(settings, out=out, track=track), digest, cache_dir)
