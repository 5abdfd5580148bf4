"""`track` and `render` for one shot: load once, analyse the whole shot, render any frame range.

`track` writes everything per-shot (detections, track ids, smoothed key points, the chosen
target of each source, exposure gain and GHOST's mask parameters per track segment) to the
track file; `render` reads it back as a per-frame plan. Without `--track`, render analyses the
whole shot in memory first, so its pixels still match a chunked render that used a track file.
Frame ranges are arguments (`Shot.analyse(frames)`, `render_shot(..., frames)`), never set
temporarily on the settings, so one loaded `Shot` can serve any number of ranges and jobs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.console import check_cancelled, log, progress, report
from ghost_core.engine.choices import apply_render_choice
from ghost_core.engine.colours import Colours
from ghost_core.engine.crops import cut_face, face_gain
from ghost_core.engine.identify import identify
from ghost_core.engine.plan import FaceTask, ShotPlan
from ghost_core.engine.render import Frames, Renderer, render, requested_frames
from ghost_core.engine.sources import SourcePhoto, load_people
from ghost_core.engine.summary import RenderSummary
from ghost_core.errors import InputError, TrackFileError, UsageError
from ghost_core.faces.actors import select_actors
from ghost_core.faces.cuts import Signature, detect_cuts, signature
from ghost_core.faces.detectors import open_detector
from ghost_core.faces.gaps import bridge_gaps
from ghost_core.faces.landmarks import open_landmarker
from ghost_core.faces.trackfile import (
    DetectorInfo,
    SourceRecord,
    TrackFile,
    load_trackfile,
    record_from_track,
    save_trackfile,
    to_dict,
)
from ghost_core.faces.tracking import DEFAULT_SIMILARITY_THRESHOLD, link_tracks
from ghost_core.faces.types import Detection
from ghost_core.io.exr import read_frame
from ghost_core.io.memory import streaming_buffers
from ghost_core.io.sequence import FramePattern, resolve_frames
from ghost_core.knobs import ShotSettings
from ghost_core.matte import MaskOverrides, MaskParams, choose_params
from ghost_core.swappers import SWAPPERS, FaceSwapper
from ghost_core.swappers.base import Swapper

SINGLE = 0  # frame key of a single still (a plate path without a frame token)
LINK_MAX_GAP = 3  # processed frames a track survives without a face (longer gaps, when bridged)
# Frames per detector call in track: enough to fill a batched run, few enough that the decoded
# frames held (plate RGBA and model RGB, ~40 MB each at 1080p half) stay few. The detections do
# not depend on it (tests/engine/test_track_batch.py).
DETECT_GROUP = 4


# ---------------------------------------------------------------------------------------- loading


def open_swapper(settings: ShotSettings) -> FaceSwapper:
    """The swapper `settings.swapper` names in `ghost_core.swappers.SWAPPERS` (`auto`: ghost, else morph)."""
    return SWAPPERS.create(settings.swapper, settings)


def _key(frame: int | None) -> int:
    return SINGLE if frame is None else frame


def _frame_of(pattern: FramePattern, key: int) -> int | None:
    return key if pattern.is_sequence else None


# ---------------------------------------------------------------------------------------- analysis


def _detect_shot(
    settings: ShotSettings, pattern: FramePattern, frames: Frames, detector: Any, colours: Colours
) -> tuple[dict[int, list[Detection]], dict[tuple[int, int], float], tuple[int, int], list[Signature]]:
    """Detect every frame once; keep each face's exposure gain and each frame's cut signature.

    Frames are detected DETECT_GROUP at a time (one network run where the detector can batch, the
    same detections as one by one). Memory stays flat: at most a group of decoded frames is held;
    of a detected frame only its detections and a small `Signature` are kept.
    """
    per_frame: dict[int, list[Detection]] = {}
    signatures: list[Signature] = []
    gains: dict[tuple[int, int], float] = {}
    size: tuple[int, int] | None = None
    group: list[tuple[int, np.ndarray, Any, np.ndarray]] = []  # (key, plate RGBA, colour, model RGB)

    def detect_group() -> None:
        found = _detect_many(detector, [model for *_, model in group])
        for (key, rgba, color, _), faces in zip(group, found, strict=True):
            per_frame[key] = list(faces)
            for i, det in enumerate(faces):
                gains[(key, i)] = face_gain(rgba, color, det.box)
        group.clear()

    for n, f in enumerate(progress(frames, total=len(frames), desc="detect", unit="frame")):
        check_cancelled()  # nothing is written while detecting: stopping here loses nothing
        report("track", n, len(frames))  # frames read so far (detected up to a group behind)
        plate = read_frame(pattern.path(f))
        if size is None:
            size = (plate.width, plate.height)
        elif size != (plate.width, plate.height):
            raise InputError(
                f"{pattern.path(f)}: {plate.width}x{plate.height}, but the shot is {size[0]}x{size[1]}; "
                "every frame of a plate must have the same size"
            )
        color = colours(plate)
        rgba = plate.rgba_source()
        gain = float(np.clip(color.exposure_gain(rgba), 1 / 16, 16))
        model = color.to_model(rgba[..., :3], gain, clip=True)
        np.nan_to_num(model, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
        signatures.append(signature(model))
        group.append((_key(f), rgba, color, model))
        if len(group) == DETECT_GROUP:
            detect_group()
    detect_group()
    report("track", len(frames), len(frames))
    assert size is not None
    return per_frame, gains, size, signatures


def _detect_many(detector: Any, images: list[np.ndarray]) -> list[list[Detection]]:
    """`detect_batch` where the detector has one (ours), else `detect` per image (a plugin's)."""
    batch = getattr(detector, "detect_batch", None)
    return list(batch(images)) if batch is not None else [detector.detect(image) for image in images]


def _track_gain(
    track: Any, per_frame: dict[int, list[Detection]], gains: dict[tuple[int, int], float]
) -> float:
    values = []
    for f, det in zip(track.frames, track.detections, strict=True):
        if f in track.interpolated:
            continue  # bridged: no detection of its own, so no gain measured
        index = next(i for i, d in enumerate(per_frame[f]) if d is det)
        values.append(gains[(f, index)])
    return float(np.median(values)) if values else 1.0


def _mask_params(
    tf: TrackFile,
    pattern: FramePattern,
    colours: Colours,
    swapper: Swapper,
    identities: list[Any],
    landmarker: Any,
) -> None:
    """GHOST's mask choice per track segment: swap the segment's first frame, compare jaw lines.

    Tracks left alone get theirs too (with source 1, recorded as the track's `mask_source`), so
    `render --track-id` can pick any track of the file without re-tracking.
    """
    for t in tf.tracks:
        t.fields["mask_source"] = t.source if t.source is not None else 0
    jobs = [(t, seg, run[0]) for t in tf.tracks for seg, run in enumerate(_runs(t))]
    for track, segment, first in progress(jobs, total=len(jobs), desc="mask settings", unit="segment"):
        plate = read_frame(pattern.path(_frame_of(pattern, first)))
        kps = tf.kps_at(track.id, first)
        crop = cut_face(plate.rgba_source(), colours(plate), kps, track.exposure_gain or 1.0)
        if crop is None:
            params = MaskParams(5, 5.0, 5.0, 2.0)
        else:
            swapped = swapper.swap(crop.seen[None], identities[track.fields["mask_source"]])
            marks = landmarker.landmarks(np.stack([swapped[0], crop.seen]))
            params = choose_params(marks[0], marks[1])
        tf.set_mask_params(
            track.id,
            segment,
            erode=params.erode,
            sigma_x=params.sigma_x,
            sigma_y=params.sigma_y,
            brow_factor=params.brow_factor,
        )


def _runs(track: Any) -> list[list[int]]:
    runs: dict[int, list[int]] = {}
    for f, seg in zip(track.frames, track.segments, strict=True):
        runs.setdefault(seg, []).append(f)
    return [runs[k] for k in sorted(runs)]


def _source_records(people: list[list[SourcePhoto]]) -> list[SourceRecord]:
    return [SourceRecord(str(p.path), p.sha256) for group in people for p in group]


class Shot:
    """Detector, landmarker, swapper and source identities, loaded once for track and render."""

    def __init__(self, settings: ShotSettings) -> None:
        if not settings.sources or not all(settings.sources):
            raise UsageError("give at least one --source photo")
        self.settings = settings
        self.pattern = FramePattern.parse(settings.plate)
        self.colours = Colours(settings)
        self.detector = open_detector(settings.detector)
        self.landmarker = open_landmarker(settings.landmarker)
        self.people = load_people(settings.sources, self.detector)
        self.swapper = open_swapper(settings)
        self.identities = [self.swapper.prepare([p.crop for p in group]) for group in self.people]

    def analyse(self, frames: Frames | None = None, *, settings: ShotSettings | None = None) -> TrackFile:
        """Detect, link, choose targets and fix mask settings over `frames` (default: the whole shot).

        `settings` is the job's when this Shot was loaded for another one with the same photos and
        models (the warm worker's): its plate and target choice are used, the loaded models kept.
        """
        settings = settings or self.settings
        pattern = FramePattern.parse(settings.plate)
        frames = resolve_frames(pattern, None) if frames is None else list(frames)
        if settings.targets:  # fail before the detection pass when no identity model is there
            from ghost_core.faces.recognition import open_identity

            open_identity(settings.backend, settings.device, required=True)
        with streaming_buffers():
            found = _detect_shot(settings, pattern, frames, self.detector, self.colours)
        per_frame, gains, size, signatures = found
        keys = [_key(f) for f in frames]
        cuts = detect_cuts(keys, signatures) if pattern.is_sequence else []
        if cuts:
            log.info("shot cuts before frame(s) %s: no track continues across one", cuts)
        tracks = link_tracks(per_frame, max_gap=max(LINK_MAX_GAP, settings.bridge_gap), cuts=cuts)
        tracks = [bridge_gaps(t, keys, settings.bridge_gap, cuts) for t in tracks]
        bridged = sorted(f for t in tracks for f in t.interpolated)
        if bridged:
            log.info("bridged detection drop-outs on %d frame(s) by interpolation: %s", len(bridged), bridged)
        ids = identify(settings, tracks, pattern, self.colours, self.detector)
        chosen = select_actors(
            tracks,
            ids.actors,
            n_sources=len(self.people),
            track_ids=settings.track_ids or None,
            all_tracks=settings.all_tracks,
            track_embeddings=ids.embeddings if ids.model else None,
            reference_embeddings=ids.references,
            threshold=ids.model.target_threshold if ids.model else DEFAULT_SIMILARITY_THRESHOLD,
        )
        records = []
        for track in tracks:
            record = record_from_track(track, keys)
            record.source = chosen.get(track.id)
            record.exposure_gain = _track_gain(track, per_frame, gains)
            record.actor = ids.actors.get(track.id, track.id)
            if track.id in ids.embeddings:
                record.embedding = [float(v) for v in ids.embeddings[track.id]]
            records.append(record)
        tf = TrackFile(
            plate=settings.plate,
            frames=keys,
            image_size=size,
            detector=DetectorInfo(getattr(self.detector, "name", "detector"), {}),
            sources=_source_records(self.people),
            tracks=records,
            tracking={
                "source_groups": [len(g) for g in self.people],
                "swapper": self.swapper.describe(),
                "landmarker": getattr(self.landmarker, "name", "landmarker"),
                "bridge_gap": settings.bridge_gap,
                "link_max_gap": max(LINK_MAX_GAP, settings.bridge_gap),
                "identity": ids.describe(),
                "selection": _selection(settings),
            },
            cuts=cuts,
        )
        with streaming_buffers():
            _mask_params(tf, pattern, self.colours, self.swapper, self.identities, self.landmarker)
        _log_tracks(tf)
        return tf

    def renderer(self, settings: ShotSettings, tf: TrackFile) -> Renderer:
        """The one way to build a `Renderer`: these loaded models, `settings`' knobs, `tf`'s plan."""
        plan = plan_from_trackfile(tf, settings)
        return Renderer(settings, plan, self.swapper, self.identities, self.landmarker, self.colours)


def _selection(settings: ShotSettings) -> dict[str, Any]:
    """The target choice the track was made with (render compares its own options with it)."""
    return {
        "track_ids": list(settings.track_ids),
        "all": settings.all_tracks,
        "targets": [SourceRecord.of(p).sha256 for p in settings.targets],
    }


def _log_tracks(tf: TrackFile) -> None:
    for t in tf.tracks:
        role = f"← source {t.source + 1}" if t.source is not None else "(left alone)"
        actor = f" actor {t.actor_id}" if t.actor_id != t.id else ""
        first, last = t.frames[0], t.frames[-1]
        log.info("track %d%s: frames %d-%d (%d) %s", t.id, actor, first, last, len(t.frames), role)


def digest(tf: TrackFile) -> str:
    text = json.dumps(to_dict(tf), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_from_trackfile(tf: TrackFile, settings: ShotSettings) -> ShotPlan:
    """The per-frame work; matte overrides from the settings are applied on top of GHOST's choice."""
    overrides = MaskOverrides(
        erode=settings.erode, feather_scale=settings.feather, brow_factor=settings.brow_lift
    )
    pattern = FramePattern.parse(settings.plate)
    plan = ShotPlan(
        plate=tf.plate, size=tuple(tf.image_size), frames=[_frame_of(pattern, k) for k in tf.frames]
    )
    plan.digest = digest(tf)
    for track in tf.tracks:
        if track.source is None:
            continue
        if not 0 <= track.source < len(settings.sources):
            raise TrackFileError(
                f"track {track.id} is given source {track.source + 1}, but only {len(settings.sources)} "
                "--source person(s) are given; re-run `ghostswap track` with these sources"
            )
        for i, f in enumerate(track.frames):
            values = tf.mask_params(track.id, track.segments[i])
            if values is None:
                raise InputError(
                    f"track {track.id} has no mask settings for segment {track.segments[i]}: "
                    "the track file is incomplete; re-run `ghostswap track`"
                )
            params = overrides.apply(
                MaskParams(int(values["erode"]), values["sigma_x"], values["sigma_y"], values["brow_factor"])
            )
            task = FaceTask(
                track.source,
                track.id,
                track.smoothed_kps[i],
                track.segments[i],
                params,
                track.exposure_gain or 1.0,
            )
            plan.tasks.setdefault(_frame_of(pattern, f), []).append(task)
    present = {_frame_of(pattern, f) for t in tf.tracks for f in t.frames}
    plan.unselected = frozenset(present - plan.tasks.keys())
    return plan


def load_track(settings: ShotSettings) -> TrackFile:
    """The `--track` file, checked against these source photos (hashes) and this kind of plate."""
    if not settings.track:
        raise UsageError("give --track TRACKFILE (from `ghostswap track`)")
    tf = load_trackfile(settings.track)
    now = [SourceRecord.of(p).sha256 for group in settings.sources for p in group]
    if now != [r.sha256 for r in tf.sources]:
        raise TrackFileError(
            f"{settings.track} was made with other source photos; re-run `ghostswap track` with these sources"
        )
    groups = tf.tracking.get("source_groups")
    if groups is not None and groups != [len(g) for g in settings.sources]:
        raise TrackFileError(
            f"{settings.track} groups its source photos as {groups} per person, but the --source options "
            f"give {[len(g) for g in settings.sources]}; repeat --source as when tracking, or re-track"
        )
    if FramePattern.parse(tf.plate).is_sequence != FramePattern.parse(settings.plate).is_sequence:
        raise TrackFileError(
            f"{settings.track} was made for {tf.plate}, not {settings.plate}: it belongs to another shot; "
            "re-run `ghostswap track` on this plate"
        )
    apply_render_choice(tf, settings, str(settings.track))
    return tf


# ---------------------------------------------------------------------------------------- commands


def track_command(settings: ShotSettings, out: str, whole_shot: bool = False) -> dict[str, Any]:
    """`ghostswap track`: `settings.frames`, or every plate frame when `whole_shot` (a job's track file)."""
    if Path(out).suffix.lower() != ".json":
        raise UsageError(f"{out}: name the track file .json")
    shot = Shot(settings)
    tf = shot.analyse(None if whole_shot else requested_frames(settings))
    save_trackfile(out, tf)
    return {
        "track_file": str(out),
        "frames": len(tf.frames),
        "tracks": [
            {
                "id": t.id,
                "actor": t.actor_id,
                "first": t.frames[0],
                "last": t.frames[-1],
                "frames": len(t.frames),
                "source": t.source,
            }
            for t in tf.tracks
        ],
        "cuts": list(tf.cuts),
        "digest": digest(tf),
    }


def shot_track(shot: Shot, settings: ShotSettings) -> TrackFile:
    """The `--track` file if given, else the whole shot analysed now (so any range matches a full render)."""
    if settings.track:
        return load_track(settings)
    if settings.frames:
        log.warning("no --track file: analysing the whole shot first so this range matches a full render")
    return shot.analyse(settings=settings)


def render_shot(shot: Shot, settings: ShotSettings, tf: TrackFile, frames: Frames) -> RenderSummary:
    """Render `frames` of an analysed shot with models that are already loaded."""
    return render(shot.renderer(settings, tf), frames)


def render_command(settings: ShotSettings) -> RenderSummary:
    """`ghostswap render` in this process: `settings.frames` (all by default) of the shot."""
    shot = Shot(settings)
    return render_shot(shot, settings, shot_track(shot, settings), requested_frames(settings))
