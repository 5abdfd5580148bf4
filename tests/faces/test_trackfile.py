"""The versioned track file: exact round trip, atomic writes, and helpful errors on bad files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from ghost_core.errors import InputError, OutputError
from ghost_core.faces.trackfile import (
    DetectorInfo,
    SourceRecord,
    TrackFile,
    load_trackfile,
    record_from_track,
    save_trackfile,
)
from ghost_core.faces.tracking import link_tracks
from ghost_core.faces.types import Detection

KPS_FRAC = np.array([[0.3, 0.4], [0.7, 0.4], [0.5, 0.6], [0.35, 0.8], [0.65, 0.8]])
FRAMES = list(range(1001, 1013))
BLANK = {1006, 1007}


def face(cx: float, cy: float, size: float = 100.0, score: float = 0.9) -> Detection:
    box = np.array([cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2])
    return Detection(box=box, score=score, kps=box[:2] + KPS_FRAC * size)


def make_trackfile(tmp_path: Path) -> TrackFile:
    """Two tracks with awkward floats (float32 thirds, jitter) and a face-less stretch."""
    rng = np.random.default_rng(7)
    per_frame = {
        f: []
        if f in BLANK
        else [
            face(200 + f / 3 + rng.normal(0, 0.4), 300.1, 101.7, score=0.9 - f * 1e-4),
            face(700.3, 310 + rng.normal(0, 0.4), 88.9, score=1 / 3),
        ]
        for f in FRAMES
    }
    tracks = link_tracks(per_frame)
    photo = tmp_path / "source.png"
    photo.write_bytes(b"not really a png, but bytes to hash")
    data = TrackFile(
        plate="sh010/plate.####.exr",
        frames=FRAMES,
        image_size=(1920, 1080),
        detector=DetectorInfo("scrfd_10g_bnkps", {"threshold": 0.6, "input_size": [640, 640]}),
        sources=[SourceRecord.of(photo)],
        tracks=[record_from_track(t, FRAMES) for t in tracks],
        tracking={"max_gap": 3, "smoothing_radius": 2},
    )
    first = data.tracks[0]
    first.source = 0
    first.exposure_gain = 1 / 3
    first.fields["note"] = "hero"
    data.set_mask_params(
        first.id, 0, erode=0.1 + 0.2, sigma_x=np.float32(7.3), sigma_y=2 / 3, brow_factor=1e-17
    )
    data.tracks[1].segment_fields[1] = {"custom": [1.5, 2.25]}
    return data


@pytest.fixture
def data(tmp_path: Path) -> TrackFile:
    return make_trackfile(tmp_path)


def test_round_trip_is_exact(tmp_path: Path, data: TrackFile) -> None:
    path = tmp_path / "shot.track.json"
    save_trackfile(path, data)
    back = load_trackfile(path)
    assert back == data
    for a, b in zip(back.tracks, data.tracks, strict=True):  # bit for bit, not just close
        assert a.kps.tobytes() == b.kps.tobytes()
        assert a.smoothed_kps.tobytes() == b.smoothed_kps.tobytes()
        assert a.boxes.tobytes() == b.boxes.tobytes()
    # The float32 detector values survive too (float32 → float64 is exact).
    assert np.array_equal(back.tracks[0].kps.astype(np.float32), back.tracks[0].kps)
    assert back.mask_params(1, 0) == {
        "erode": 0.1 + 0.2,
        "sigma_x": float(np.float32(7.3)),
        "sigma_y": 2 / 3,
        "brow_factor": 1e-17,
    }
    save_trackfile(tmp_path / "again.json", back)
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_accessors(data: TrackFile) -> None:
    t1 = data.track(1)
    assert data.kps_at(1, 1006) is None
    assert data.segment_at(1, 1006) is None
    assert data.segment_at(1, 1005) == 0 and data.segment_at(1, 1008) == 1
    i = t1.frames.index(1003)
    np.testing.assert_array_equal(data.kps_at(1, 1003), t1.smoothed_kps[i])
    np.testing.assert_array_equal(data.kps_at(1, 1003, smoothed=False), t1.kps[i])
    assert not np.array_equal(t1.kps[i], t1.smoothed_kps[i])  # the jitter was smoothed
    assert data.tracks_in(1006) == [] and data.tracks_in(1001) == [1, 2]
    assert data.mask_params(1, 1) is None and data.mask_params(2, 0) is None
    with pytest.raises(KeyError, match="no segment 5"):
        data.set_mask_params(1, 5, erode=1, sigma_x=1, sigma_y=1, brow_factor=1)
    with pytest.raises(KeyError, match="no track 9"):
        data.kps_at(9, 1001)


def test_source_record_hashes_the_file(tmp_path: Path) -> None:
    photo = tmp_path / "me.jpg"
    photo.write_bytes(b"\x00\x01abc" * 1000)
    assert SourceRecord.of(photo).sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    with pytest.raises(InputError, match=r"missing\.jpg: cannot read the source photo"):
        SourceRecord.of(tmp_path / "missing.jpg")


def test_write_is_atomic(tmp_path: Path, data: TrackFile) -> None:
    path = tmp_path / "shot.track.json"
    path.write_text("previous version\n")
    save_trackfile(path, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.track.json", "source.png"]
    good = path.read_bytes()

    data.tracks[-1].fields["bad"] = object()  # fails late, in the middle of the stream
    with pytest.raises(TypeError):
        save_trackfile(path, data)
    data.tracks[-1].fields["bad"] = float("nan")
    with pytest.raises(OutputError, match="NaN"):
        save_trackfile(path, data)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.track.json", "source.png"]


def _document(tmp_path: Path, data: TrackFile) -> dict:
    path = tmp_path / "good.json"
    save_trackfile(path, data)
    return json.loads(path.read_text())


def _edit(doc: dict, change: str) -> dict:
    doc = json.loads(json.dumps(doc))
    t0 = doc["tracks"][0]
    if change == "missing kps":
        del t0["kps"]
    elif change == "short box":
        t0["boxes"][2] = t0["boxes"][2][:3]
    elif change == "short scores":
        t0["scores"].pop()
    elif change == "text score":
        t0["scores"][0] = "high"
    elif change == "stray frame":
        t0["frames"][-1] = 5000
    elif change == "bad size":
        doc["image_size"] = [1920]
    elif change == "missing tracks":
        del doc["tracks"]
    elif change == "repeated id":
        doc["tracks"][1]["id"] = t0["id"]
    elif change == "unsorted frames":
        t0["frames"][0], t0["frames"][1] = t0["frames"][1], t0["frames"][0]
    elif change == "nan gain":
        t0["exposure_gain"] = float("nan")
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing kps", r"tracks\[0\]\.kps is missing"),
        ("short box", r"tracks\[0\]\.boxes must be a list of shape \['n', 4\]"),
        ("short scores", r"tracks\[0\] is inconsistent"),
        ("text score", r"tracks\[0\]\.scores must be a finite number"),
        ("stray frame", r"track 1 frames \[5000\] are not in the shot's frame list"),
        ("bad size", r"image_size must be \[width, height\]"),
        ("missing tracks", r"tracks is missing"),
        ("repeated id", r"repeat a track id"),
        ("nan gain", r"exposure_gain must be a finite number"),
        ("unsorted frames", r"track 1 frames must be increasing"),
    ],
)
def test_schema_errors_name_file_field_and_fix(
    tmp_path: Path, data: TrackFile, change: str, message: str
) -> None:
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(_edit(_document(tmp_path, data), change)))
    with pytest.raises(InputError, match=message) as info:
        load_trackfile(path)
    assert str(path) in str(info.value) and "re-run `ghostswap track`" in str(info.value)


def test_corrupt_files_raise_input_errors(tmp_path: Path, data: TrackFile) -> None:
    good = tmp_path / "good.json"
    save_trackfile(good, data)
    text = good.read_text()

    def expect(name: str, content: str | None, pattern: str) -> None:
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        with pytest.raises(InputError, match=pattern) as info:
            load_trackfile(path)
        assert str(path) in str(info.value)

    expect("missing.json", None, "track file not found; check the path or run `ghostswap track`")
    expect("truncated.json", text[: len(text) // 2], "looks truncated.*re-run `ghostswap track`")
    expect("empty.json", "", "empty.*re-run `ghostswap track`")
    expect("garbage.json", "frames: 1001-1012\n", "not valid JSON.*re-run `ghostswap track`")
    expect("other.json", json.dumps({"format": "something-else", "version": 1}), "not a GhostSwap track file")
    expect("list.json", "[1, 2]", "not a GhostSwap track file")
    newer = json.loads(text)
    newer["version"] = 3
    expect("newer.json", json.dumps(newer), "version 3 was written by a newer GhostSwap.*upgrade GhostSwap")
    (tmp_path / "folder.json").mkdir()
    expect("folder.json", None, "is a folder")
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    expect("binary.json", None, "not a text file")
