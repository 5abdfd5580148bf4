"""`ghostswap eval`: score a swapped clip against its original (identity, pose, expression, jitter).

Protocol (after FaceShifter / GHOST, GHOST_REFERENCE §5, with stand-ins where the paper's tools are
not available): identity by top-1 retrieval over a gallery with an independent recogniser; pose as
the head-angle difference to the original per frame; expression and temporal jitter from the
engine's face-mesh landmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.console import log
from ghost_core.errors import InputError, UsageError
from ghost_core.evaluation import FaceRecogniser
from ghost_core.evaluation.clips import read_clip
from ghost_core.evaluation.faces import FaceObservation, observe
from ghost_core.evaluation.recogniser import open_recogniser
from ghost_core.evaluation.scoring import TARGET, Gallery, geometry_scores, identity_scores, mean_identity


@dataclass
class EvalSettings:
    """What to compare and how densely: `sources` holds one group of photos per person."""

    result: str
    original: str
    sources: list[list[str]]
    gallery: list[str] = field(default_factory=list)
    recogniser: str | None = None
    step: int = 1
    start: int = 0
    offset: int = 0
    limit: int | None = None
    detector: str = "auto"
    ocio: str | None = None
    colorspace: str | None = None


def _photo_embeddings(paths: Sequence[str], detector: Any, recogniser: FaceRecogniser) -> np.ndarray:
    from ghost_core.engine.sources import load_photo

    return recogniser.embed(np.stack([load_photo(p, detector).crop for p in paths]))


def _source_name(index: int, group: Sequence[str], taken: set[str]) -> str:
    name = Path(group[0]).stem
    name = name if name not in taken and name != TARGET else f"source{index + 1}_{name}"
    taken.add(name)
    return name


def _expand(values: list[Any], valid: list[bool]) -> list[Any]:
    it = iter(values)
    return [next(it) if ok else None for ok in valid]


def evaluate(settings: EvalSettings) -> dict[str, Any]:
    """The full report: settings, summary and per-frame series (JSON-safe)."""
    from ghost_core.faces.detectors import open_detector
    from ghost_core.faces.landmarks import open_landmarker

    if not settings.sources or not all(settings.sources):
        raise UsageError("give at least one --source photo of the person swapped in")
    if settings.offset < 0 and settings.start + settings.offset < 0:
        raise UsageError(f"--offset {settings.offset} starts the original before its first frame")
    recogniser = open_recogniser(settings.recogniser)
    detector = open_detector(settings.detector)
    landmarker = open_landmarker("mesh")

    common = {"step": settings.step, "limit": settings.limit, "ocio": settings.ocio}
    result = read_clip(settings.result, start=settings.start, colorspace=settings.colorspace, **common)
    original = read_clip(settings.original, start=settings.start + settings.offset, **common)
    count = min(len(result), len(original))
    if len(result) != len(original):
        log.warning(
            "%s has %d sampled frames, %s %d; scoring the first %d pairs",
            settings.result,
            len(result),
            settings.original,
            len(original),
            count,
        )
    height, width = result.images[0].shape[:2]
    if original.images[0].shape[:2] != (height, width):
        raise InputError(
            f"{settings.original} is {original.images[0].shape[1]}x{original.images[0].shape[0]}, "
            f"{settings.result} is {width}x{height}: compare a result with the plate it was rendered from"
        )
    obs_r = observe(result, detector, landmarker, desc="result faces")[:count]
    obs_o = observe(original, detector, landmarker, desc="original faces")[:count]
    valid = [r is not None and o is not None for r, o in zip(obs_r, obs_o, strict=True)]
    if not any(valid):
        raise InputError(f"no frame has a face in both {settings.result} and {settings.original}")

    def crops(obs: list[FaceObservation | None]) -> np.ndarray:
        return np.stack([o.crop for o, ok in zip(obs, valid, strict=True) if ok and o is not None])

    emb_r, emb_o = recogniser.embed(crops(obs_r)), recogniser.embed(crops(obs_o))
    taken: set[str] = set()
    sources = [
        (_source_name(i, group, taken), mean_identity(_photo_embeddings(group, detector, recogniser)))
        for i, group in enumerate(settings.sources)
    ]
    extras = [
        (Path(p).stem, e)
        for p, e in zip(settings.gallery, _gallery(settings, detector, recogniser), strict=True)
    ]
    names = [n for n, _ in sources] + [TARGET] + [n if n not in taken else f"gallery_{n}" for n, _ in extras]
    rows = [e for _, e in sources] + [mean_identity(emb_o)] + [e for _, e in extras]
    gallery = Gallery(names, np.stack(rows))
    id_summary, id_frames = identity_scores(emb_r, emb_o, sources, gallery, expected=sources[0][0])
    id_summary["recogniser"] = str(recogniser.path)
    geo_summary, geo_frames = geometry_scores(obs_r, obs_o, width, height)

    per_frame: dict[str, Any] = {
        "frame_result": result.labels[:count],
        "frame_original": original.labels[:count],
    }
    per_frame["cos_source"] = {k: _expand(v, valid) for k, v in id_frames["cos_source"].items()}
    for key in ("cos_target", "top1_result", "top1_original"):
        per_frame[key] = _expand(id_frames[key], valid)
    per_frame.update(geo_frames)
    missing_r = [lab for lab, o in zip(result.labels[:count], obs_r, strict=True) if o is None]
    missing_o = [lab for lab, o in zip(original.labels[:count], obs_o, strict=True) if o is None]
    summary = {
        "frames": {
            "sampled": count,
            "scored": int(sum(valid)),
            "no_face_result": missing_r,
            "no_face_original": missing_o,
        },
        "identity": id_summary,
        **geo_summary,
    }
    return {
        "result": settings.result,
        "original": settings.original,
        "sources": settings.sources,
        "gallery_photos": settings.gallery,
        "sampling": {
            "start": settings.start,
            "step": settings.step,
            "offset": settings.offset,
            "limit": settings.limit,
        },
        "detector": getattr(detector, "name", settings.detector),
        "landmarker": getattr(landmarker, "name", "mesh"),
        "summary": summary,
        "per_frame": per_frame,
    }


def _gallery(settings: EvalSettings, detector: Any, recogniser: FaceRecogniser) -> list[np.ndarray]:
    if not settings.gallery:
        return []
    return list(_photo_embeddings(settings.gallery, detector, recogniser))
