"""`ghostswap job check`: every missing or unreadable input is named, with a typed exit code, and
nothing is rendered; printed paths carry no `..`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghost_core.errors import InputError, ModelError
from tests.robustness.conftest import PHOTO, run_main, write_job, write_sequence


@pytest.fixture(autouse=True)
def _empty_model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No installed weights, whatever this machine has: the model checks must say so."""
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "models-home"))
    monkeypatch.delenv("OCIO", raising=False)


def test_a_job_whose_plate_does_not_exist_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(
        tmp_path / "shot" / "job.json", plate="../nowhere/plate.####.exr", output="out/s.####.exr"
    )
    code, out, err = run_main(["job", "check", str(job)], capsys)
    assert code == InputError.exit_code
    missing = str(tmp_path / "nowhere" / "plate.####.exr")
    assert missing in out, out
    assert ".." not in out and ".." not in err
    assert not (tmp_path / "shot" / "out").exists(), "job check must not render or create outputs"


def test_every_missing_input_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plate = write_sequence(tmp_path / "plate", frames=(1001, 1003))
    (tmp_path / "plate" / "plate.1003.exr").write_bytes(b"")  # a copy that never finished
    (tmp_path / "broken-track.json").write_text("{", encoding="utf-8")
    job = write_job(
        tmp_path / "shot" / "job.json",
        plate="../plate/plate.####.exr",
        frames="1001-1003",
        sources=[[PHOTO, "../photos/missing_a.jpg"], ["missing_b.jpg"]],
        targets={"reference_photos": ["../photos/ref_a.jpg", "../photos/ref_b.jpg"]},
        track_file="../broken-track.json",
        color={"ocio": "../config/missing.ocio"},
        output="../out/swap.####.exr",
    )
    assert Path(plate).parent == tmp_path / "plate"
    code, out, _ = run_main(["job", "check", str(job)], capsys)
    assert code == InputError.exit_code
    for needle in (
        "plate.1002.exr",  # missing frame
        str(tmp_path / "plate" / "plate.1003.exr"),  # unreadable frame, by full path
        str(tmp_path / "photos" / "missing_a.jpg"),
        str(tmp_path / "shot" / "missing_b.jpg"),
        str(tmp_path / "photos" / "ref_a.jpg"),
        str(tmp_path / "photos" / "ref_b.jpg"),
        str(tmp_path / "broken-track.json"),
        str(tmp_path / "config" / "missing.ocio"),
    ):
        assert needle in out, f"{needle} not reported:\n{out}"
    assert ".." not in out
    assert not (tmp_path / "out").exists()

    code, out, _ = run_main(["--json", "job", "check", str(job)], capsys)
    report = json.loads(out)
    assert code == InputError.exit_code and report["ok"] is False
    kinds = {p["input"] for p in report["problems"]}
    assert {"plate", "source photo", "target photo", "track file", "ocio config"} <= kinds
    assert all(".." not in p["path"] for p in report["problems"])


def test_a_named_model_that_is_not_installed_is_a_model_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_sequence(tmp_path / "plate", frames=(1001,))
    job = write_job(
        tmp_path / "job.json",
        plate="plate/plate.####.exr",
        output="out/swap.####.exr",
        swapper={"name": "ghost", "model": "ghost_unet_2blocks"},
    )
    code, out, _ = run_main(["job", "check", str(job)], capsys)
    assert code == ModelError.exit_code
    assert "ghost_unet_2blocks" in out and "not installed" in out

    unknown = write_job(
        tmp_path / "unknown.json",
        plate="plate/plate.####.exr",
        output="out/swap.####.exr",
        swapper={"name": "auto", "model": "no_such_generator"},
    )
    code, out, _ = run_main(["job", "check", str(unknown)], capsys)
    assert code == ModelError.exit_code and "no_such_generator" in out


def test_a_complete_job_passes_and_prints_normalised_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_sequence(tmp_path / "plate")
    job = write_job(
        tmp_path / "shot" / "job.json", plate="../plate/plate.####.exr", output="../out/./swap.####.exr"
    )
    code, out, err = run_main(["job", "check", str(job)], capsys)
    assert code == 0, err
    assert str(tmp_path / "out" / "swap.####.exr") in out
    assert str(tmp_path / "out" / "track-") in out
    assert ".." not in out and "/./" not in out
    code, out, _ = run_main(["--json", "job", "check", str(job)], capsys)
    summary = json.loads(out)
    assert code == 0 and summary["problems"] == []
    assert summary["output"] == str(tmp_path / "out" / "swap.####.exr")
    assert not (tmp_path / "out").exists()


def test_a_plate_the_host_writes_into_its_cache_is_not_missing_before_the_first_bake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nuke and Blender write the plate into <cache>/<node>/plate/ when they bake, and ask
    `job check` where the results go before that: not written yet is not an error there."""
    job = write_job(
        tmp_path / "cache" / "Ghost_Swap_1" / "job.json",
        plate=str(tmp_path / "cache" / "Ghost_Swap_1" / "plate" / "plate.####.exr"),
        frames="1001-1002",
        cache={"root": str(tmp_path / "cache"), "node": "Ghost Swap/1"},
    )
    code, out, err = run_main(["--json", "job", "check", str(job)], capsys)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["plate_written_by_host"] is True and summary["plate_frames"] == 0
    assert summary["output"].startswith(str(tmp_path / "cache" / "Ghost_Swap_1" / summary["params_hash"]))

    write_sequence(tmp_path / "cache" / "Ghost_Swap_1" / "plate", frames=(1001,))  # half written
    code, out, _ = run_main(["job", "check", str(job)], capsys)
    assert code == InputError.exit_code and "1 of 2 frames missing: 1002" in out
