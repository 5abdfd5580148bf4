"""The extension package: manifest, install from the built zip, no engine imports, and the
ghostswap command helpers (farm fallback, errors) against the real CLI."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.hosts.blender.conftest import PLUGIN_DIR, run_bpy
from tests.hosts.blender.test_blender_bake import build_zip
from tests.shots import ASSETS

PACKAGE = PLUGIN_DIR / "ghostswap_blender"
PHOTO = ASSETS / "faces" / "elon_musk.jpg"


def pure_module(name: str) -> ModuleType:
    """runner.py / jobfile.py need no bpy: load them straight from the package folder."""
    spec = importlib.util.spec_from_file_location(f"ghostswap_blender_{name}", PACKAGE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def test_manifest_declares_the_extension() -> None:
    manifest = tomllib.loads((PACKAGE / "blender_manifest.toml").read_text())
    assert manifest["schema_version"] == "1.0.0"
    assert manifest["id"] == "ghostswap" and manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "4.2.0"
    assert "runs the ghostswap command" in manifest["permissions"]["files"].lower()


def test_extension_never_imports_the_engine() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] in ("torch", "ghost_core")], (path, names)


def test_zip_installs_enables_and_disables_cleanly(
    bpy_python: Path, ghostswap_exe: str, tmp_path: Path
) -> None:
    resources = tmp_path / "user resources"
    resources.mkdir()
    report = run_bpy(
        bpy_python,
        "install_extension.py",
        str(build_zip(tmp_path)),
        ghostswap_exe,
        str(tmp_path / "r.json"),
        env={"BLENDER_USER_RESOURCES": str(resources)},
    )
    assert report == {
        "install": ["FINISHED"],
        "enabled": True,
        "operators": ["bake", "farm_bake", "load", "build_group"],
        "labels": ["GhostSwap: Bake", "GhostSwap: Farm bake"],
        "panel": ["NODE_EDITOR", "UI"],
        "scene_settings": True,
        "preferences": [ghostswap_exe, ""],
        "build_group": ["FINISHED"],
        "group": "CompositorNodeTree",
        "disabled_cleanly": True,
        "torch_or_core_imported": [],
    }
    assert (resources / "extensions" / "user_default" / "ghostswap" / "blender_manifest.toml").is_file()


def test_farm_bake_submits_or_names_the_two_farm_steps(
    ghostswap_exe: str, short_plate: str, tmp_path: Path
) -> None:
    runner, jobfile = pure_module("runner"), pure_module("jobfile")
    request = jobfile.BakeRequest(
        node="GhostSwap",
        cache_root=str(tmp_path / "cache"),
        sources=[str(PHOTO)],
        first=1001,
        last=1004,
        colorspace="ACEScg",
        swapper="morph",
    )
    job_data = jobfile.build_job(request)
    job_data["plate"] = short_plate
    job = jobfile.write_job(tmp_path / "node dir" / "job.json", job_data)
    has_farm = subprocess.run([ghostswap_exe, "farm", "--help"], capture_output=True).returncode == 0
    plan = runner.farm_bake(ghostswap_exe, job, "openjd", tmp_path / "farm", "1001-1004")
    assert plan.submitted == has_farm
    if has_farm:
        assert plan.argv == [
            ghostswap_exe,
            "farm",
            "submit",
            "--job",
            str(job),
            "--manager",
            "openjd",
            "--out",
            str(tmp_path / "farm"),
            "--json",
        ]
        assert plan.summary["files"] and all(Path(f).is_file() for f in plan.summary["files"])
        assert plan.summary["submit"][0] in plan.message
        return
    assert plan.summary["commands"] == [
        [ghostswap_exe, "track", "--job", str(job)],
        [ghostswap_exe, "render", "--job", str(job), "--frames", "1001-1004"],
    ]
    assert f"'{job}'" in plan.message and "--frames 1001-1004" in plan.message


def test_engine_errors_reach_the_user_with_the_file_named(ghostswap_exe: str, tmp_path: Path) -> None:
    runner, jobfile = pure_module("runner"), pure_module("jobfile")
    request = jobfile.BakeRequest(
        node="Ghost Swap/1",
        cache_root=str(tmp_path),
        sources=[str(PHOTO)],
        first=1001,
        last=1004,
        colorspace="Linear Rec.709 (sRGB)",  # a name in the built-in config (no Blender config here)
    )
    job = jobfile.build_job(request)
    path = jobfile.write_job(jobfile.node_dir(tmp_path, request.node) / "job.json", job)
    assert path.parent.name == "Ghost_Swap_1"
    summary = runner.run_json(runner.check_command(ghostswap_exe, path))  # valid job, not baked
    assert summary["output"] == str(tmp_path / "Ghost_Swap_1" / summary["params_hash"] / "swap.####.exr")
    job["matte"]["erod"] = 2
    path.write_text(json.dumps(job))
    with pytest.raises(runner.GhostSwapCommandError, match=r"job check failed \(exit 3\).*matte\.erod"):
        runner.run_json(runner.check_command(ghostswap_exe, path))
    with pytest.raises(runner.GhostSwapCommandError, match="Preferences"):
        runner.find_executable(str(tmp_path / "missing" / "ghostswap"))
