"""Face tracks over a shot, and which track each source photo replaces.

GHOST has no tracker: it matches every frame's faces to the targets greedily and keeps one list
per target, and a frame without faces appends "none" to target 0 only, so with several targets
the timelines drift apart (GHOST_REFERENCE §3.5, issue #78). Here every detection is kept with
its frame number, faces are linked frame to frame with a one-to-one assignment, and targets are
chosen per track with a one-to-one assignment too.

Linking (`link_tracks`): each open track predicts its box a constant-velocity step ahead (so two
faces that cross keep their ids), and the cost of giving it a detection is
``(1 − IoU(predicted, detected)) + mean key-point distance / face size`` (+ ``1 − cosine`` of
identity embeddings when given). Pairs outside the gates are never linked. A track survives up to
`max_gap` processed frames without a face; a face that comes back within that gap continues its
track in a new *segment* (`segments`), one that comes back later starts a new track, because
after a long absence position says nothing about who it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from ghost_core.console import log
from ghost_core.errors import UsageError
from ghost_core.faces.types import Detection

#: GHOST's target-matching threshold on cosine similarity (`similarity_th`).
DEFAULT_SIMILARITY_THRESHOLD = 0.15


@dataclass(eq=False)
class Track:
    """One face over time: the frames where it is present, in order, and its detection in each.

    Built once by `link_tracks`; treat it as read-only (the frame index is made at construction).
    """

    id: int
    frames: list[int]
    detections: list[Detection]
    interpolated: frozenset[int] = frozenset()  # frames whose detection `bridge_gaps` made up

    def __post_init__(self) -> None:
        if len(self.frames) != len(self.detections):
            raise ValueError(
                f"track {self.id}: {len(self.frames)} frames but {len(self.detections)} detections"
            )
        self._index = {f: i for i, f in enumerate(self.frames)}

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    def detection_at(self, frame: int) -> Detection | None:
        i = self._index.get(frame)
        return None if i is None else self.detections[i]

    def kps_over(self, frames: Sequence[int]) -> list[np.ndarray | None]:
        """Key points (5×2) for each of `frames`, None where the track is absent (input to smoothing)."""
        out: list[np.ndarray | None] = []
        for f in frames:
            det = self.detection_at(f)
            out.append(None if det is None else det.kps)
        return out


def segments(track: Track, frames: Sequence[int] | None = None) -> list[list[int]]:
    """Split a track into runs of consecutive frames; a new run starts after any absence.

    `frames` is the processed frame list (e.g. every other frame); consecutive means adjacent in
    it. Without it, consecutive means frame numbers that differ by one. Mask parameters are fixed
    per run, so they reset when a face comes back.
    """
    if frames is None:
        position = {f: f for f in track.frames}
    else:
        position = {f: i for i, f in enumerate(frames)}
        missing = [f for f in track.frames if f not in position]
        if missing:
            raise ValueError(f"track {track.id}: frames {missing[:5]} are not in the frame list")
    runs: list[list[int]] = []
    for f in track.frames:
        if runs and position[f] == position[runs[-1][-1]] + 1:
            runs[-1].append(f)
        else:
            runs.append([f])
    return runs


def segment_ids(track: Track, frames: Sequence[int] | None = None) -> list[int]:
    """Segment number (0, 1, …) for each of `track.frames`, per `segments`."""
    return [i for i, run in enumerate(segments(track, frames)) for _ in run]


# --------------------------------------------------------------------------------------------- linking


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64).reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _face_size(box: np.ndarray) -> float:
    return float(np.sqrt(max((box[2] - box[0]) * (box[3] - box[1]), 1.0)))


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


@dataclass
class _OpenTrack:
    """Linking state of a track: its observations and a constant-velocity prediction."""

    order: int
    frames: list[int] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # indices into the processed frame list
    embedding_sum: np.ndarray | None = None

    def add(self, frame: int, position: int, det: Detection, emb: np.ndarray | None) -> None:
        self.frames.append(frame)
        self.positions.append(position)
        self.detections.append(det)
        if emb is not None:
            u = _unit(emb)
            self.embedding_sum = u if self.embedding_sum is None else self.embedding_sum + u

    def predict(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """Box and key points expected at `position`, extrapolated from the last two observations."""
        box = self.detections[-1].box.astype(np.float64)
        kps = self.detections[-1].kps.astype(np.float64)
        if len(self.detections) < 2:
            return box, kps
        prev = self.detections[-2].box.astype(np.float64)
        velocity = (box - prev) / (self.positions[-1] - self.positions[-2])
        step = position - self.positions[-1]
        shift = (_centre(box + velocity) - _centre(box)) * step
        return box + velocity * step, kps + shift


def _sort_key(det: Detection) -> tuple[float, ...]:
    c = _centre(det.box)
    return (float(c[0]), float(c[1]), *map(float, det.box), -float(det.score))


def link_tracks(
    per_frame: Mapping[int, Sequence[Detection]],
    *,
    max_gap: int = 3,
    min_iou: float = 0.1,
    max_kps_distance: float = 1.0,
    embeddings: Mapping[int, np.ndarray] | None = None,
    min_similarity: float = 0.2,
    cuts: Sequence[int] = (),
) -> list[Track]:
    """Link per-frame detections into tracks, numbered 1, 2, … by first frame, then by x.

    `per_frame` maps every processed frame number to its detections; list face-less frames with
    an empty sequence so they count towards `max_gap` (frames are ordered by number, and the gap
    is counted in processed frames). `embeddings`, when given, maps a frame to an N×D array of
    identity embeddings, row i for detection i of that frame; it adds ``1 − cosine`` to the cost
    and refuses links below `min_similarity`. Gates: IoU with the predicted box ≥ `min_iou`, mean
    key-point distance ≤ `max_kps_distance` face sizes (√ box area). The result does not depend
    on mapping order or on the order of detections within a frame. At a frame of `cuts` (it starts
    a new shot) every open track is closed: position says nothing across a cut, so only identity
    (`link_actors`) may join tracks there.
    """
    if max_gap < 0:
        raise UsageError(f"max_gap must be 0 or more, got {max_gap}")
    frame_list = sorted(per_frame)
    open_tracks: list[_OpenTrack] = []
    closed: list[_OpenTrack] = []
    created = 0
    cut_set = set(cuts)
    for position, frame in enumerate(frame_list):
        if frame in cut_set:
            closed += open_tracks
            open_tracks = []
        dets = list(per_frame[frame])
        embs: list[np.ndarray | None] = [None] * len(dets)
        if embeddings is not None and dets:
            rows = np.asarray(embeddings.get(frame, ()), np.float64)
            if rows.ndim != 2 or len(rows) != len(dets):
                raise ValueError(
                    f"frame {frame}: {len(dets)} detections need an N×D embedding array, got {rows.shape}"
                )
            embs = list(rows)
        order = sorted(range(len(dets)), key=lambda j: _sort_key(dets[j]))
        dets = [dets[j] for j in order]
        embs = [embs[j] for j in order]

        still_open = [t for t in open_tracks if position - t.positions[-1] - 1 <= max_gap]
        closed += [t for t in open_tracks if position - t.positions[-1] - 1 > max_gap]
        open_tracks = still_open

        matched_dets: set[int] = set()
        if open_tracks and dets:
            big = 1e6
            cost = np.full((len(open_tracks), len(dets)), big)
            for i, t in enumerate(open_tracks):
                pbox, pkps = t.predict(position)
                for j, det in enumerate(dets):
                    iou = _iou(pbox, det.box)
                    dist = float(np.linalg.norm(det.kps - pkps, axis=1).mean()) / _face_size(det.box)
                    if iou < min_iou or dist > max_kps_distance:
                        continue
                    c = (1.0 - iou) + dist
                    emb = embs[j]
                    if emb is not None and t.embedding_sum is not None:
                        sim = float(_unit(t.embedding_sum) @ _unit(emb))
                        if sim < min_similarity:
                            continue
                        c += 1.0 - sim
                    cost[i, j] = c
            rows_i, cols_j = linear_sum_assignment(cost)
            for i, j in zip(rows_i, cols_j, strict=True):
                if cost[i, j] < big:
                    open_tracks[i].add(frame, position, dets[j], embs[j])
                    matched_dets.add(j)
        for j, det in enumerate(dets):
            if j not in matched_dets:
                t = _OpenTrack(order=created)
                created += 1
                t.add(frame, position, det, embs[j])
                open_tracks.append(t)

    everything = closed + open_tracks
    everything.sort(key=lambda t: (t.frames[0], *_sort_key(t.detections[0]), t.order))
    return [Track(id=n, frames=t.frames, detections=t.detections) for n, t in enumerate(everything, 1)]


# ----------------------------------------------------------------------------------- target choice


def track_embedding(embeddings: np.ndarray) -> np.ndarray:
    """A track's identity: the mean of its L2-normalised per-detection embeddings, normalised."""
    rows = np.asarray(embeddings, np.float64)
    rows = rows.reshape(-1, rows.shape[-1])
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    rows = rows / np.where(norms > 0, norms, 1.0)
    return _unit(rows.mean(axis=0))


def select_targets(
    tracks: Sequence[Track],
    *,
    n_sources: int = 1,
    track_ids: Sequence[int] | None = None,
    all_tracks: bool = False,
    track_embeddings: Mapping[int, np.ndarray] | None = None,
    reference_embeddings: Sequence[np.ndarray] | np.ndarray | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
    noun: str = "track",
) -> dict[int, int]:
    """Decide which source replaces which track; returns ``{track id: source index}``.

    Keyed by track so that `all_tracks` (one source on every face) fits the same shape and the
    engine can look up each track's source directly; tracks not in the result are left alone.

    * `all_tracks`: the single source goes on every track.
    * `reference_embeddings` (one target photo per source, so their count is the source count):
      one-to-one assignment (Hungarian) on cosine similarity between each reference and each
      track's `track_embedding` from `track_embeddings` (track id → D or N×D). A reference whose
      similarity is below `threshold` with every free track is left unmatched, with a warning. With
      `track_ids`, only those tracks are candidates.
    * `track_ids` without references: source i replaces the i-th id; one source with several ids
      replaces all of them.
    * nothing given, one source: the only track, or, as GHOST does, the highest-scoring face of
      the first frame that has one (with a warning naming the other tracks).

    `noun` names the items in messages ("actor" when `tracks` are `actors.actor_tracks`).
    """
    by_id = {t.id: t for t in tracks}
    if n_sources < 1:
        raise UsageError("no source photo given; pass at least one")
    if track_ids is not None:
        track_ids = list(track_ids)
        unknown = [i for i in track_ids if i not in by_id]
        if unknown:
            raise UsageError(
                f"unknown track id(s) {unknown}; this shot has tracks {sorted(by_id) or 'none'}"
                " (see the track file)"
            )
        if len(set(track_ids)) != len(track_ids):
            raise UsageError(f"track ids {track_ids} repeat an id; give each track once")
    if all_tracks:
        if n_sources != 1:
            raise UsageError(
                f"--all can take one source only, got {n_sources}; give one --source or drop --all"
            )
        if track_ids is not None or reference_embeddings is not None:
            raise UsageError("--all cannot be combined with --track-id or --target; pick one")
        return {t.id: 0 for t in tracks}

    if reference_embeddings is not None:
        refs = [np.asarray(r) for r in reference_embeddings]
        if len(refs) != n_sources:
            raise UsageError(f"{len(refs)} target photos for {n_sources} sources; give one per source")
        return _match_references(tracks, refs, track_ids, track_embeddings, threshold)

    if not tracks:
        log.warning("no face was tracked in this shot; nothing will be swapped")
        return {}
    if track_ids is not None:
        if n_sources == 1:
            return dict.fromkeys(track_ids, 0)
        if len(track_ids) != n_sources:
            raise UsageError(
                f"{n_sources} sources but {len(track_ids)} track ids; give one track id per source"
            )
        return {tid: s for s, tid in enumerate(track_ids)}
    if n_sources > 1:
        raise UsageError(
            f"{n_sources} sources: say which face each replaces with one track id or one target photo"
            f" per source (tracks: {sorted(by_id)})"
        )
    first = min(tracks, key=lambda t: (t.first_frame, -t.detections[0].score, t.id))
    if len(tracks) > 1:
        others = sorted(by_id.keys() - {first.id})
        log.warning(
            f"several faces: replacing {noun} {first.id} (best face of frame {first.first_frame});"
            f" {noun}s {others} are left alone. Choose with --track-id or --target"
        )
    return {first.id: 0}


def _match_references(
    tracks: Sequence[Track],
    refs: Sequence[np.ndarray],
    track_ids: Sequence[int] | None,
    track_embeddings: Mapping[int, np.ndarray] | None,
    threshold: float,
) -> dict[int, int]:
    """One-to-one reference → track assignment that maximises the number of matches, then similarity."""
    candidates = [t.id for t in tracks] if track_ids is None else list(track_ids)
    if track_embeddings is None:
        raise UsageError("target photos need track embeddings; run identity embedding on the tracks")
    missing = [tid for tid in candidates if tid not in track_embeddings]
    if missing:
        raise UsageError(f"tracks {missing} have no identity embedding; re-run tracking with identities")
    if not candidates:
        log.warning("no face was tracked in this shot; no target photo was matched")
        return {}
    ref_mat = np.stack([_unit(r) for r in refs])
    trk_mat = np.stack([track_embedding(track_embeddings[tid]) for tid in candidates])
    sim = ref_mat @ trk_mat.T
    valid = sim >= threshold
    # A bonus per admissible pair larger than any similarity trade-off: first as many matches as
    # possible, then the highest total similarity. Inadmissible pairs cost nothing and are dropped.
    bonus = 2.0 * len(refs) + 2.0
    cost = np.where(valid, -(sim + bonus), 0.0)
    rows, cols = linear_sum_assignment(cost)
    result: dict[int, int] = {}
    for r, c in zip(rows, cols, strict=True):
        if valid[r, c]:
            result[candidates[c]] = int(r)
    for r in range(len(refs)):
        if r not in result.values():
            best = float(sim[r].max())
            reason = "below the threshold" if best < threshold else "its best track went to another photo"
            log.warning(
                f"target photo {r} matched no track (best cosine {best:.3f}, threshold {threshold}:"
                f" {reason}); source {r} is not used. Check the photo or lower the threshold"
            )
    return result
