"""Linking detections into tracks, track segments, and the one-to-one choice of target tracks."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator

import numpy as np
import pytest

from ghost_core.errors import UsageError
from ghost_core.faces.tracking import Track, link_tracks, segments, select_targets, track_embedding
from ghost_core.faces.types import Detection

# Key points as fractions of the box (eyes, nose, mouth corners).
KPS_FRAC = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])


def face(cx: float, cy: float, size: float = 100.0, score: float = 0.9) -> Detection:
    box = np.array([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2])
    return Detection(box=box, score=score, kps=box[:2] + KPS_FRAC * size)


def centre_x(det: Detection) -> float:
    return float(det.box[0] + det.box[2]) / 2


@pytest.fixture
def warnings_seen() -> Iterator[list[str]]:
    """Messages logged on the `ghostswap` logger (which may not propagate to the root)."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("ghostswap")
    handler = Keep(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def test_crossing_faces_keep_their_ids() -> None:
    # 60 px a frame towards each other: at the crossing each face lands nearer the other's last
    # box (a tracker without motion would swap them), but exactly on its own predicted box.
    per_frame = {t: [face(100 + 60 * t, 200), face(670 - 60 * t, 215)] for t in range(11)}
    tracks = link_tracks(per_frame)
    assert [t.id for t in tracks] == [1, 2]
    a, b = tracks
    assert a.frames == b.frames == list(range(11))
    assert [centre_x(d) for d in a.detections] == [100 + 60 * t for t in range(11)]
    assert [centre_x(d) for d in b.detections] == [670 - 60 * t for t in range(11)]


def test_short_absence_continues_the_track_in_a_new_segment() -> None:
    per_frame = {f: [face(300, 200)] if not 10 <= f <= 12 else [] for f in range(20)}
    (track,) = link_tracks(per_frame, max_gap=3)
    assert track.frames == [*range(10), *range(13, 20)]
    assert segments(track) == [list(range(10)), list(range(13, 20))]
    assert segments(track, frames=list(range(20))) == segments(track)


def test_absence_longer_than_max_gap_starts_a_new_track() -> None:
    per_frame = {f: [face(300, 200)] if not 10 <= f <= 13 else [] for f in range(20)}
    first, second = link_tracks(per_frame, max_gap=3)  # four face-less frames > 3
    assert (first.id, first.frames) == (1, list(range(10)))
    assert (second.id, second.frames) == (2, list(range(14, 20)))


def test_gap_counts_processed_frames_not_frame_numbers() -> None:
    # Every other frame processed: 1001, 1003, …; one processed frame without a face.
    numbers = list(range(1001, 1021, 2))
    per_frame = {f: [] if f == 1009 else [face(300, 200)] for f in numbers}
    (track,) = link_tracks(per_frame, max_gap=1)
    assert segments(track, frames=numbers) == [[1001, 1003, 1005, 1007], [1011, 1013, 1015, 1017, 1019]]


def test_faceless_frames_keep_both_timelines_on_their_frame_numbers() -> None:
    # GHOST's issue #78: face-less frames were appended to target 0 only and timelines drifted.
    numbers = list(range(1001, 1013))
    blank = {1005, 1006, 1007}
    per_frame = {
        f: [] if f in blank else [face(150 + 2 * f % 7, 200), face(450, 210 + f % 3)] for f in numbers
    }
    tracks = link_tracks(per_frame)
    assert [t.id for t in tracks] == [1, 2]
    present = [f for f in numbers if f not in blank]
    for track, which in zip(tracks, (0, 1), strict=True):
        assert track.frames == present
        kps = track.kps_over(numbers)
        assert len(kps) == len(numbers)
        for f, k in zip(numbers, kps, strict=True):
            if f in blank:
                assert k is None
            else:
                np.testing.assert_array_equal(k, per_frame[f][which].kps)
    assert select_targets(tracks, n_sources=2, track_ids=[2, 1]) == {2: 0, 1: 1}


def test_ids_by_first_frame_then_x_and_independent_of_input_order() -> None:
    def shot(order_seed: int | None) -> dict[int, list[Detection]]:
        frames = {
            f: [face(500, 200), face(100, 220)] + ([face(300, 400, 60)] if f >= 3 else []) for f in range(8)
        }
        if order_seed is None:
            return frames
        rng = random.Random(order_seed)
        keys = list(frames)
        rng.shuffle(keys)
        return {k: rng.sample(frames[k], len(frames[k])) for k in keys}

    reference = link_tracks(shot(None))
    assert [(t.id, t.first_frame, centre_x(t.detections[0])) for t in reference] == [
        (1, 0, 100.0),
        (2, 0, 500.0),
        (3, 3, 300.0),
    ]
    for seed in range(5):
        again = link_tracks(shot(seed))
        assert [(t.id, t.frames) for t in again] == [(t.id, t.frames) for t in reference]
        for x, y in zip(again, reference, strict=True):
            assert all(np.array_equal(d.box, e.box) for d, e in zip(x.detections, y.detections, strict=True))


def test_identity_embeddings_refuse_links_between_different_people() -> None:
    # Two people swap places between frames 4 and 5 (a cut); geometry alone would swap identities.
    alice, bob = np.array([1.0, 0.0, 0.1]), np.array([0.0, 1.0, 0.1])
    per_frame, embeddings = {}, {}
    for f in range(10):
        left, right = (alice, bob) if f < 5 else (bob, alice)
        per_frame[f] = [face(150, 200), face(450, 200)]
        embeddings[f] = np.stack([left, right])
    assert len(link_tracks(per_frame)) == 2
    tracks = link_tracks(per_frame, embeddings=embeddings)
    assert [(t.first_frame, len(t.frames)) for t in tracks] == [(0, 5), (0, 5), (5, 5), (5, 5)]


def test_track_segments_need_known_frames() -> None:
    track = Track(id=1, frames=[0, 1, 5], detections=[face(0, 0)] * 3)
    assert segments(track) == [[0, 1], [5]]
    with pytest.raises(ValueError, match="not in the frame list"):
        segments(track, frames=[0, 1, 2])


# ------------------------------------------------------------------------------------------ targets


def two_tracks() -> list[Track]:
    return link_tracks({f: [face(150, 200, score=0.8), face(450, 200, score=0.95)] for f in range(3)})


def test_one_to_one_assignment_where_greedy_matching_fails(warnings_seen: list[str]) -> None:
    tracks = two_tracks()
    track_embs = {1: np.array([[1.0, 0.0], [0.98, 0.02]]), 2: np.array([0.0, 1.0])}
    refs = [np.array([0.9, 0.5]), np.array([0.8, 0.6])]
    # Both references are most similar to track 1 (GHOST's greedy argmax gives it to both).
    sims = np.array(
        [[np.dot(r / np.linalg.norm(r), track_embedding(track_embs[t])) for t in (1, 2)] for r in refs]
    )
    assert (sims.argmax(axis=1) == 0).all()
    result = select_targets(tracks, n_sources=2, track_embeddings=track_embs, reference_embeddings=refs)
    assert result == {1: 0, 2: 1}
    assert warnings_seen == []


def test_reference_below_threshold_is_left_unmatched_with_a_warning(warnings_seen: list[str]) -> None:
    tracks = two_tracks()
    track_embs = {1: np.array([1.0, 0.0, 0.0]), 2: np.array([0.0, 1.0, 0.0])}
    refs = [np.array([0.0, 0.9, 0.1]), np.array([0.1, 0.0, 1.0])]  # second: cosine ≈ 0.1 at best
    result = select_targets(tracks, n_sources=2, track_embeddings=track_embs, reference_embeddings=refs)
    assert result == {2: 0}
    assert len(warnings_seen) == 1 and "target photo 1" in warnings_seen[0]
    # Restricting the candidates to track 1 leaves reference 0 unmatched too.
    only_one = select_targets(
        tracks, n_sources=2, track_ids=[1], track_embeddings=track_embs, reference_embeddings=refs
    )
    assert only_one == {}


def test_track_id_choices_and_errors(warnings_seen: list[str]) -> None:
    tracks = two_tracks()
    assert select_targets(tracks, track_ids=[2]) == {2: 0}
    assert select_targets(tracks, track_ids=[1, 2]) == {1: 0, 2: 0}  # one source on both
    assert select_targets(tracks, n_sources=2, track_ids=[2, 1]) == {2: 0, 1: 1}
    assert select_targets(tracks, all_tracks=True) == {1: 0, 2: 0}
    with pytest.raises(UsageError, match=r"unknown track id\(s\) \[7\].*tracks \[1, 2\]"):
        select_targets(tracks, track_ids=[7])
    with pytest.raises(UsageError, match="one track id per source"):
        select_targets(tracks, n_sources=3, track_ids=[1, 2])
    with pytest.raises(UsageError, match="say which face"):
        select_targets(tracks, n_sources=2)
    with pytest.raises(UsageError, match="one source only"):
        select_targets(tracks, n_sources=2, all_tracks=True)
    with pytest.raises(UsageError, match="repeat"):
        select_targets(tracks, track_ids=[1, 1])
    assert warnings_seen == []
    # Nothing chosen, one source: GHOST's rule, the best face of the first frame with a face.
    assert select_targets(tracks) == {2: 0}
    assert len(warnings_seen) == 1 and "[1]" in warnings_seen[0]
