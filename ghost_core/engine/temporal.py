"""Stable swaps over time, in face-aligned space (the swapper's 224 crop, before paste-back).

Two rules, both gated by the plate itself so real motion is never smeared:

- Holds: a frame whose plate, cut at the previous frame's key points, matches the previous crop
  (mean |difference| <= `temporal.hold`) is a held frame. It reuses its twin's crop and swapped
  face, so a plate that repeats a frame gives the same swap (up to the plate's own difference).
- Filter: the swap's own contribution (swap − plate crop) is averaged with that of up to
  `temporal.window` earlier distinct frames of the same track segment, each pixel weighted by
  `temporal.strength` · exp(−½ (c/`temporal.motion`)²), where c is the local RMS change of the
  plate crop between the two frames. Where the plate moves (a mouth, a turning head, a cut), the
  weight falls to 0 and the frame's own swap is kept; where it is still, the swap's flicker is averaged.

Chunk invariance: every decision for a frame is a pure function of the plate frames of its track
segment at most `lookback(window)` frames back. The `Stabiliser` reads those pre-roll frames
itself (and swaps them) when a render starts mid-shot or skips finished frames, so a farm chunk
gives exactly the pixels of a whole render. The filter is causal: frames after a chunk are never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ghost_core.engine.crops import FaceCrop, cut_face
from ghost_core.engine.plan import FaceTask, ShotPlan
from ghost_core.io.exr import read_frame

#: A run of held frames longer than this shares a twin at most this many frames back (bounds pre-roll).
MAX_HOLD = 4
#: Gaussian sigma (crop px) of the local plate change that gates the filter.
GATE_SIGMA = 2.0
#: Farneback optical flow between plate crops: pyramid scale, levels, window, iterations, poly n/sigma, flags.
FLOW = (0.5, 3, 15, 3, 5, 1.2, 0)

Key = tuple[int, int]  # (track id, position in the plan's frame list)


@dataclass(frozen=True)
class TemporalSettings:
    """The `temporal.*` knobs."""

    strength: float = 0.0
    window: int = 0
    motion: float = 0.02
    hold: float = 0.0

    @property
    def filtering(self) -> bool:
        return self.strength > 0 and self.window > 0 and self.motion > 0

    @property
    def active(self) -> bool:
        return self.filtering or self.hold > 0

    @classmethod
    def of(cls, settings: Any, swapper: str) -> TemporalSettings:
        """The knobs of `settings`, `temporal.strength` resolved for the swapper named `swapper`."""
        return cls(
            default_strength(swapper) if settings.temporal_strength is None else settings.temporal_strength,
            settings.temporal_window,
            settings.temporal_motion,
            settings.temporal_hold,
        )


def default_strength(swapper: str) -> float:
    """`temporal.strength` when not given: 1 for morph, 0 for GHOST.

    With morph (and its detail match) the filter brings the motion-compensated flicker to the
    plate's own on both held-out clips (docs/temporal.md) without smearing; GHOST's generator
    could only be measured with random weights here, so its default stays the unfiltered swap.
    """
    return 1.0 if swapper == "morph" else 0.0


def lookback(window: int) -> int:
    """Most plate frames before a frame that its stabilised face can depend on."""
    return (window + 1) * (MAX_HOLD + 1) + 1


@dataclass
class _Sample:
    crop: FaceCrop
    probe: np.ndarray | None  # this frame's plate cut at the previous frame's key points
    source: int
    swap: np.ndarray | None = None


def _unchanged(crop: np.ndarray, swap: np.ndarray) -> bool:
    """The swapper gave the crop back (e.g. morph found no face mesh): nothing to filter or borrow."""
    return bool(np.array_equal(swap, crop))


def _gray(crop: np.ndarray) -> np.ndarray:
    return cv2.cvtColor((np.clip(crop, 0.0, 1.0) * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)


def follow(crop: np.ndarray, old_crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remap grids that carry `old_crop` onto `crop` along the plate's optical flow (Farneback)."""
    flow = cv2.calcOpticalFlowFarneback(_gray(crop), _gray(old_crop), None, *FLOW)
    h, w = crop.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return gx + flow[..., 0], gy + flow[..., 1]


def blend(
    crop: np.ndarray, swap: np.ndarray, older: list[tuple[np.ndarray, np.ndarray]], settings: TemporalSettings
) -> np.ndarray:
    """The filtered swap of one crop: `older` are (plate crop, swap) of earlier distinct frames.

    Each older frame is carried onto this one along the plate crops' own optical flow, then its
    swap's contribution (swap − crop) is averaged in, weighted per pixel by how well the flow
    explains the plate there; the plate's own change passes through untouched.
    """
    crop = np.asarray(crop, np.float32)
    total = np.asarray(swap, np.float32) - crop
    weights = np.ones(crop.shape[:2], np.float32)
    for old_crop, old_swap in older:
        mx, my = follow(crop, old_crop)
        carried = cv2.remap(
            np.dstack([old_crop, np.asarray(old_swap, np.float32) - old_crop]),
            mx,
            my,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        change = cv2.GaussianBlur(np.square(crop - carried[..., :3]).mean(axis=2), (0, 0), GATE_SIGMA)
        w = np.float32(settings.strength) * np.exp(np.float32(-0.5 / settings.motion**2) * change)
        total += w[..., None] * carried[..., 3:]
        weights += w
    return np.clip(crop + total / weights[..., None], 0.0, 1.0).astype(np.float32)


@dataclass
class Stabiliser:
    """Holds and the temporal filter for one render call; caches crops and swaps of recent frames.

    `swap(crops, source)` is the render's swapper call (N×224×224×3 → N×224×224×3);
    `swappable(task)` is False for a face the render skips (e.g. turned too far), which then
    never serves as an earlier frame either, in a whole render or a chunk's pre-roll alike.
    """

    plan: ShotPlan
    plate_path: Callable[[int | None], Any]
    colours: Callable[[Any], Any]
    swap: Callable[[np.ndarray, int], np.ndarray]
    settings: TemporalSettings
    swappable: Callable[[FaceTask], bool] = lambda task: True
    _samples: dict[Key, _Sample | None] = field(default_factory=dict)
    _filtered: dict[Key, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._position = {f: i for i, f in enumerate(self.plan.frames)}

    # ---- the plan -------------------------------------------------------------------------------

    def _task(self, track_id: int, pos: int) -> FaceTask | None:
        if not 0 <= pos < len(self.plan.frames):
            return None
        return next((t for t in self.plan.tasks_at(self.plan.frames[pos]) if t.track_id == track_id), None)

    def _previous(self, track_id: int, pos: int) -> FaceTask | None:
        """The task one frame earlier in the same track segment, else None."""
        task, before = self._task(track_id, pos), self._task(track_id, pos - 1)
        if task is None or before is None or before.segment != task.segment:
            return None
        return before

    # ---- crops ----------------------------------------------------------------------------------

    def cut(self, frame: int | None, task: FaceTask, plate: Any, color: Any) -> FaceCrop | None:
        """The render's crop of `task` on `plate` (also remembered, with what holds need)."""
        crop = cut_face(plate.rgba_source(), color, task.kps, task.gain)
        if self.settings.active:
            key = (task.track_id, self._position[frame])
            if key not in self._samples:
                self._samples[key] = self._sample(key, task, plate, color, crop)
        return crop

    def _sample(
        self, key: Key, task: FaceTask, plate: Any, color: Any, crop: FaceCrop | None
    ) -> _Sample | None:
        if crop is None:
            return None
        probe = None
        before = self._previous(*key)
        if self.settings.hold > 0 and before is not None:
            cut = cut_face(plate.rgba_source(), color, before.kps, before.gain)
            probe = cut.seen if cut is not None else None
        return _Sample(crop, probe, task.source)

    def _get(self, key: Key) -> _Sample | None:
        """The sample of a frame, reading its plate when it is not cached (pre-roll)."""
        if key not in self._samples:
            task = self._task(*key)
            if task is None or not self.swappable(task):
                self._samples[key] = None
            else:
                plate = read_frame(self.plate_path(self.plan.frames[key[1]]))
                color = self.colours(plate)
                crop = cut_face(plate.rgba_source(), color, task.kps, task.gain)
                self._samples[key] = self._sample(key, task, plate, color, crop)
        return self._samples[key]

    def _held(self, key: Key) -> bool:
        sample = self._get(key)
        if sample is None or sample.probe is None:
            return False
        twin = self._get((key[0], key[1] - 1))
        if twin is None:
            return False
        return float(np.abs(sample.probe - twin.crop.seen).mean()) <= self.settings.hold

    def _anchor(self, key: Key) -> Key:
        """The first frame of the hold `key` belongs to (itself when it is not held)."""
        track_id, pos = key
        steps = 0
        while steps < MAX_HOLD and self._held((track_id, pos - steps)):
            steps += 1
        return (track_id, pos - steps)

    def _window(self, anchor: Key) -> list[Key]:
        """Up to `window` earlier distinct frames (their anchors) of the anchor's track segment."""
        out: list[Key] = []
        track_id, pos = anchor
        while len(out) < self.settings.window and self._previous(track_id, pos) is not None:
            older = self._anchor((track_id, pos - 1))
            if self._get(older) is None:
                break
            out.append(older)
            pos = older[1]
        return out

    # ---- swaps ----------------------------------------------------------------------------------

    def _ensure_swaps(self, keys: list[Key]) -> None:
        """Swap every sample in `keys` that has none yet: one swapper call per source person."""
        by_source: dict[int, list[_Sample]] = defaultdict(list)
        for key in dict.fromkeys(keys):
            sample = self._get(key)
            if sample is not None and sample.swap is None:
                by_source[sample.source].append(sample)
        for source, samples in sorted(by_source.items()):
            faces = self.swap(np.stack([s.crop.seen for s in samples]), source)
            for sample, face in zip(samples, faces, strict=True):
                sample.swap = np.asarray(face, np.float32)

    # ---- the render's entry point -----------------------------------------------------------------

    def stabilise(
        self, items: list[tuple[int | None, FaceTask, np.ndarray]]
    ) -> list[tuple[FaceCrop, np.ndarray]]:
        """(frame, task, its swapped crop) of a render batch → (crop to paste with, face to paste)."""
        if not items:
            return []
        keys = [(task.track_id, self._position[f]) for f, task, _ in items]
        self._forget_before(min(pos for _, pos in keys))
        for key, (_, _, swapped) in zip(keys, items, strict=True):
            sample = self._get(key)
            if sample is not None and sample.swap is None:
                sample.swap = np.asarray(swapped, np.float32)
        anchors = [self._anchor(key) for key in keys]
        windows = {a: self._window(a) if self.settings.filtering else [] for a in anchors}
        self._ensure_swaps([k for a, w in windows.items() for k in (a, *w)])
        out = []
        for anchor in anchors:
            sample = self._samples[anchor]
            assert sample is not None and sample.swap is not None
            if anchor not in self._filtered:
                older = [(s.crop.seen, s.swap) for s in (self._samples[k] for k in windows[anchor]) if s]
                older = [(crop, swap) for crop, swap in older if not _unchanged(crop, swap)]
                face = sample.swap
                if older and not _unchanged(sample.crop.seen, face):
                    face = blend(sample.crop.seen, face, older, self.settings)
                self._filtered[anchor] = face
            out.append((sample.crop, self._filtered[anchor]))
        return out

    def _forget_before(self, pos: int) -> None:
        """Drop cached frames no later frame can need (memory stays bounded by the window)."""
        oldest = pos - lookback(self.settings.window)
        for cache in (self._samples, self._filtered):
            for key in [k for k in cache if k[1] < oldest]:
                del cache[key]
