"""Shot cuts on a real clip, bridging of detection drop-outs, and actors joined by identity only."""

from __future__ import annotations

import numpy as np
import pytest

from ghost_core.errors import UsageError
from ghost_core.faces.actors import link_actors, select_actors
from ghost_core.faces.cuts import detect_cuts, signature
from ghost_core.faces.gaps import bridge_gaps
from ghost_core.faces.tracking import link_tracks
from ghost_core.faces.types import Detection
from tests.shots import video_frames

KPS_FRAC = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])


def face(cx: float, cy: float, size: float = 100.0) -> Detection:
    box = np.array([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2])
    return Detection(box=box, score=0.9, kps=box[:2] + KPS_FRAC * size)


@pytest.fixture(scope="module")
def dance() -> list[np.ndarray]:
    return video_frames("dance.mp4", 66)


def test_whole_clip_has_no_cut_and_a_splice_has_exactly_one(dance: list[np.ndarray]) -> None:
    whole = [signature(f) for f in dance]
    assert detect_cuts(list(range(len(dance))), whole) == []
    # The clip, then a later part of it mirrored and reframed by 120 px: a cut at position 20.
    later = [np.ascontiguousarray(np.roll(f[:, ::-1], 120, axis=1)) for f in dance[40:60]]
    spliced = [signature(f) for f in dance[:20] + later]
    frames = list(range(1001, 1041))
    assert detect_cuts(frames, spliced) == [1021]


def test_a_flat_frame_between_two_shots_is_two_cuts(dance: list[np.ndarray]) -> None:
    flat = np.full_like(dance[0], 0.3)
    sigs = [signature(f) for f in (dance[0], flat, dance[1])]
    assert detect_cuts([1, 2, 3], sigs) == [2, 3]


def test_no_track_continues_across_a_cut() -> None:
    per_frame = {f: [face(300, 200)] for f in range(10)}
    assert len(link_tracks(per_frame)) == 1
    first, second = link_tracks(per_frame, cuts=[6])
    assert first.frames == list(range(6)) and second.frames == list(range(6, 10))


@pytest.mark.parametrize("gap", [1, 2, 3])
def test_short_drop_outs_are_bridged_by_interpolation(gap: int) -> None:
    frames = list(range(20))
    missing = set(range(8, 8 + gap))
    per_frame = {f: [] if f in missing else [face(100 + 10 * f, 200 + 2 * f)] for f in frames}
    (track,) = link_tracks(per_frame, max_gap=3)
    bridged = bridge_gaps(track, frames, max_gap=3)
    assert bridged.frames == frames and bridged.interpolated == frozenset(missing)
    for f in missing:  # linear motion: the interpolation lands exactly on the true face
        det = bridged.detection_at(f)
        assert det is not None
        np.testing.assert_allclose(det.kps, face(100 + 10 * f, 200 + 2 * f).kps, atol=1e-3)


def test_long_drop_outs_and_cuts_are_not_bridged() -> None:
    frames = list(range(20))
    per_frame = {f: [] if 8 <= f < 12 else [face(300, 200)] for f in frames}
    (track,) = link_tracks(per_frame, max_gap=4)
    assert bridge_gaps(track, frames, max_gap=3).frames == track.frames  # 4 > 3
    assert len(bridge_gaps(track, frames, max_gap=4).frames) == 20
    assert bridge_gaps(track, frames, max_gap=4, cuts=[10]).frames == track.frames
    with pytest.raises(UsageError, match="--bridge-gap"):
        bridge_gaps(track, frames, max_gap=-1)


def _two_shots() -> list:
    per_frame = {f: [face(300, 200)] if f < 10 else [face(600, 250)] for f in range(20)}
    return link_tracks(per_frame, cuts=[10])


def test_tracks_of_one_person_join_into_one_actor_only_with_identity_evidence() -> None:
    tracks = _two_shots()
    same = {1: np.array([1.0, 0.1, 0.0]), 2: np.array([1.0, 0.0, 0.1])}
    other = {1: np.array([1.0, 0.0, 0.0]), 2: np.array([0.0, 1.0, 0.0])}
    assert link_actors(tracks, same, threshold=0.9) == {1: 1, 2: 1}
    assert link_actors(tracks, other, threshold=0.9) == {1: 1, 2: 2}
    assert link_actors(tracks, {1: same[1]}, threshold=0.9) == {1: 1, 2: 2}  # no evidence: apart


def test_two_faces_in_one_frame_are_never_one_actor() -> None:
    per_frame = {f: [face(200, 200), face(600, 200)] for f in range(5)}
    tracks = link_tracks(per_frame)
    alike = {1: np.array([1.0, 0.0]), 2: np.array([1.0, 0.0])}
    assert link_actors(tracks, alike, threshold=0.5) == {1: 1, 2: 2}


def test_targets_are_chosen_per_actor_and_track_ids_name_actors() -> None:
    tracks = _two_shots()
    one = {1: 1, 2: 1}
    assert select_actors(tracks, one) == {1: 0, 2: 0}  # the default: the only actor, both tracks
    assert select_actors(tracks, one, track_ids=[2]) == {1: 0, 2: 0}
    assert select_actors(tracks, {1: 1, 2: 2}, track_ids=[2]) == {2: 0}
    with pytest.raises(UsageError, match="one actor twice"):
        select_actors(tracks, one, track_ids=[1, 2])
    with pytest.raises(UsageError, match=r"--track-id 7: this shot has tracks \[1, 2\] \(actors \[1\]\)"):
        select_actors(tracks, one, track_ids=[7])
