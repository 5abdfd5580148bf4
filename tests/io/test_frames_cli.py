"""`ghostswap frames info|convert`: streaming, resume, bit-exact pass-through and every bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

import ghost_core.io.convert as convert_module
import ghost_core.io.exr as exr_module

H, W = 36, 64
FRAMES = (1001, 1002, 1003)


def _sequence(exr, folder: Path, frames=FRAMES, alpha: bool = True, name: str = "plate") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        rgba = exr.plate(H, W, seed=frame).astype(np.float16)
        channels = "RGBA" if alpha else "RGB"
        planes = {c: rgba[..., i] for i, c in enumerate(channels)}
        planes["depth.Z"] = np.full((H, W), float(frame), np.float32)
        exr.write(folder / f"{name}.{frame:04d}.exr", planes, ["half"] * len(channels) + ["float"])
    return str(folder / f"{name}.####.exr")


def _listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_info_reports_layout_colour_and_problems(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1001, 1002, 1004))
    path = tmp_path / "in" / "plate.1002.exr"
    rgba = exr.plate(H, W).astype(np.float16)
    rgba[0, :3, 0] = [np.nan, np.inf, -np.inf]
    exr.write(
        path,
        {**{c: rgba[..., i] for i, c in enumerate("RGBA")}, "depth.Z": np.ones((H, W), np.float32)},
        ["half"] * 4 + ["float"],
        attributes={"oiio:ColorSpace": "lin_rec709"},
    )
    code, out, _ = run_cli("--json", "frames", "info", pattern)
    assert code == 0
    report = json.loads(out)
    assert report["frame_count"] == 3 and report["missing"] == "1003"
    assert report["channels"] == {"R": "half", "G": "half", "B": "half", "A": "half", "depth.Z": "float"}
    assert report["data_window"] == [0, 0, W, H]
    assert report["colorspace"]["name"] == "ACEScg"  # first frame has no metadata: scene_linear role
    assert report["pixel_counts"]["R"]["nan"] == 1
    assert report["pixel_counts"]["R"]["inf"] == 2 and report["pixel_counts"]["R"]["negative"] >= 1
    assert report["frames_with_nan_or_inf"] == "1002"

    code, out, _ = run_cli("frames", "info", str(path), "--headers-only")
    assert code == 0
    assert "Linear Rec.709 (sRGB)" in out and "metadata oiio:ColorSpace" in out


def test_convert_copies_bit_exact_and_resumes(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in")
    out_pattern = str(tmp_path / "out" / "swap.%04d.exr")
    code, out, err = run_cli("--json", "frames", "convert", "--in", pattern, "--out", out_pattern)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["written"] == 3 and summary["skipped_complete"] == 0
    for frame in FRAMES:
        _, before = exr.read(tmp_path / "in" / f"plate.{frame}.exr")
        spec, after = exr.read(tmp_path / "out" / f"swap.{frame}.exr")
        for name, plane in before.items():
            assert np.array_equal(exr.bits(after[name]), exr.bits(plane)), name
        assert np.all(after["ghost.matte"] == 0)
        assert spec.get_int_attribute("ghost:source_frame") == frame

    os.remove(tmp_path / "out" / "swap.1002.exr")
    (tmp_path / "out" / "swap.1003.exr").write_bytes(b"interrupted")
    code, out, _ = run_cli("--json", "frames", "convert", "--in", pattern, "--out", out_pattern)
    summary = json.loads(out)
    assert (summary["written"], summary["skipped_complete"]) == (2, 1)
    code, out, _ = run_cli(
        "--json", "frames", "convert", "--in", pattern, "--out", out_pattern, "--overwrite"
    )
    assert json.loads(out)["written"] == 3
    assert _listing(tmp_path / "out") == ["swap.1001.exr", "swap.1002.exr", "swap.1003.exr"]


def test_roundtrip_touches_only_the_region(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(7,))
    src = tmp_path / "in" / "plate.0007.exr"
    rgba = exr.plate(H, W, peak=16.0).astype(np.float16)
    rgba[0, 0, 0], rgba[1, 1, 1], rgba[2, 2, 2] = np.nan, np.inf, -3.0  # outside the face
    raw = np.array([0x7C01], np.uint16).view(np.float16)[0]  # signalling-NaN payload
    rgba[3, 3, 0] = raw
    exr.write(src, {c: rgba[..., i] for i, c in enumerate("RGBA")})
    code, out, err = run_cli(
        "--json", "frames", "convert", "--in", pattern, "--out", str(tmp_path / "o.@.exr"),
        "--roundtrip", "--region", "20,10,30,20", "--grey", "--colorspace", "lin_rec709",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["roundtrip_max_abs_error"] < 1e-4
    assert summary["frames_with_nan_or_inf"] == [7]
    assert summary["plate_colorspaces"] == ["Linear Rec.709 (sRGB)"]
    assert "NaN/Inf" in err
    spec, after = exr.read(tmp_path / "o.7.exr")
    matte = after["ghost.matte"]
    assert matte[10:30, 20:50].min() == 1.0 and matte.sum() == 30 * 20
    outside = matte == 0
    for i, c in enumerate("RGBA"):
        assert np.array_equal(after[c].view(np.uint16)[outside], rgba[..., i].view(np.uint16)[outside])
    assert np.abs(after["R"][10:30, 20:50].astype(np.float32) - rgba[10:30, 20:50, 0]).max() <= 0.01
    assert after["G"][0, 0] == 16.0 and after["B"][0, 0] == 16.0  # highlights outside are never clipped
    assert spec.get_float_attribute("ghost:exposure_gain") > 0


def test_to_model_writes_the_network_view(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,))
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "m.$F4.exr"), "--to-model"
    )
    assert code == 0, err
    spec, planes = exr.read(tmp_path / "m.0001.exr")
    assert list(spec.channelnames) == ["R", "G", "B", "A"]
    assert spec.get_string_attribute("ghost:colorspace") == "sRGB Encoded Rec.709 (sRGB)"
    assert (
        max(float(planes[c].max()) for c in "RGB") <= 1.0
        and min(float(planes[c].min()) for c in "RGB") >= 0.0
    )


def test_matte_as_its_own_sequence(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1, 2))
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "o.####.exr"),
        "--matte-out", str(tmp_path / "mattes" / "m.####.exr"), "--roundtrip", "--region", "0,0,8,8",
    )  # fmt: skip
    assert code == 0, err
    assert _listing(tmp_path / "mattes") == ["m.0001.exr", "m.0002.exr"]
    spec, _ = exr.read(tmp_path / "o.0001.exr")
    assert "ghost.matte" not in spec.channelnames


def test_plate_without_alpha_converts_to_rgba_plus_matte(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,), alpha=False)
    code, _, err = run_cli("frames", "convert", "--in", pattern, "--out", str(tmp_path / "o.####.exr"))
    assert code == 0, err
    spec, planes = exr.read(tmp_path / "o.0001.exr")
    assert list(spec.channelnames) == ["R", "G", "B", "A", "depth.Z", "ghost.matte"]
    assert np.all(planes["A"] == 1.0)


# --- bad input: the error names the file, exit code says what kind, and nothing is written ---------


def test_missing_frame_in_range(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1001, 1002, 1004, 1005))
    out = str(tmp_path / "out" / "o.####.exr")
    code, _, err = run_cli("frames", "convert", "--in", pattern, "--out", out, "--frames", "1001-1006")
    assert code == 3
    assert "plate.####.exr" in err and "2 of 6 frames missing: 1003,1006" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage", ["truncate", "corrupt_data", "garbage", "png"])
def test_damaged_frame_is_named_and_nothing_written(tmp_path: Path, exr, run_cli, damage: str) -> None:
    pattern = _sequence(exr, tmp_path / "in")
    bad = tmp_path / "in" / "plate.1002.exr"
    data = bad.read_bytes()
    if damage == "truncate":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "corrupt_data":
        bad.write_bytes(data[:-200] + bytes(b ^ 0xFF for b in data[-200:]))
    elif damage == "garbage":
        bad.write_bytes(b"this is not an image at all\n" * 10)
    else:
        png = tmp_path / "x.png"
        out = oiio.ImageOutput.create(str(png))
        out.open(str(png), oiio.ImageSpec(8, 8, 3, "uint8"))
        out.write_image(np.zeros((8, 8, 3), np.uint8))
        out.close()
        os.replace(png, bad)
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "out" / "o.####.exr")
    )
    assert code == 3, err
    assert "plate.1002.exr" in err and "Traceback" not in err
    if damage == "png":
        assert "png file with an .exr name" in err
    assert _listing(tmp_path / "out") == []


def test_unknown_colorspace(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,))
    out = str(tmp_path / "out" / "o.####.exr")
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", out, "--roundtrip", "--colorspace", "ACEScgg"
    )
    assert code == 2
    assert "unknown colour space 'ACEScgg'" in err and "ACEScg" in err
    assert not (tmp_path / "out").exists()


def test_output_folder_is_a_file(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,))
    (tmp_path / "blocker").write_text("I am a file")
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "blocker" / "o.####.exr")
    )
    assert code == 6
    assert "blocker" in err and "is a file" in err
    assert (tmp_path / "blocker").read_text() == "I am a file"


def test_output_folder_not_writable(tmp_path: Path, exr, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,))
    real_access = os.access
    target = tmp_path / "locked"
    target.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == target else real_access(p, mode))
    code, _, err = run_cli("frames", "convert", "--in", pattern, "--out", str(target / "o.####.exr"))
    assert code == 6 and "not writable" in err and "locked" in err
    assert _listing(target) == []


@pytest.mark.parametrize(
    "out_name", ["plate.####.exr", "plate.%04d.exr", "plate.$F4.exr", "../in/plate.@@@@.exr"]
)
def test_output_equal_to_input_is_refused_before_reading(
    tmp_path: Path, exr, run_cli, monkeypatch: pytest.MonkeyPatch, out_name: str
) -> None:
    pattern = _sequence(exr, tmp_path / "in")
    (tmp_path / "other").mkdir()
    before = {p: p.read_bytes() for p in (tmp_path / "in").iterdir()}

    def no_reading(*args, **kwargs):
        raise AssertionError("an input was opened")

    monkeypatch.setattr(exr_module.oiio.ImageInput, "open", no_reading)
    monkeypatch.setattr(convert_module, "plate_headers", no_reading)
    out = (
        str(tmp_path / "in" / out_name)
        if not out_name.startswith("..")
        else str(tmp_path / "other" / out_name)
    )
    code, _, err = run_cli("frames", "convert", "--in", pattern, "--out", out)
    assert code == 6, err
    assert "would overwrite the input" in err
    assert {p: p.read_bytes() for p in (tmp_path / "in").iterdir()} == before


def test_nan_inf_negative_survive_convert_bit_exact(tmp_path: Path, exr, run_cli) -> None:
    rgba = exr.plate(H, W).astype(np.float32)
    rgba[0, 0] = [np.nan, np.inf, -np.inf, -0.0]
    rgba[5, 5, :3] = -12.5
    nan_payload = np.array([0x7FC0_1234], np.uint32).view(np.float32)[0]
    rgba[6, 6, 0] = nan_payload
    src = exr.write(tmp_path / "float.exr", {c: rgba[..., i] for i, c in enumerate("RGBA")})
    for mode in ([], ["--roundtrip", "--region", "40,20,10,10"]):
        out = tmp_path / f"out{len(mode)}.exr"
        code, _, err = run_cli("frames", "convert", "--in", str(src), "--out", str(out), *mode)
        assert code == 0, err
        _, planes = exr.read(out)
        outside = planes["ghost.matte"] == 0
        for i, c in enumerate("RGBA"):
            assert np.array_equal(planes[c].view(np.uint32)[outside], rgba[..., i].view(np.uint32)[outside])


def test_corruption_found_mid_run_keeps_finished_frames_only(tmp_path: Path, exr, run_cli) -> None:
    """A broken middle chunk passes the up-front check (last chunk); the frame fails when read, unwritten."""
    pattern = _sequence(exr, tmp_path / "in")
    bad = tmp_path / "in" / "plate.1002.exr"
    data = bytearray(bad.read_bytes())
    start = len(data) // 3
    data[start : start + 64] = bytes(64)
    bad.write_bytes(bytes(data))
    out_dir = tmp_path / "out"
    code, _, err = run_cli("frames", "convert", "--in", pattern, "--out", str(out_dir / "o.####.exr"))
    assert code == 3, err
    assert "plate.1002.exr" in err
    assert _listing(out_dir) == ["o.1001.exr"]  # no temp file, no 1002, 1003 not reached


def test_usage_errors(tmp_path: Path, exr, run_cli) -> None:
    pattern = _sequence(exr, tmp_path / "in", frames=(1,))
    single = str(tmp_path / "in" / "plate.0001.exr")
    code, _, err = run_cli("frames", "convert", "--in", single, "--out", str(tmp_path / "o.####.exr"))
    assert code == 2 and "both be sequences" in err
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "o.####.exr"), "--grey"
    )
    assert code == 2 and "--grey" in err
    code, _, err = run_cli(
        "frames", "convert", "--in", pattern, "--out", str(tmp_path / "o.####.exr"), "--region", "0,0,4,4"
    )
    assert code == 2 and "--region" in err
    code, _, err = run_cli("frames", "info", pattern, "--frames", "1-x")
    assert code == 2 and "--frames" in err
    assert _listing(tmp_path) == ["in"]
