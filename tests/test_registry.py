"""The extension-point registries: their names, their errors, the CLI built from them, plugins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.engine.summary import FarmStats, RenderSummary
from ghost_core.errors import UsageError
from ghost_core.evaluation import RECOGNISERS
from ghost_core.executors import EXECUTORS, Executor, ExecutorOptions, open_executor
from ghost_core.faces import LANDMARKERS
from ghost_core.faces.detectors import DETECTORS, open_detector
from ghost_core.farm import FARM_MANAGERS
from ghost_core.knobs import SWAPPERS as SWAPPER_CHOICES
from ghost_core.knobs import ShotSettings
from ghost_core.registry import Registry
from ghost_core.swappers import SWAPPERS
from tests.shots import write_plate_frame

EXPECTED = {
    "face detector": (DETECTORS, ("auto", "scrfd", "retinaface")),
    "landmarker": (LANDMARKERS, ("auto", "106", "mesh")),
    "recogniser": (RECOGNISERS, ("auto", "glintr100")),
    "swapper": (SWAPPERS, ("auto", "ghost", "morph")),
    "executor": (EXECUTORS, ("local", "ray")),
    "farm manager": (FARM_MANAGERS, ("openjd", "deadline", "opencue", "tractor")),
}
ALL = [registry for registry, _ in EXPECTED.values()]


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_each_registry_lists_its_names(kind: str) -> None:
    registry, names = EXPECTED[kind]
    assert registry.kind == kind
    assert registry.names() == names
    assert all(entry.help and "\n" not in entry.help for entry in registry.entries())


def test_file_forms_and_the_knob_choices() -> None:
    assert "models/my_scrfd.ONNX" in DETECTORS and "glint.onnx" in RECOGNISERS
    assert "face.onnx" not in LANDMARKERS and "x.onnx" not in SWAPPERS
    assert SWAPPERS.names() == SWAPPER_CHOICES  # the knob table's choices are the registry's


@pytest.mark.parametrize("registry", ALL, ids=lambda r: r.kind)
def test_every_declared_target_imports(registry: Registry[Any]) -> None:
    """A renamed class or module fails here, not on a user's first render."""
    for name in registry.names():
        assert callable(registry.factory(name)), name


@pytest.mark.parametrize("registry", ALL, ids=lambda r: r.kind)
def test_unknown_names_are_usage_errors_naming_the_known_ones(registry: Registry[Any]) -> None:
    with pytest.raises(UsageError) as info:
        registry.create("no-such-thing")
    message = str(info.value)
    assert "no-such-thing" in message and registry.kind in message
    assert all(name in message for name in registry.names()), message


def test_the_engine_lookups_refuse_unknown_names() -> None:
    from ghost_core.cli.farm import builder
    from ghost_core.engine.shot import open_swapper
    from ghost_core.evaluation.recogniser import open_recogniser
    from ghost_core.faces.landmarks import open_landmarker

    with pytest.raises(UsageError, match=r"auto, scrfd or retinaface, or FILE\.onnx"):
        open_detector("yolo")
    with pytest.raises(UsageError, match="auto, 106 or mesh"):
        open_landmarker("dlib")
    with pytest.raises(UsageError, match=r"auto or glintr100, or FILE\.onnx"):
        open_recogniser("facenet")
    with pytest.raises(UsageError, match="auto, ghost or morph"):
        open_swapper(ShotSettings(plate="p.exr", sources=[], swapper="simswap"))
    with pytest.raises(UsageError, match="local or ray"):
        open_executor(ExecutorOptions("slurm"))
    with pytest.raises(UsageError, match="openjd, deadline, opencue or tractor"):
        builder("royal-render")


def test_farm_managers_are_their_modules() -> None:
    from ghost_core.farm import openjd

    assert FARM_MANAGERS.create("openjd") is openjd


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return capsys.readouterr().out


def test_cli_help_lists_the_registries(capsys: pytest.CaptureFixture[str]) -> None:
    render = _help(capsys, "render")
    for registry in (DETECTORS, LANDMARKERS, SWAPPERS, EXECUTORS):
        for name in registry.names():
            assert f"{name}:" in render or f"{name} (default):" in render, (registry.kind, name)
    assert "{auto,106,mesh}" in render and "{local,ray}" in render and "{auto,ghost,morph}" in render
    farm = _help(capsys, "farm", "submit")
    assert "{openjd,deadline,opencue,tractor}" in farm
    assert all(f"{name}:" in farm for name in FARM_MANAGERS.names())
    evaluation = _help(capsys, "eval")
    assert all(name in evaluation for name in RECOGNISERS.names()) and "FILE.onnx" in evaluation
    for argv in (("eval",), ("dataset", "prepare"), ("dataset", "shot"), ("track",)):
        text = _help(capsys, *argv)
        assert all(f"{name}" in text for name in DETECTORS.names()), argv


# ---- plugins: a temporary entry is found by the same lookups the engine and the CLI use ----


class DummyDetector:
    name = "dummy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def detect(self, image: np.ndarray) -> list[Any]:
        return []


class DummyExecutor(Executor):
    name = "dummy"

    def render(self, settings: ShotSettings, track: Any = None, *, frames: Any = None) -> RenderSummary:
        farm = FarmStats(self.name, workers=self.options.workers or 1, chunks=0)
        return RenderSummary(plate=settings.plate, output=settings.frames or "", frames=0, farm=farm)


def test_a_registered_detector_comes_back_from_open_detector() -> None:
    DETECTORS.add("dummy", f"{__name__}:DummyDetector", "a test detector that finds nothing")
    try:
        detector = open_detector("dummy", threshold=0.25)
        assert isinstance(detector, DummyDetector) and detector.threshold == 0.25
        assert detector.detect(np.zeros((4, 4, 3), np.float32)) == []
        assert "dummy: a test detector" in DETECTORS.help_text()
    finally:
        DETECTORS.remove("dummy")
    assert "dummy" not in DETECTORS
    with pytest.raises(UsageError, match="unknown face detector 'dummy'"):
        open_detector("dummy")


def test_a_registered_executor_runs_from_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # render checks the plate's headers before any executor runs
    for frame in (1001, 1002, 1003):
        write_plate_frame(tmp_path / f"p.{frame}.exr", np.zeros((4, 4, 3), np.float32))
    EXECUTORS.add("dummy", f"{__name__}:DummyExecutor", "a test executor that renders nothing")
    try:
        assert isinstance(open_executor(ExecutorOptions("dummy")), DummyExecutor)
        argv = ["--json", "render", "--plate", "p.####.exr", "--source", "a.png", "--out", "o.####.exr"]
        assert main([*argv, "--frames", "1001-1003", "--executor", "dummy", "--workers", "3"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["ok"], summary["command"], summary["executor"]) == (True, "render", "dummy")
        assert (summary["plate"], summary["output"], summary["workers"]) == ("p.####.exr", "1001-1003", 3)
    finally:
        EXECUTORS.remove("dummy")
    assert EXECUTORS.names() == ("local", "ray")


def test_an_implementation_missing_the_protocol_is_refused() -> None:
    class Thing(Protocol):
        name: str

        def run(self) -> None: ...

    class Half:
        name = "half"

    things: Registry[Thing] = Registry("thing", Thing)
    things.add("half", Half, "has a name, no run()")
    with pytest.raises(TypeError, match="does not implement Thing: it has no run"):
        things.create("half")
    with pytest.raises(ValueError, match="already registered"):
        things.add("half", Half, "again")


def test_the_file_form_gets_the_path() -> None:
    class Made:
        name = "file"

        def __init__(self, path: str, scale: int = 1) -> None:
            self.path, self.scale = path, scale

        def run(self) -> None: ...

    things: Registry[Any] = Registry("thing", object)
    things.add("plain", Made, "needs a path")
    things.add_files(".bin", Made, "a file")
    made = things.create("weights/A.BIN", scale=2)
    assert (made.path, made.scale) == ("weights/A.BIN", 2)
    assert things.choices_text() == "plain, or FILE.bin"
    with pytest.raises(UsageError, match=r"use plain, or FILE\.bin"):
        things.create("weights.pt")


def test_declaring_imports_no_implementation() -> None:
    """Building the CLI reads every registry; none of the modules they name may be imported yet."""
    targets = sorted(
        {e.target.partition(":")[0] for r in ALL for e in r.entries() if isinstance(e.target, str)}
    )
    probe = (
        "import sys, ghost_core.cli as cli; cli.build_parser(); "
        f"print([m for m in {targets!r} + ['torch', 'onnxruntime', 'cv2', 'ray'] if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
