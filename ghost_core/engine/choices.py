"""`render --track FILE` with options that disagree with the file: apply them, or refuse, never ignore.

The track file holds the target choice made when tracking. A render that names other faces
(`--track-id`, `--all`) gets them when the file has those tracks or actors and their mask
settings; photos it cannot re-match (`--target`) and ids the file lacks are refused, naming the
flag. Analysis options (`--detector`, `--landmarker`, `--bridge-gap`) that differ from what the file
was made with only warn: the file's analysis is what renders.
"""

from __future__ import annotations

from typing import Any

from ghost_core.console import log
from ghost_core.errors import TrackFileError, UsageError
from ghost_core.faces.actors import select_actors
from ghost_core.faces.trackfile import MASK_KEYS, SourceRecord, TrackFile, TrackRecord
from ghost_core.faces.tracking import Track
from ghost_core.faces.types import Detection
from ghost_core.knobs import ShotSettings, field_default

_RETRACK = "re-run `ghostswap track` with this choice"


def _as_track(record: TrackRecord) -> Track:
    dets = [
        Detection(box=b, score=float(s), kps=k)
        for b, s, k in zip(record.boxes, record.scores, record.kps, strict=True)
    ]
    return Track(id=record.id, frames=list(record.frames), detections=dets)


def _wanted(settings: ShotSettings) -> dict[str, Any]:
    return {
        "track_ids": list(settings.track_ids),
        "all": bool(settings.all_tracks),
        "targets": [SourceRecord.of(p).sha256 for p in settings.targets],
    }


def _warn_analysis(tf: TrackFile, settings: ShotSettings, path: str) -> None:
    made = {
        "--detector": (settings.detector, tf.detector.name),
        "--landmarker": (settings.landmarker, tf.tracking.get("landmarker")),
    }
    for flag, (given, recorded) in made.items():
        if given != "auto" and recorded is not None and given != recorded:
            log.warning("%s %s has no effect on %s's analysis (made with %s); %s", flag, given, path,
                        recorded, _RETRACK)  # fmt: skip
    recorded_gap = tf.tracking.get("bridge_gap")
    if settings.bridge_gap != field_default("bridge_gap") and settings.bridge_gap != recorded_gap:
        log.warning("--bridge-gap %d has no effect on %s (tracked with %s); %s", settings.bridge_gap, path,
                    recorded_gap, _RETRACK)  # fmt: skip


def apply_render_choice(tf: TrackFile, settings: ShotSettings, path: str) -> None:
    """Make `tf`'s target choice the one `settings` asks for, or raise naming the flag."""
    _warn_analysis(tf, settings, path)
    wanted = _wanted(settings)
    if not (wanted["track_ids"] or wanted["all"] or wanted["targets"]):
        return  # the render names no faces: the file's choice is the choice
    recorded = tf.tracking.get("selection")
    if recorded == wanted:
        return
    if wanted["targets"]:
        raise UsageError(
            f"--target differs from the choice {path} was tracked with; render cannot match new target"
            f" photos against a track file: {_RETRACK}, or pick faces with --track-id"
        )
    actors = {t.id: t.actor_id for t in tf.tracks}
    try:
        chosen = select_actors(
            [_as_track(t) for t in tf.tracks],
            actors,
            n_sources=len(settings.sources),
            track_ids=wanted["track_ids"] or None,
            all_tracks=wanted["all"],
        )
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    before = {t.id: t.source for t in tf.tracks}
    for t in tf.tracks:
        t.source = chosen.get(t.id)
        if t.source is None:
            continue
        masks_from = t.fields.get("mask_source")
        complete = all(all(k in v for k in MASK_KEYS) for v in t.segment_fields.values())
        if masks_from != t.source or not complete or not t.segment_fields:
            raise TrackFileError(
                f"{path} has no mask settings for track {t.id} with source {t.source + 1} (it was not"
                f" chosen when tracking); --track-id/--all cannot pick it from this file: {_RETRACK}"
            )
    after = {t.id: t.source for t in tf.tracks}
    if after != before:
        flag = "--all" if wanted["all"] else "--track-id " + " ".join(map(str, wanted["track_ids"]))
        picked = sorted(tid for tid, s in after.items() if s is not None)
        log.info("render applies %s: tracks %s (the track file chose %s)", flag, picked,
                 sorted(tid for tid, s in before.items() if s is not None))  # fmt: skip
    tf.tracking["selection"] = wanted
