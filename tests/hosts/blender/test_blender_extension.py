"""The extension package: manifest, install from the built zip, no engine imports, and the
ghostswap command helpers (farm fallback, errors) against the real CLI."""

from __future__ import annotations

import ast
import importlib
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


PURE_PACKAGE = "ghostswap_blender_pure"


def pure_module(name: str) -> ModuleType:
    """runner.py / jobfile.py need no bpy: load them from the package folder, as submodules of a
    stand-in package whose __init__ (which imports bpy) never runs, so their relative imports
    of the vendored host kit and knob table work."""
    if PURE_PACKAGE not in sys.modules:
        package = ModuleType(PURE_PACKAGE)
        package.__path__ = [str(PACKAGE)]
        sys.modules[PURE_PACKAGE] = package
    return importlib.import_module(f"{PURE_PACKAGE}.{name}")


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
    knobs = pure_module("engine_knobs")
    report = run_bpy(
        bpy_python,
        "install_extension.py",
        str(build_zip(tmp_path)),
        ghostswap_exe,
        str(tmp_path / "r.json"),
        env={"BLENDER_USER_RESOURCES": str(resources), "GHOSTSWAP_FARM_MANAGER": ""},
    )
    types = {"IntProperty": "INT", "FloatProperty": "FLOAT", "BoolProperty": "BOOLEAN"}
    types.update(EnumProperty="ENUM", StringProperty="STRING")
    expected_properties = {}  # the engine knobs, registered as engine_knobs.property_specs says
    for attr, factory, kwargs in knobs.property_specs(knobs.host_knobs()):
        row = [types[factory], kwargs["name"], kwargs["description"], kwargs["default"]]
        if factory in ("IntProperty", "FloatProperty"):
            row += [kwargs["min"], kwargs["max"]]
        if factory == "EnumProperty":
            row += [[item[0] for item in kwargs["items"]]]
        expected_properties[attr] = [round(v, 6) if isinstance(v, float) else v for v in row]
    assert set(expected_properties) >= {"swapper", "model", "enhance", "use_erode", "erode", "brow_lift"}
    assert report == {
        "install": ["FINISHED"],
        "enabled": True,
        "operators": ["bake", "farm_bake", "load", "build_group"],
        "labels": ["GhostSwap: Bake", "GhostSwap: Farm bake"],
        "panel": ["NODE_EDITOR", "UI"],
        "scene_settings": True,
        "preferences": [ghostswap_exe, ""],
        "farm_manager": "openjd",  # the same default as Nuke (ghostswap_hostkit.DEFAULT_FARM_MANAGER)
        "engine_properties": expected_properties,
        "cache_root_from_env": [
            "/new cache",
            "/old cache",
            "/old cache",
            [
                "GhostSwap: $GHOSTSWAP_CACHE_ROOT is deprecated and will stop working; "
                "set $GHOSTSWAP_CACHE instead (same meaning)"
            ],
        ],
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
        knobs={"swapper.name": "morph"},
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
