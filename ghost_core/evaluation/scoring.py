"""From per-frame observations of a result and its original to the numbers of the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ghost_core.evaluation.faces import FaceObservation
from ghost_core.evaluation.geometry import expression_error, head_pose, jitter

TARGET = "target"
POSE_AXES = ("yaw", "pitch", "roll")


@dataclass(frozen=True)
class Gallery:
    """Named identities (unit embeddings, one row each): the sources first, then the target, then extras."""

    names: list[str]
    embeddings: np.ndarray

    def top1(self, embeddings: np.ndarray) -> list[str]:
        return [self.names[i] for i in np.argmax(embeddings @ self.embeddings.T, axis=1)]


def mean_identity(embeddings: np.ndarray) -> np.ndarray:
    """Several photos (or frames) of one person → one unit embedding."""
    mean = np.asarray(embeddings, np.float64).mean(0)
    return (mean / max(np.linalg.norm(mean), 1e-12)).astype(np.float32)


def _nanmean(values: np.ndarray) -> float | None:
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    return round(float(values.mean()), 4) if values.size else None


def identity_scores(
    result: np.ndarray,
    original: np.ndarray,
    sources: list[tuple[str, np.ndarray]],
    gallery: Gallery,
    expected: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Summary and per-frame identity figures for paired result/original embeddings (N×D each)."""
    per_frame: dict[str, Any] = {
        "cos_source": {name: (result @ emb).round(4).tolist() for name, emb in sources},
        "cos_target": np.sum(result * original, axis=1).round(4).tolist(),
        "top1_result": gallery.top1(result),
        "top1_original": gallery.top1(original),
    }
    count = max(len(result), 1)
    summary = {
        "gallery": gallery.names,
        "expected": expected,
        "result": {
            "retrieval_top1": round(per_frame["top1_result"].count(expected) / count, 4),
            "top1_counts": dict(Counter(per_frame["top1_result"]).most_common()),
            "mean_cos_source": {name: _nanmean(v) for name, v in per_frame["cos_source"].items()},
            "mean_cos_target": _nanmean(per_frame["cos_target"]),
        },
        "original": {
            "retrieval_top1_target": round(per_frame["top1_original"].count(TARGET) / count, 4),
            "top1_counts": dict(Counter(per_frame["top1_original"]).most_common()),
            "mean_cos_source": {name: _nanmean(original @ emb) for name, emb in sources},
        },
    }
    return summary, per_frame


def geometry_scores(
    result: list[FaceObservation | None], original: list[FaceObservation | None], width: int, height: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pose error, expression error and the jitter ratio; frames without a face on either side are NaN."""
    both = [r is not None and o is not None for r, o in zip(result, original, strict=True)]
    nan3 = np.full(3, np.nan)
    pose_r = np.array(
        [head_pose(r.points, width, height) if ok else nan3 for r, ok in zip(result, both, strict=True)]
    )
    pose_o = np.array(
        [head_pose(o.points, width, height) if ok else nan3 for o, ok in zip(original, both, strict=True)]
    )
    pose_error = np.abs(pose_r - pose_o).reshape(-1, 3)
    expression = np.array(
        [
            expression_error(r.points, o.points) if ok else np.nan
            for r, o, ok in zip(result, original, both, strict=True)
        ]
    )
    jitter_r = jitter([r.points if ok else None for r, ok in zip(result, both, strict=True)])
    jitter_o = jitter([o.points if ok else None for o, ok in zip(original, both, strict=True)])
    mean_r, mean_o = _nanmean(jitter_r), _nanmean(jitter_o)
    summary = {
        "pose_error_deg": {
            **{axis: _nanmean(pose_error[:, i]) for i, axis in enumerate(POSE_AXES)},
            "mean": _nanmean(pose_error.mean(1)),
        },
        "expression_error_iod": _nanmean(expression),
        "jitter": {
            "result_iod": mean_r,
            "original_iod": mean_o,
            "ratio": round(mean_r / mean_o, 4) if mean_r is not None and mean_o else None,
        },
    }
    per_frame = {
        "pose_result": _listed(pose_r, 3),
        "pose_original": _listed(pose_o, 3),
        "pose_error_deg": _listed(pose_error.mean(1), 3),
        "expression_error_iod": _listed(expression, 4),
        "jitter_result": _listed(jitter_r, 5),
        "jitter_original": _listed(jitter_o, 5),
    }
    return summary, per_frame


def _listed(values: np.ndarray, digits: int) -> list[Any]:
    """JSON-safe nested lists: NaN becomes None."""
    arr = np.asarray(values, np.float64)
    if arr.ndim > 1:
        return [_listed(row, digits) for row in arr]
    return [round(float(v), digits) if np.isfinite(v) else None for v in arr]
