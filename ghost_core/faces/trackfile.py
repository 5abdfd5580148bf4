"""The track file: a small versioned JSON record of who is where in a shot, and how to swap them.

Tracking and rendering are separate passes: an artist can inspect or edit the tracks, choose
targets, and re-render single frames on a farm with exactly the same key points and mask
parameters. So the file keeps everything the render needs per frame (raw and smoothed key
points, segments) plus what the engine decides per track and per segment. Floats are written
with Python's shortest round-tripping repr, so a value read back is bit-identical to the one
written. Schema: docs/faces.md, "Tracking and the track file"; cuts, actors and bridged gaps:
docs/tracking.md.

Version 2 adds `cuts` (frames that start a new shot) and, per track, `actor` (the person's id
across cuts), `interpolated` (frames whose detection bridges a drop-out) and `embedding` (its
identity, when one was computed). Version 1 files still load: no cuts, every track its own actor.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.errors import InputError, OutputError, TrackFileError
from ghost_core.faces.smoothing import DEFAULT_JUMP_PX, DEFAULT_RADIUS, smooth_keypoints
from ghost_core.faces.tracking import Track, segment_ids
from ghost_core.io.atomic import atomic_output

FORMAT = "ghostswap-track"
VERSION = 2
#: Per-segment mask fields the engine fixes for a segment (GHOST_REFERENCE §3.9).
MASK_KEYS = ("erode", "sigma_x", "sigma_y", "brow_factor")
#: What a read mask field may hold: GHOST's table stays well inside, and a wild value (an edited
#: file) would otherwise ask the matte for a kernel larger than memory.
MASK_RANGES = {
    "erode": (-64.0, 64.0),
    "sigma_x": (0.0, 64.0),
    "sigma_y": (0.0, 64.0),
    "brow_factor": (0.0, 16.0),
}

_REWRITE = "re-run `ghostswap track` to write it again"


@dataclass
class SourceRecord:
    """A source photo as it was when tracked: its path and the sha256 of the file's bytes."""

    path: str
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> SourceRecord:
        """Hash a photo now (so a changed photo can be noticed before a re-render)."""
        try:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            raise InputError(
                f"{path}: cannot read the source photo ({exc.strerror}); check the path"
            ) from None
        return cls(path=str(path), sha256=digest)


@dataclass
class DetectorInfo:
    """Which detector found the faces, with the settings it ran with (threshold, input size, …)."""

    name: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class TrackRecord:
    """One track as stored: per-frame arrays aligned with `frames`, plus the engine's decisions.

    `segments` numbers the runs of consecutive frames (a track restarts after an absence);
    `smoothing_segments` are GHOST's smoothing segments (they also break on a > 5 px jump).
    `segment_fields` maps a segment number to free-form fields, mask parameters among them
    (`MASK_KEYS`); `fields` is free-form per track. Both must hold JSON values. `actor` is None
    when the track is its own actor (`actor_id` says which); `interpolated` lists the frames whose
    detection `faces.gaps.bridge_gaps` made up; `embedding` is the track's unit identity vector.
    """

    id: int
    frames: list[int]
    boxes: np.ndarray  # n×4 float64, frame pixels (x0, y0, x1, y1)
    scores: np.ndarray  # n float64
    kps: np.ndarray  # n×5×2 float64, as detected
    smoothed_kps: np.ndarray  # n×5×2 float64
    segments: list[int]
    smoothing_segments: list[int]
    source: int | None = None
    exposure_gain: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    segment_fields: dict[int, dict[str, Any]] = field(default_factory=dict)
    actor: int | None = None
    interpolated: list[int] = field(default_factory=list)
    embedding: list[float] | None = None

    @property
    def actor_id(self) -> int:
        return self.id if self.actor is None else self.actor

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, np.float64).reshape(-1, 4)
        self.scores = np.asarray(self.scores, np.float64).reshape(-1)
        self.kps = np.asarray(self.kps, np.float64).reshape(-1, 5, 2)
        self.smoothed_kps = np.asarray(self.smoothed_kps, np.float64).reshape(-1, 5, 2)
        n = len(self.frames)
        lengths = {
            "boxes": len(self.boxes),
            "scores": len(self.scores),
            "kps": len(self.kps),
            "smoothed_kps": len(self.smoothed_kps),
            "segments": len(self.segments),
            "smoothing_segments": len(self.smoothing_segments),
        }
        wrong = {k: v for k, v in lengths.items() if v != n}
        if wrong:
            raise ValueError(f"track {self.id}: {n} frames but {wrong}")
        self._index = {f: i for i, f in enumerate(self.frames)}

    def index_of(self, frame: int) -> int | None:
        return self._index.get(frame)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrackRecord):
            return NotImplemented
        arrays = ("boxes", "scores", "kps", "smoothed_kps")
        plain = (
            *("id", "frames", "segments", "smoothing_segments", "source", "exposure_gain", "fields"),
            *("actor_id", "interpolated", "embedding"),
        )
        return (
            all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)
            and all(getattr(self, p) == getattr(other, p) for p in plain)
            and self.segment_fields == other.segment_fields
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass
class TrackFile:
    """Everything tracking found in one shot (see the module docstring for why it is a file)."""

    plate: str  # the frame pattern, e.g. "sh010/plate.####.exr"
    frames: list[int]
    image_size: tuple[int, int]  # (width, height) in pixels
    detector: DetectorInfo
    sources: list[SourceRecord]
    tracks: list[TrackRecord]
    tracking: dict[str, Any] = field(default_factory=dict)  # linking/smoothing settings used
    cuts: list[int] = field(default_factory=list)  # frames that start a new shot

    def track(self, track_id: int) -> TrackRecord:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"no track {track_id}; tracks are {[t.id for t in self.tracks]}")

    def kps_at(self, track_id: int, frame: int, *, smoothed: bool = True) -> np.ndarray | None:
        """5×2 key points of a track in a frame (smoothed unless asked otherwise); None if absent."""
        t = self.track(track_id)
        i = t.index_of(frame)
        if i is None:
            return None
        return (t.smoothed_kps if smoothed else t.kps)[i].copy()

    def box_at(self, track_id: int, frame: int) -> np.ndarray | None:
        t = self.track(track_id)
        i = t.index_of(frame)
        return None if i is None else t.boxes[i].copy()

    def segment_at(self, track_id: int, frame: int) -> int | None:
        """The track's segment (run of consecutive frames) at a frame; None if absent."""
        t = self.track(track_id)
        i = t.index_of(frame)
        return None if i is None else t.segments[i]

    def mask_params(self, track_id: int, segment: int) -> dict[str, float] | None:
        """The mask parameters fixed for a segment, or None until the engine has set them all."""
        values = self.track(track_id).segment_fields.get(segment, {})
        if not all(k in values for k in MASK_KEYS):
            return None
        return {k: values[k] for k in MASK_KEYS}

    def set_mask_params(
        self, track_id: int, segment: int, *, erode: float, sigma_x: float, sigma_y: float, brow_factor: float
    ) -> None:
        t = self.track(track_id)
        if segment not in set(t.segments):
            raise KeyError(f"track {track_id} has no segment {segment}; it has {sorted(set(t.segments))}")
        t.segment_fields.setdefault(segment, {}).update(
            erode=float(erode), sigma_x=float(sigma_x), sigma_y=float(sigma_y), brow_factor=float(brow_factor)
        )

    def tracks_in(self, frame: int) -> list[int]:
        """Ids of the tracks present in a frame."""
        return [t.id for t in self.tracks if t.index_of(frame) is not None]


def record_from_track(
    track: Track,
    frames: Sequence[int],
    *,
    radius: int = DEFAULT_RADIUS,
    jump_px: float = DEFAULT_JUMP_PX,
) -> TrackRecord:
    """Turn a linked track into its stored form, smoothing its key points over the frame list.

    Smoothing runs over `frames` (the processed frames), so a frame where the track is absent
    breaks a smoothing segment exactly as GHOST's missing faces do.
    """
    smoothed, smooth_ids = smooth_keypoints(track.kps_over(frames), radius=radius, jump_px=jump_px)
    position = {f: i for i, f in enumerate(frames)}
    at = [position[f] for f in track.frames]
    return TrackRecord(
        id=track.id,
        frames=list(track.frames),
        boxes=np.stack([d.box for d in track.detections]),
        scores=np.array([d.score for d in track.detections]),
        kps=np.stack([d.kps for d in track.detections]),
        smoothed_kps=np.stack([smoothed[i] for i in at]),
        segments=segment_ids(track, frames),
        smoothing_segments=[smooth_ids[i] for i in at],
        interpolated=sorted(track.interpolated),
    )


# ------------------------------------------------------------------------------------------ writing


def _json_value(value: Any) -> Any:
    """numpy scalars and arrays that slipped into free-form fields, as plain JSON values."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def to_dict(data: TrackFile) -> dict[str, Any]:
    """The JSON document for a track file (arrays as nested lists of Python floats)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "plate": data.plate,
        "frames": [int(f) for f in data.frames],
        "image_size": [int(v) for v in data.image_size],
        "detector": {"name": data.detector.name, "settings": data.detector.settings},
        "tracking": data.tracking,
        "cuts": [int(f) for f in data.cuts],
        "sources": [{"path": s.path, "sha256": s.sha256} for s in data.sources],
        "tracks": [
            {
                "id": int(t.id),
                "frames": [int(f) for f in t.frames],
                "boxes": t.boxes.tolist(),
                "scores": t.scores.tolist(),
                "kps": t.kps.tolist(),
                "smoothed_kps": t.smoothed_kps.tolist(),
                "segments": [int(s) for s in t.segments],
                "smoothing_segments": [int(s) for s in t.smoothing_segments],
                "source": t.source,
                "exposure_gain": t.exposure_gain,
                "fields": t.fields,
                "segment_fields": {str(k): v for k, v in sorted(t.segment_fields.items())},
                "actor": t.actor_id,
                "interpolated": [int(f) for f in t.interpolated],
                "embedding": None if t.embedding is None else [float(v) for v in t.embedding],
            }
            for t in data.tracks
        ],
    }


def save_trackfile(path: str | Path, data: TrackFile) -> None:
    """Write the track file atomically: readers see the old file or the new one, never half of one.

    The JSON is streamed into a temporary sibling; if anything fails on the way (a value that is
    not JSON, a NaN, a full disk) the temporary file is removed and an existing file is untouched.
    """
    path = Path(path)
    doc = to_dict(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=1, allow_nan=False, default=_json_value)
            handle.write("\n")
    except ValueError as exc:  # NaN or Inf: not JSON, and never a valid box or key point
        raise OutputError(
            f"{path}: track data holds a NaN or infinite number ({exc}); nothing written. "
            "Check the plate for NaN pixels, or try another --detector"
        ) from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the track file ({exc.strerror}); check the folder") from None


# ------------------------------------------------------------------------------------------ reading


class _Schema:
    """Field checks that name the file and the offending field in the error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> TrackFileError:
        return TrackFileError(f"{self.path}: {where} {problem}; the file was edited or damaged, {_REWRITE}")

    def get(self, obj: dict[str, Any], key: str, where: str) -> Any:
        if key not in obj:
            raise self.fail(f"{where}{key}", "is missing")
        return obj[key]

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a JSON object")
        return value

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be an integer, got {value!r:.40}")
        return value

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(where, f"must be a finite number, got {value!r:.40}")
        return float(value)

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, got {value!r:.40}")
        return value

    def int_list(self, value: Any, where: str) -> list[int]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list of integers")
        return [self.integer(v, f"{where}[{i}]") for i, v in enumerate(value)]

    def array(self, value: Any, shape: tuple[int, ...], where: str) -> np.ndarray:
        """A nested list of numbers with the given trailing shape (-1 = any length)."""
        try:
            arr = np.array(value, dtype=object)
        except ValueError:
            arr = None
        ok = arr is not None and arr.ndim == len(shape)
        ok = ok and all(s == -1 or s == d for s, d in zip(shape, arr.shape, strict=True))
        if not ok:
            raise self.fail(where, f"must be a list of shape {['n' if s == -1 else s for s in shape]}")
        flat = [self.number(v, where) for v in arr.reshape(-1)]
        return np.array(flat, np.float64).reshape(arr.shape)


def _parse(doc: Any, path: Path) -> TrackFile:
    s = _Schema(path)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise TrackFileError(
            f"{path}: not a GhostSwap track file (format {found!r}, expected {FORMAT!r}); check the path"
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise s.fail("version", f"must be a positive integer, got {version!r}")
    if version > VERSION:
        raise TrackFileError(
            f"{path}: track file version {version} was written by a newer GhostSwap (this one reads up to"
            f" version {VERSION}); upgrade GhostSwap or {_REWRITE} with this version"
        )
    size = s.int_list(s.get(doc, "image_size", ""), "image_size")
    if len(size) != 2 or min(size) < 1:
        raise s.fail("image_size", f"must be [width, height] in pixels, got {size}")
    det = s.obj(s.get(doc, "detector", ""), "detector")
    sources = s.get(doc, "sources", "")
    if not isinstance(sources, list):
        raise s.fail("sources", "must be a list")
    tracking = s.obj(doc.get("tracking", {}), "tracking")
    tracks_doc = s.get(doc, "tracks", "")
    if not isinstance(tracks_doc, list):
        raise s.fail("tracks", "must be a list")
    data = TrackFile(
        plate=s.string(s.get(doc, "plate", ""), "plate"),
        frames=s.int_list(s.get(doc, "frames", ""), "frames"),
        image_size=(size[0], size[1]),
        detector=DetectorInfo(
            name=s.string(s.get(det, "name", "detector."), "detector.name"),
            settings=s.obj(det.get("settings", {}), "detector.settings"),
        ),
        sources=[
            SourceRecord(
                path=s.string(s.get(s.obj(src, w), "path", f"{w}."), f"{w}.path"),
                sha256=s.string(s.get(src, "sha256", f"{w}."), f"{w}.sha256"),
            )
            for i, src in enumerate(sources)
            for w in [f"sources[{i}]"]
        ],
        tracks=[_parse_track(s, t, f"tracks[{i}]") for i, t in enumerate(tracks_doc)],
        tracking=tracking,
        cuts=s.int_list(doc.get("cuts", []), "cuts"),
    )
    frame_lists = [("frames", data.frames)] + [(f"track {t.id} frames", t.frames) for t in data.tracks]
    for where, frames in frame_lists:
        if any(b <= a for a, b in pairwise(frames)):
            raise s.fail(where, "must be increasing frame numbers without repeats")
    known = set(data.frames)
    ids = [t.id for t in data.tracks]
    if len(set(ids)) != len(ids):
        raise s.fail("tracks", f"repeat a track id ({ids})")
    for t in data.tracks:
        stray = [f for f in t.frames if f not in known]
        if stray:
            raise s.fail(f"track {t.id} frames", f"{stray[:5]} are not in the shot's frame list")
        made = [f for f in t.interpolated if t.index_of(f) is None]
        if made:
            raise s.fail(f"track {t.id} interpolated", f"{made[:5]} are not frames of the track")
    stray_cuts = [f for f in data.cuts if f not in known]
    if stray_cuts:
        raise s.fail("cuts", f"{stray_cuts[:5]} are not in the shot's frame list")
    actors = {t.actor_id for t in data.tracks}
    if not actors <= set(ids):
        raise s.fail("tracks", f"name actors {sorted(actors - set(ids))} that are no track's id")
    return data


def _parse_track(s: _Schema, doc: Any, where: str) -> TrackRecord:
    doc = s.obj(doc, where)
    w = f"{where}."
    source = doc.get("source")
    gain = doc.get("exposure_gain")
    seg_doc = s.obj(doc.get("segment_fields", {}), f"{w}segment_fields")
    segment_fields: dict[int, dict[str, Any]] = {}
    for key, value in seg_doc.items():
        try:
            number = int(key)
        except ValueError:
            raise s.fail(f"{w}segment_fields", f"key {key!r} must be a segment number") from None
        segment_fields[number] = s.obj(value, f"{w}segment_fields[{key}]")
        for name in MASK_KEYS:
            if name in value:
                low, high = MASK_RANGES[name]
                there = f"{w}segment_fields[{key}].{name}"
                if not low <= s.number(value[name], there) <= high:
                    raise s.fail(there, f"must be from {low:g} to {high:g}, got {value[name]!r:.40}")
    if source is not None and s.integer(source, f"{w}source") < 0:
        raise s.fail(f"{w}source", f"must be a source number from 0, got {source}")
    if gain is not None and s.number(gain, f"{w}exposure_gain") <= 0:
        raise s.fail(f"{w}exposure_gain", f"must be above 0, got {gain!r:.40}")
    actor = doc.get("actor")  # version 1: absent, the track is its own actor
    if actor is not None and s.integer(actor, f"{w}actor") < 1:
        raise s.fail(f"{w}actor", f"must be a track id from 1, got {actor}")
    embedding = doc.get("embedding")
    if embedding is not None:
        embedding = s.array(embedding, (-1,), f"{w}embedding").tolist()
    try:
        record = TrackRecord(
            id=s.integer(s.get(doc, "id", w), f"{w}id"),
            frames=s.int_list(s.get(doc, "frames", w), f"{w}frames"),
            boxes=s.array(s.get(doc, "boxes", w), (-1, 4), f"{w}boxes"),
            scores=s.array(s.get(doc, "scores", w), (-1,), f"{w}scores"),
            kps=s.array(s.get(doc, "kps", w), (-1, 5, 2), f"{w}kps"),
            smoothed_kps=s.array(s.get(doc, "smoothed_kps", w), (-1, 5, 2), f"{w}smoothed_kps"),
            segments=s.int_list(s.get(doc, "segments", w), f"{w}segments"),
            smoothing_segments=s.int_list(s.get(doc, "smoothing_segments", w), f"{w}smoothing_segments"),
            source=None if source is None else s.integer(source, f"{w}source"),
            exposure_gain=None if gain is None else s.number(gain, f"{w}exposure_gain"),
            fields=s.obj(doc.get("fields", {}), f"{w}fields"),
            segment_fields=segment_fields,
            actor=actor,
            interpolated=s.int_list(doc.get("interpolated", []), f"{w}interpolated"),
            embedding=embedding,
        )
    except ValueError as exc:  # per-frame lists of different lengths
        raise s.fail(where, f"is inconsistent ({exc})") from None
    for name in ("kps", "smoothed_kps"):
        points = getattr(record, name)
        collapsed = np.flatnonzero(np.ptp(points, axis=1).max(axis=1) == 0)
        if len(collapsed):
            where = f"{w}{name}[{collapsed[0]}]"
            raise s.fail(where, "has all five key points in one place: no face to align")
    return record


def load_trackfile(path: str | Path) -> TrackFile:
    """Read and validate a track file; every problem is a TrackFileError naming the file and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrackFileError(
            f"{path}: track file not found; check the path or run `ghostswap track` first"
        ) from None
    except IsADirectoryError:
        raise TrackFileError(f"{path}: is a folder, not a track file; give the .json file") from None
    except UnicodeDecodeError:
        raise TrackFileError(f"{path}: not a text file, so not a track file; check the path") from None
    except OSError as exc:
        raise TrackFileError(
            f"{path}: cannot read the track file ({exc.strerror}); check its permissions"
        ) from None
    if not text.strip():
        raise TrackFileError(f"{path}: the track file is empty (an interrupted copy?); {_REWRITE}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = "it looks truncated" if exc.pos >= len(text.rstrip()) else "it is not valid JSON"
        raise TrackFileError(
            f"{path}: {hint} (line {exc.lineno}, column {exc.colno}: {exc.msg}); {_REWRITE}"
        ) from None
    return _parse(doc, path)
