"""The executor/engine seam: frames as an argument, one Renderer builder, one typed summary.

Executors hand the engine chunks of frames; if a chunk travelled inside ShotSettings (as it once
did), a warm Shot or a reused settings object would carry one job's range into the next.
"""

from __future__ import annotations

import ast
import copy
import inspect
import json
from dataclasses import replace
from pathlib import Path

import pytest

import ghost_core
from ghost_core import cli
from ghost_core.engine.render import render
from ghost_core.engine.shot import render_shot
from ghost_core.engine.summary import FarmStats, RenderSummary
from ghost_core.executors.base import Executor
from ghost_core.executors.local import LocalExecutor
from ghost_core.executors.ray_executor import RayExecutor
from ghost_core.faces.trackfile import load_trackfile
from ghost_core.io.sequence import FramePattern
from ghost_core.knobs import ShotSettings
from tests.shots import ASSETS

SOURCE = str(ASSETS / "faces" / "elon_musk.jpg")
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
CLI_KEYS = {
    "plate", "output", "frames", "written", "skipped_complete", "faces_replaced", "faces_skipped",
    "skipped_faces", "warned_faces", "frames_without_face", "frames_not_selected", "seconds", "swapper",
    "track_digest", "render_digest", "model_sha256", "source_sha256",
}  # fmt: skip
RAY_KEYS = {
    "executor", "workers", "chunks", "retried_chunks", "reassigned_chunks", "lost_workers",
    "frames_per_node", "seconds_to_first_worker",
}  # fmt: skip


def _part(**counts: object) -> RenderSummary:
    base = {"plate": "p.####.exr", "output": "o.####.exr", "swapper": {"swapper": "morph"}}
    return RenderSummary(**{**base, "track_digest": "t", "render_digest": "r", **counts})  # type: ignore[arg-type]


def test_merge_adds_counts_and_unites_faceless_frames() -> None:
    a = _part(frames=3, written=2, skipped_complete=1, faces_replaced=2, seconds=1.0)
    a = replace(a, frames_without_face=(1005,))
    b = _part(frames=2, written=2, faces_replaced=1, frames_without_face=(1002, 1005), seconds=0.5)
    merged = RenderSummary.merge([a, b])
    assert (merged.frames, merged.written, merged.skipped_complete, merged.faces_replaced) == (5, 4, 1, 3)
    assert merged.frames_without_face == (1002, 1005) and merged.seconds == 1.5
    assert (merged.plate, merged.render_digest) == ("p.####.exr", "r")
    assert RenderSummary.merge([a]) == a


def test_to_dict_keeps_the_json_keys_and_adds_farm_keys_only_when_farmed() -> None:
    part = _part(frames=1, written=1, seconds=0.12345, frames_without_face=(7,))
    doc = part.to_dict()
    assert set(doc) == CLI_KEYS and doc["seconds"] == 0.123 and doc["frames_without_face"] == [7]
    json.dumps(doc)  # plain JSON values only
    farmed = replace(part, farm=FarmStats("ray", workers=2, chunks=3)).to_dict()
    assert set(farmed) == CLI_KEYS | RAY_KEYS and farmed["executor"] == "ray"


@pytest.fixture(scope="module")
def tracked(short_plate: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("seam")
    track = str(folder / "shot.json")
    argv = ["-q", "track", "--plate", short_plate, "--source", SOURCE, "--out", track, *OFFLINE]
    assert cli.main(argv) == 0
    return {"plate": short_plate, "track": track, "folder": str(folder)}


def test_local_executor_renders_the_frames_it_is_given_and_leaves_settings_alone(
    tracked: dict[str, str],
) -> None:
    out = str(Path(tracked["folder"]) / "chunks" / "swap.####.exr")
    settings = ShotSettings(
        plate=tracked["plate"], sources=[[SOURCE]], out=out, track=tracked["track"], frames="1001-1004",
        swapper="morph", detector="retinaface", landmarker="mesh",
    )  # fmt: skip
    before = copy.deepcopy(settings)
    tf = load_trackfile(tracked["track"])
    first = LocalExecutor().render(settings, tf, frames=[1003])
    assert settings == before, "the executor changed the settings it was given"
    assert (first.frames, first.written) == (1, 1) and FramePattern.parse(out).discover() == [1003]
    rest = LocalExecutor().render(settings)  # default: settings.frames, with 1003 already complete
    assert (rest.frames, rest.written, rest.skipped_complete) == (4, 3, 1)
    assert settings == before


def test_cli_json_is_the_summary_dict(tracked: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    out = str(Path(tracked["folder"]) / "json" / "swap.####.exr")
    argv = ["-q", "--json", "render", "--plate", tracked["plate"], "--source", SOURCE]
    assert cli.main([*argv, "--track", tracked["track"], "--out", out, "--frames", "1001", *OFFLINE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) - {"ok", "command"} == CLI_KEYS and doc["written"] == 1


def test_renderer_is_built_in_one_place() -> None:
    package = Path(ghost_core.__file__).parent
    builders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == (
                "Renderer"
            ):
                builders.append(str(path.relative_to(package)))
    assert builders == ["engine/shot.py"], builders


SEAM = [Executor.render, LocalExecutor.render, RayExecutor.render, render, render_shot]


@pytest.mark.parametrize("function", SEAM)
def test_seam_signatures_are_typed_without_any(function: object) -> None:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    annotations = [p.annotation for name, p in signature.parameters.items() if name != "self"]
    annotations.append(signature.return_annotation)
    assert all(a is not inspect.Parameter.empty for a in annotations), signature
    assert not any("Any" in str(a) for a in annotations), signature
    assert "RenderSummary" in str(signature.return_annotation)
