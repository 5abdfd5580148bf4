"""Tracking benchmark rows for benchmarks/temporal.py: one actor across a cut, frames lost to gaps.

    python benchmarks/temporal_tracks.py

Runs the track pass's own pieces (RetinaFace detection, `detect_cuts`, `link_tracks`,
`bridge_gaps`, the identity model `open_identity` picks, `link_actors`) on model-space frames of
../shared/assets/video/dance.mp4, without EXR round trips, so it takes seconds on a CPU:

* `cut_linking_rows`: the clip's frames 0-19, then frames 40-59 mirrored and reframed by 120 px
  (a cut to another camera on the same dancer): tracks before identity linking, actors after
  (target: one actor).
* `gap_rows`: frames 0-29 with the detections of 1, 2, 3 and 5 frames removed from frame 10 on:
  frames without a face before bridging and after (target 0 for gaps of up to 3 frames, the
  default `analysis.bridge_gap`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.engine.shot import LINK_MAX_GAP  # noqa: E402
from ghost_core.evaluation.clips import read_clip  # noqa: E402
from ghost_core.faces.actors import link_actors  # noqa: E402
from ghost_core.faces.align import estimate_norm, warp_crop  # noqa: E402
from ghost_core.faces.cuts import detect_cuts, signature  # noqa: E402
from ghost_core.faces.detectors import open_detector  # noqa: E402
from ghost_core.faces.gaps import DEFAULT_MAX_GAP, bridge_gaps  # noqa: E402
from ghost_core.faces.recognition import open_identity  # noqa: E402
from ghost_core.faces.tracking import Track, link_tracks, track_embedding  # noqa: E402

CLIP = REPO.parent / "shared" / "assets" / "video" / "dance.mp4"


def _frames(count: int) -> list[np.ndarray]:
    return read_clip(CLIP, limit=count).images


def _embeddings(tracks: list[Track], images: dict[int, np.ndarray], model: Any) -> dict[int, np.ndarray]:
    out = {}
    for t in tracks:
        picks = np.unique(np.linspace(0, len(t.frames) - 1, min(5, len(t.frames))).round()).astype(int)
        crops = [warp_crop(images[t.frames[i]], estimate_norm(t.detections[i].kps)) for i in picks]
        out[t.id] = track_embedding(model.embed(np.stack(crops)))
    return out


def cut_linking_rows() -> list[dict[str, Any]]:
    """Tracks before and actors after identity linking on dance.mp4 spliced with itself reframed."""
    clip = _frames(60)
    later = [np.ascontiguousarray(np.roll(f[:, ::-1], 120, axis=1)) for f in clip[40:60]]
    images = dict(enumerate(clip[:20] + later))
    frames = sorted(images)
    detector = open_detector("retinaface")
    per_frame = {f: list(detector.detect(images[f])) for f in frames}
    cuts = detect_cuts(frames, [signature(images[f]) for f in frames])
    tracks = [bridge_gaps(t, frames, DEFAULT_MAX_GAP, cuts) for t in link_tracks(per_frame, cuts=cuts)]
    model = open_identity()
    actors = link_actors(tracks, _embeddings(tracks, images, model), model.link_threshold) if model else {}
    return [
        {
            "clip": "dance.mp4 0-19 + 40-59 mirrored, shifted 120 px",
            "frames": len(frames),
            "cuts_found": cuts,
            "cut_expected": 20,
            "identity": model.name if model else None,
            "tracks_before_linking": len(tracks),
            "actors_after_linking": len(set(actors.values())) if actors else len(tracks),
            "target_actors": 1,
        }
    ]


def gap_rows(gaps: tuple[int, ...] = (1, 2, 3, 5), start: int = 10) -> list[dict[str, Any]]:
    """Frames left without a face when `gap` consecutive detections are dropped, before/after bridging."""
    clip = _frames(30)
    frames = list(range(len(clip)))
    detector = open_detector("retinaface")
    detected = {f: list(detector.detect(clip[f])) for f in frames}
    rows = []
    for gap in gaps:
        dropped = set(range(start, start + gap))
        per_frame = {f: [] if f in dropped else detected[f] for f in frames}
        tracks = link_tracks(per_frame, max_gap=max(LINK_MAX_GAP, DEFAULT_MAX_GAP))
        bridged = [bridge_gaps(t, frames, DEFAULT_MAX_GAP) for t in tracks]
        covered = {f for t in bridged for f in t.frames}
        rows.append(
            {
                "gap_frames": gap,
                "bridge_gap": DEFAULT_MAX_GAP,
                "frames_dropped_before": len(dropped),
                "frames_dropped_after": len(dropped - covered),
                "tracks_after": len(bridged),
                "target_after": 0 if gap <= DEFAULT_MAX_GAP else None,
            }
        )
    return rows


def main() -> int:
    for row in cut_linking_rows() + gap_rows():
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
