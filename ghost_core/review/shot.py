"""What a review is made from: a rendered shot's swap EXRs, their plates and the render's notes.

SHOT is the swap pattern (`swap.####.exr`, what `render --out` wrote) or a job file (its output
pattern). Everything else comes from the frames themselves: `render` stamps each with its plate
path, swapper, model and source-photo hashes and settings digest (`ghost:*`), so a review needs no
track file. A render summary (`render --json` output, or the demo's `render.json`) adds per-frame
notes when given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghost_core.errors import InputError, UsageError
from ghost_core.io.exr import read_header
from ghost_core.io.sequence import FramePattern, compact_frames, resolve_frames


@dataclass(frozen=True)
class ShotFrame:
    """One rendered frame: its swap EXR, the plate it was made from, and its `ghost:*` metadata."""

    frame: int | None
    swap: Path
    plate: Path
    meta: dict[str, Any]


@dataclass
class RenderedShot:
    name: str
    pattern: FramePattern
    frames: list[ShotFrame]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def first(self) -> dict[str, Any]:
        return self.frames[0].meta

    def notes(self, frame: ShotFrame) -> list[str]:
        """What a supervisor should know about one frame: faces, passes-through, warnings, scores."""
        out = []
        faces = int(frame.meta.get("ghost:faces", 0))
        if faces == 0:
            out.append("no face replaced: plate passed through unchanged (empty matte)")
        else:
            out.append(f"{faces} face(s) replaced")
        for kind, verb in (("skipped_faces", "left alone"), ("warned_faces", "swapped with a warning")):
            for face in self.summary.get(kind) or []:
                if face.get("frame") == frame.frame:
                    out.append(f"track {face.get('track')} {verb}: {face.get('reason')}")
        return out


def _pattern(shot: str) -> FramePattern:
    if shot.endswith(".json"):
        from ghost_core.jobs.cache import resolve_job
        from ghost_core.jobs.schema import load_job

        out = resolve_job(load_job(shot)).settings.out
        if not out:
            raise UsageError(f"{shot}: the job has no output pattern; render it first")
        return FramePattern.parse(out)
    return FramePattern.parse(shot)


def load_shot(
    shot: str, frames: str | None = None, name: str | None = None, summary: str | None = None
) -> RenderedShot:
    """The frames of a rendered shot (all on disk, or `frames`), read header only."""
    pattern = _pattern(shot)
    wanted = resolve_frames(pattern, frames)
    if not wanted or (pattern.is_sequence and not pattern.discover()):
        raise InputError(f"{pattern.display()}: no rendered frames found; run `ghostswap render` first")
    items = []
    for f in wanted:
        path = pattern.path(f)
        spec = read_header(path, check_pixels=False)
        meta = {a.name: a.value for a in spec.extra_attribs if a.name.startswith("ghost:")}
        if "ghost:source" not in meta:
            raise InputError(f"{path}: not a GhostSwap render (no ghost:source metadata); give swap.####.exr")
        items.append(ShotFrame(f, path, Path(str(meta["ghost:source"])), meta))
    missing = [i.frame for i in items if not i.plate.is_file()]
    if missing:
        raise InputError(
            f"plate frames {compact_frames([m for m in missing if m is not None]) or ''} are missing "
            f"(e.g. {items[0].plate}); the review shows plate and swap side by side"
        )
    notes: dict[str, Any] = {}
    if summary:
        try:
            notes = json.loads(Path(summary).read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{summary}: cannot read the render summary ({exc})") from exc
        notes = notes.get("render", notes)  # the demo's JSON nests the render summary
    return RenderedShot(name or _shot_name(pattern), pattern, items, notes)


def _shot_name(pattern: FramePattern) -> str:
    """The folder above swap/ (sh010/swap/swap.####.exr → sh010), else the file's stem."""
    folder = Path(pattern.prefix).parent
    if folder.name in ("swap", "render", "out", "output") and folder.parent.name:
        return folder.parent.name
    return folder.name or Path(pattern.prefix).stem.rstrip("._")
