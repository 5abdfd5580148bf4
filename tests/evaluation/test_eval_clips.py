"""`ghostswap eval` on GHOST's own results: elon.webp and mark.webp are orig.webp swapped to
elon_musk.jpg and mark.jpg, so each must score as its source and the original as the target, and a
wrong pairing (shifted or mirrored original) must score worse on pose than the true one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.errors import InputError, UsageError
from ghost_core.evaluation.clips import read_clip
from ghost_core.evaluation.evaluate import EvalSettings, evaluate
from tests.conftest import SHARED
from tests.engine.conftest import colour_path, write_plate_frame
from tests.identity_metric import MODEL

ASSETS = SHARED / "assets"
ELON, MARK = str(ASSETS / "faces" / "elon_musk.jpg"), str(ASSETS / "faces" / "mark.jpg")
ORIG = str(ASSETS / "video" / "orig.webp")
STEP = 4  # every 4th frame: 17 of 66, enough for the medians and fast on 2 cores


def clip(name: str) -> str:
    path = ASSETS / "video" / name
    if not path.is_file():
        pytest.fail(f"{path} missing; CI needs ../shared beside the checkout")
    return str(path)


def run(
    result: str, original: str = ORIG, sources: tuple[str, ...] = (ELON, MARK), **kw: Any
) -> dict[str, Any]:
    settings = EvalSettings(
        result=result,
        original=original,
        sources=[[s] for s in sources],
        recogniser=str(MODEL),
        step=STEP,
        **kw,
    )
    return evaluate(settings)["summary"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = {
        "mark": run(clip("mark.webp"), sources=(MARK, ELON)),
        "orig": run(clip("orig.webp")),
        "shifted": run(clip("elon.webp"), offset=12),
    }
    # The original mirrored left-right, as an ACEScg EXR sequence: exercises the EXR colour path too.
    folder = tmp_path_factory.mktemp("flipped")
    color = colour_path()
    for i, rgb in enumerate(read_clip(ORIG).images):
        write_plate_frame(
            folder / f"flip.{1001 + i:04d}.exr", color.from_model(np.ascontiguousarray(rgb[:, ::-1]))
        )
    out["flipped"] = run(clip("elon.webp"), original=str(folder / "flip.####.exr"))
    return out


@pytest.fixture(scope="module")
def elon(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The CLI run: --json summary on stdout, eval.json and eval.html in --out."""
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("eval")
    argv = ["--json", "-q", "eval", clip("elon.webp"), ORIG, "--source", ELON, "--source", MARK]
    argv += ["--gallery", str(ASSETS / "faces" / "obama.jpg"), str(ASSETS / "faces" / "biden.jpg")]
    argv += ["--recogniser", str(MODEL), "--step", str(STEP), "--out", str(folder)]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(argv) == 0
    return json.loads(stdout.getvalue()), folder


def test_each_result_is_retrieved_as_its_own_source(elon: Any, reports: dict[str, Any]) -> None:
    summary = elon[0]["summary"]
    assert summary["frames"]["scored"] >= 15, summary["frames"]
    for report, own, other in ((summary, "elon_musk", "mark"), (reports["mark"], "mark", "elon_musk")):
        ident = report["identity"]
        assert ident["expected"] == own
        assert ident["result"]["retrieval_top1"] > 0.8, ident
        cos = ident["result"]["mean_cos_source"]
        assert cos[own] > cos[other] + 0.3, cos
        assert cos[own] > ident["result"]["mean_cos_target"], ident


def test_the_original_clip_is_retrieved_as_the_target(elon: Any, reports: dict[str, Any]) -> None:
    for report in (elon[0]["summary"], reports["orig"]):
        assert report["identity"]["original"]["retrieval_top1_target"] > 0.8
        assert max(report["identity"]["original"]["mean_cos_source"].values()) < 0.3
    orig = reports["orig"]["identity"]["result"]
    assert orig["top1_counts"] == {"target": reports["orig"]["frames"]["scored"]}


def test_pose_of_a_ghost_result_is_close_and_a_wrong_pairing_is_worse(
    elon: Any, reports: dict[str, Any]
) -> None:
    true = elon[0]["summary"]["pose_error_deg"]["mean"]
    assert true < 4.0, elon[0]["summary"]["pose_error_deg"]
    assert reports["orig"]["pose_error_deg"]["mean"] == 0.0
    assert reports["shifted"]["pose_error_deg"]["mean"] > 1.5 * true, reports["shifted"]["pose_error_deg"]
    assert reports["flipped"]["pose_error_deg"]["mean"] > 1.5 * true, reports["flipped"]["pose_error_deg"]
    assert reports["shifted"]["expression_error_iod"] > elon[0]["summary"]["expression_error_iod"]


def test_jitter_of_a_ghost_result_is_near_the_original(elon: Any, reports: dict[str, Any]) -> None:
    jitter = elon[0]["summary"]["jitter"]
    assert 0.8 < jitter["ratio"] < 1.5, jitter
    assert reports["orig"]["jitter"]["ratio"] == 1.0


def test_report_files_are_complete_and_self_contained(elon: Any) -> None:
    payload, folder = elon
    assert payload["report"] == {"json": str(folder / "eval.json"), "html": str(folder / "eval.html")}
    report = json.loads((folder / "eval.json").read_text())
    frames = report["per_frame"]
    n = report["summary"]["frames"]["sampled"]
    assert frames["frame_result"] == list(range(0, STEP * n, STEP))
    assert len(frames["cos_source"]["elon_musk"]) == len(frames["pose_error_deg"]) == n
    assert report["summary"]["identity"]["gallery"] == ["elon_musk", "mark", "target", "obama", "biden"]
    page = (folder / "eval.html").read_text()
    assert page.count("<svg") == 4 and "<polyline" in page
    assert "src=" not in page and "href=" not in page  # nothing to fetch: one file
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_video_decoding_and_sampling() -> None:
    video = read_clip(clip("dance.mp4"), step=5, start=3, limit=4)
    assert video.labels == [3, 8, 13, 18]
    assert video.images[0].dtype == np.float32 and video.images[0].shape == (560, 464, 3)
    assert float(video.images[0].min()) >= 0.0 and float(video.images[0].max()) <= 1.0
    webp = read_clip(ORIG, step=STEP)
    assert len(webp) == 17 and webp.labels[-1] == 64


def test_bad_inputs_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="clip not found"):
        read_clip(tmp_path / "missing.mp4")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="unknown clip type"):
        read_clip(tmp_path / "notes.txt")
    with pytest.raises(UsageError, match="source"):
        evaluate(EvalSettings(result=ORIG, original=ORIG, sources=[], recogniser=str(MODEL)))
