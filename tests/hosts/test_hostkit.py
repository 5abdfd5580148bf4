"""The host kit and the vendored knob table: one source for what Nuke, Blender and the Fuse share.

* the vendored ghostswap_hostkit.py copies equal plugins/hostkit/ghostswap_hostkit.py byte for byte;
* every vendored knob file (knobs.json in both packages, the Fuse's generated Lua block, the gizmo)
  equals what `ghost_core.knobs.knob_table()` gives now;
* the kit agrees with the engine (node folder names, job schema, farm managers) and the Fuse uses
  the same environment variable names and job schema;
* a knob added to ghost_core/knobs.py with host=True reaches all three hosts and their job files by
  re-running the vendoring alone (a copy of plugins/ vendored from a table with an extra knob).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from ghost_core import knobs as engine_knobs_module
from ghost_core.cli.knobs import knobs_json_text
from ghost_core.jobs import schema as job_schema
from ghost_core.jobs.cache import safe_node_name as engine_safe_node_name
from ghost_core.knobs import knob_table
from scripts import vendor_hostkit as vendor
from tests.hosts.conftest import REPO

PLUGINS = REPO / "plugins"
CANONICAL = PLUGINS / "hostkit" / "ghostswap_hostkit.py"
COPIES = [
    PLUGINS / "nuke" / "ghostswap_nuke" / "ghostswap_hostkit.py",
    PLUGINS / "blender" / "ghostswap_blender" / "ghostswap_hostkit.py",
]
KNOB_FILES = [
    PLUGINS / "nuke" / "ghostswap_nuke" / "knobs.json",
    PLUGINS / "blender" / "ghostswap_blender" / "knobs.json",
]
FUSE = PLUGINS / "resolve" / "Fuses" / "GhostSwap.fuse"
FAKE_FUSION_DIR = Path(__file__).parent / "resolve" / "spec"
FIX = "run: python scripts/vendor_hostkit.py"


def kit() -> ModuleType:
    return vendor.hostkit()


# The vendored files are current ------------------------------------------------------------


@pytest.mark.parametrize("copy", COPIES, ids=lambda p: p.parent.name)
def test_vendored_host_kit_is_the_canonical_file_byte_for_byte(copy: Path) -> None:
    assert copy.read_bytes() == CANONICAL.read_bytes(), f"{copy} differs from {CANONICAL}; {FIX}"


@pytest.mark.parametrize("path", KNOB_FILES, ids=lambda p: p.parent.name)
def test_vendored_knobs_json_is_the_engine_table_now(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == knobs_json_text(), f"{path} is stale; {FIX}"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(json.dumps(knob_table()))


def test_the_vendored_text_is_what_ghostswap_knobs_out_writes(tmp_path: Path) -> None:
    from ghost_core.cli import main

    out = tmp_path / "knobs.json"
    assert main(["-q", "knobs", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == vendor.knobs_text(knob_table()) == KNOB_FILES[0].read_text()


def test_the_fuse_lua_block_is_the_engine_table_now() -> None:
    text = FUSE.read_text(encoding="utf-8")
    assert vendor.splice_lua(text, vendor.lua_block(knob_table())) == text, f"{FUSE} is stale; {FIX}"


def test_the_vendoring_check_passes_and_the_blender_build_runs_it() -> None:
    assert vendor.check(knob_table()) == [], FIX
    build = (PLUGINS / "blender" / "build_extension.sh").read_text(encoding="utf-8")
    assert 'scripts/vendor_hostkit.py" --check' in build


def test_the_check_names_a_stale_copy(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(PLUGINS, plugins, ignore=shutil.ignore_patterns("__pycache__", "dist"))
    layout = vendor.Plugins(plugins)
    assert vendor.check(knob_table(), layout) == []
    nuke_copy = layout.packages[0] / "ghostswap_hostkit.py"
    nuke_copy.write_text(nuke_copy.read_text() + "\n# local edit\n")
    (layout.packages[1] / "knobs.json").write_text("{}\n")
    assert vendor.check(knob_table(), layout) == [nuke_copy, layout.packages[1] / "knobs.json"]
    assert sorted(vendor.vendor(knob_table(), layout)) == sorted(
        [nuke_copy, layout.packages[1] / "knobs.json"]
    )
    assert vendor.check(knob_table(), layout) == []


# The kit agrees with the engine ------------------------------------------------------------


NODE_NAMES = [
    "GhostSwap1",
    "Ghost Swap/1",
    "..hidden..",
    "é accent",
    "a:b\\c",
    "___",
    "",
    "._-",
    "x.y-z_w",
    "日本",
]


@pytest.mark.parametrize("name", NODE_NAMES)
def test_node_folder_names_are_the_engines(name: str) -> None:
    assert kit().safe_node_name(name) == engine_safe_node_name(name)


def test_the_fuse_names_node_folders_like_the_engine(tmp_path: Path) -> None:
    luajit = shutil.which("luajit")
    if luajit is None:
        pytest.fail("luajit is not installed: run scripts/setup-resolve.sh")
    script = tmp_path / "names.lua"
    lua_path = json.dumps(str(FAKE_FUSION_DIR) + "/?.lua;", ensure_ascii=False)
    names = "{ " + ", ".join(json.dumps(n, ensure_ascii=False) for n in NODE_NAMES) + " }"  # valid Lua too
    script.write_text(
        f"package.path = {lua_path} .. package.path\n"
        'local fake = require("fake_fusion")\n'
        'fake.load(fake.new({}), "GhostSwap.fuse")\n'
        "fake.restore()\n"
        f"for _, name in ipairs({names}) do\n"
        "  io.write(GhostSwapLib.safe_name(name), '\\n')\n"
        "end\n",
        encoding="utf-8",
    )
    done = subprocess.run([luajit, str(script)], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").splitlines() == [engine_safe_node_name(n) for n in NODE_NAMES]


def test_job_contract_and_farm_managers_are_the_engines() -> None:
    from ghost_core.farm import FARM_MANAGERS

    hostkit = kit()
    assert (hostkit.JOB_SCHEMA, hostkit.JOB_VERSION) == (job_schema.SCHEMA, job_schema.VERSION)
    assert (hostkit.JOB_SCHEMA, hostkit.JOB_VERSION) == (
        engine_knobs_module.JOB_SCHEMA,
        engine_knobs_module.JOB_VERSION,
    )
    assert (hostkit.KNOBS_SCHEMA, hostkit.KNOBS_VERSION) == (
        engine_knobs_module.KNOBS_SCHEMA,
        engine_knobs_module.KNOBS_VERSION,
    )
    assert FARM_MANAGERS.names() == hostkit.FARM_MANAGERS
    assert hostkit.DEFAULT_FARM_MANAGER == "openjd"
    assert hostkit.CACHE_ENV == "GHOSTSWAP_CACHE"
    kinds = set(engine_knobs_module.Kind.__args__)
    assert set(hostkit.HOST_KINDS) <= kinds
    assert all(k["kind"] in hostkit.HOST_KINDS for k in knob_table()["knobs"] if k["host"])


def test_host_kit_is_python_37_and_standard_library_only() -> None:
    tree = ast.parse(CANONICAL.read_text(encoding="utf-8"), feature_version=(3, 7))
    for item in ast.walk(tree):
        if isinstance(item, ast.Import):
            roots = {a.name.split(".")[0] for a in item.names}
        elif isinstance(item, ast.ImportFrom):
            assert item.level == 0, "the kit is copied into two packages: no relative imports"
            roots = {(item.module or "").split(".")[0]}
        else:
            continue
        assert roots <= set(sys.stdlib_module_names), roots
    text = CANONICAL.read_text(encoding="utf-8")
    assert ":=" not in text and "from __future__" not in text


def test_find_executable_order_and_messages(tmp_path: Path) -> None:
    hostkit = kit()
    exe = tmp_path / "bin" / "ghostswap"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    other = tmp_path / "other"
    other.write_text("#!/bin/sh\n")
    other.chmod(other.stat().st_mode | stat.S_IXUSR)
    env = {"GHOSTSWAP_EXE": str(other), "PATH": ""}
    assert hostkit.find_executable(f"  {exe} ", env) == str(exe)  # the host's setting first
    assert hostkit.find_executable("", env) == str(other)  # then $GHOSTSWAP_EXE
    with pytest.raises(hostkit.GhostSwapError, match=r"missing.*fix the node's knob"):
        hostkit.find_executable(str(tmp_path / "missing"), env, where="the node's knob")
    with pytest.raises(hostkit.GhostSwapError, match=r"fix \$GHOSTSWAP_EXE"):
        hostkit.find_executable("", {"GHOSTSWAP_EXE": str(tmp_path / "missing")})
    old_path = os.environ.get("PATH", "")
    try:
        os.environ["PATH"] = str(exe.parent)
        assert hostkit.find_executable("", {}) == str(exe)  # then PATH
        os.environ["PATH"] = str(tmp_path / "empty")
        with pytest.raises(hostkit.GhostSwapError, match=r"not found on PATH; set Preferences"):
            hostkit.find_executable("", {}, where="Preferences")
    finally:
        os.environ["PATH"] = old_path


def test_cache_env_var_and_the_deprecated_blender_name() -> None:
    hostkit = kit()
    warned: list[str] = []
    assert hostkit.env_cache_root({"GHOSTSWAP_CACHE": " /c "}) == "/c"
    assert hostkit.env_cache_root({"GHOSTSWAP_CACHE_ROOT": "/old"}) == ""  # Nuke never read the old name
    assert hostkit.env_cache_root({"GHOSTSWAP_CACHE_ROOT": "/old"}, True, warned.append) == "/old"
    assert len(warned) == 1 and "GHOSTSWAP_CACHE_ROOT is deprecated" in warned[0]
    assert "$GHOSTSWAP_CACHE instead" in warned[0]
    both = {"GHOSTSWAP_CACHE": "/new", "GHOSTSWAP_CACHE_ROOT": "/old"}
    assert hostkit.env_cache_root(both, True, warned.append) == "/new" and len(warned) == 1


def test_farm_manager_default_is_openjd_everywhere() -> None:
    hostkit = kit()
    assert hostkit.farm_manager({}) == "openjd"
    assert hostkit.farm_manager({"GHOSTSWAP_FARM_MANAGER": " Deadline "}) == "deadline"
    with pytest.raises(hostkit.GhostSwapError, match="not a farm manager"):
        hostkit.farm_manager({"GHOSTSWAP_FARM_MANAGER": "slurm"})


def test_summary_parsing() -> None:
    hostkit = kit()
    ok = 'progress...\n{"ok": true, "output": "/c/swap.####.exr"}\n'
    assert hostkit.check_summary(ok, 0, "", ["gs", "--json", "bake"])["output"] == "/c/swap.####.exr"
    assert hostkit.parse_summary("no json") == {} and hostkit.parse_summary('{"a": ') == {}
    assert hostkit.parse_summary("[1]") == {}
    failed = '{"ok": false, "message": "face.jpg: no face found"}'
    with pytest.raises(hostkit.GhostSwapError, match=r"^ghostswap job check failed \(exit 3\): face\.jpg"):
        hostkit.check_summary(failed, 3, "", ["gs", "job", "check", "j.json", "--json"])
    with pytest.raises(
        hostkit.GhostSwapError, match=r"bake failed \(exit 1\): RuntimeError: boom\ncommand: gs"
    ):
        hostkit.check_summary("", 1, "Traceback\nRuntimeError: boom\n", ["gs", "--json", "bake"], True)
    with pytest.raises(hostkit.GhostSwapError, match="no output"):
        hostkit.check_summary("", 0, "", ["gs", "bake"])


def test_job_values_follow_the_override_rule() -> None:
    hostkit = kit()
    rows = {k["name"]: k for k in hostkit.host_knobs(knob_table())}
    assert hostkit.job_value(rows["erode"], 2.5) == 3  # half up, as the Fuse rounds
    assert hostkit.job_value(rows["erode"], 7, overridden=False) is None
    assert hostkit.job_value(rows["model"], "  ") is None
    assert hostkit.job_value(rows["swapper"], "nonsense") == "auto"
    assert hostkit.job_value(rows["enhance"], 1) is True
    assert hostkit.job_value(rows["enhance"], None) is False  # an unset control: what it shows
    assert hostkit.job_value(rows["feather"], None) == 1.0
    job: dict[str, Any] = {"matte": {"layer": "ghost.matte"}}
    hostkit.put_job_value(job, "matte.erode", 2)
    hostkit.put_job_value(job, "swapper.name", "morph")
    assert job == {"matte": {"layer": "ghost.matte", "erode": 2}, "swapper": {"name": "morph"}}


# The Fuse uses the kit's names -------------------------------------------------------------


def test_the_fuse_reads_the_same_env_vars_and_writes_the_same_job_schema() -> None:
    hostkit = kit()
    lua = FUSE.read_text(encoding="utf-8")
    assigned = dict(re.findall(r'^LIB\.([A-Z_]+) = "([^"]*)"', lua, flags=re.M))
    assert assigned["CACHE_ENV"] == hostkit.CACHE_ENV and assigned["EXE_ENV"] == hostkit.EXE_ENV
    assert assigned["JOB_SCHEMA"] == hostkit.JOB_SCHEMA
    assert re.search(r"^LIB\.JOB_VERSION = (\d+)$", lua, flags=re.M).group(1) == str(hostkit.JOB_VERSION)
    assert set(re.findall(r"os\.getenv\(([^)]*)\)", lua)) == {"LIB.CACHE_ENV", "LIB.EXE_ENV"}
    assert "schema = LIB.JOB_SCHEMA" in lua and "version = LIB.JOB_VERSION" in lua
    assert hostkit.DEPRECATED_CACHE_ENV not in lua


def test_adapters_spell_environment_variables_only_in_the_kit() -> None:
    """No adapter module quotes a GHOSTSWAP_* name of its own (so none can read the old
    GHOSTSWAP_CACHE_ROOT or drift from the kit); the Fuse quotes exactly the kit's two."""
    hostkit = kit()
    quoted = re.compile(r"[\"']GHOSTSWAP_[A-Z_]*[\"']")
    for path in PLUGINS.rglob("*.py"):
        if path.name != "ghostswap_hostkit.py":
            assert quoted.findall(path.read_text(encoding="utf-8")) == [], path
    names = {m.strip("\"'") for m in quoted.findall(FUSE.read_text(encoding="utf-8"))}
    assert names == {hostkit.CACHE_ENV, hostkit.EXE_ENV}


# A new engine knob reaches every host by vendoring alone -----------------------------------


@dataclasses.dataclass
class _WithTestKnob(engine_knobs_module.ShotSettings):
    """ShotSettings as if ghost_core/knobs.py declared one more matte knob for hosts."""

    test_knob: float | None = engine_knobs_module.knob(
        None,
        job="matte.test_knob",
        kind="float",
        cli="--test-knob",
        metavar="X",
        stage="render",
        nullable=True,
        minimum=0.0,
        maximum=2.0,
        host=True,
        label="test knob",
        host_default=0.5,
        help="a matte knob only this test declares",
    )


@pytest.fixture
def extended_table(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(engine_knobs_module, "ShotSettings", _WithTestKnob)
    table = knob_table()
    row = table["knobs"][-1]
    assert (row["name"], row["job"], row["host"], row["host_default"]) == (
        "test_knob",
        "matte.test_knob",
        True,
        0.5,
    )
    return table


@pytest.fixture
def vendored_copy(tmp_path: Path, extended_table: dict[str, Any]) -> vendor.Plugins:
    """A copy of plugins/, vendored from the extended table; nothing in it edited by hand."""
    plugins = tmp_path / "plugins"
    shutil.copytree(PLUGINS, plugins, ignore=shutil.ignore_patterns("__pycache__", "dist"))
    before = {p.relative_to(plugins): p.read_bytes() for p in plugins.rglob("*") if p.is_file()}
    layout = vendor.Plugins(plugins)
    changed = vendor.vendor(extended_table, layout)
    expected = {*(p / "knobs.json" for p in layout.packages), layout.fuse, layout.gizmo}
    assert set(changed) == expected
    after = {p.relative_to(plugins): p.read_bytes() for p in plugins.rglob("*") if p.is_file()}
    assert {k for k in after if after[k] != before.get(k)} == {p.relative_to(plugins) for p in expected}
    assert vendor.check(extended_table, layout) == []
    return layout


_NUKE_PROBE = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from tests.hosts.nuke import fake_nuke
sys.modules["nuke"] = fake_nuke
import ghostswap_nuke
from ghostswap_nuke import jobfile, spec

fake_nuke.reset()
group = ghostswap_nuke.create_node()
knob = group["test_knob"]
values = {k.name: k.default for k in spec.KNOBS}
values.update(matte_override=True, test_knob=1.25, frame_first=1001, frame_last=1004)
layout = jobfile.CacheLayout("/cache", "GhostSwap1")
on = jobfile.build_job(values, layout, ["face.jpg"], environ={})
values["matte_override"] = False
off = jobfile.build_job(values, layout, ["face.jpg"], environ={})
print(json.dumps({
    "spec": spec.KNOBS[spec.KNOB_NAMES.index("test_knob")]._asdict(),
    "order": list(spec.KNOB_NAMES),
    "pixel": "test_knob" in spec.PIXEL_KNOBS,
    "group": [type(knob).__name__, knob.label, knob.value(), knob.range, knob.tooltip],
    "on": on["matte"], "off": off["matte"],
}))
"""


def test_a_new_host_knob_reaches_nuke(vendored_copy: vendor.Plugins) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NUKE_PROBE, str(vendored_copy.root / "nuke"), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    help_text = "a matte knob only this test declares"
    assert probe["spec"] == {
        "kind": "Double_Knob",
        "name": "test_knob",
        "label": "test knob",
        "default": 0.5,
        "values": [],
        "flags": [],
        "tooltip": help_text,
        "minimum": 0.0,
        "maximum": 2.0,
    }
    order = probe["order"]
    assert order.index("matte_override") < order.index("brow_lift") < order.index("test_knob")
    assert probe["pixel"] is True
    assert probe["group"] == ["Double_Knob", "test knob", 0.5, [0.0, 2.0], help_text]
    assert probe["on"] == {
        "erode": 0,
        "feather": 1.0,
        "brow_lift": 1.0,
        "test_knob": 1.25,
        "layer": "ghost.matte",
        "occlusion": "off",
        "keep_expression": "auto",
        "layers": "",
        "holdout": None,
    }
    assert probe["off"] == {
        "erode": None,
        "feather": None,
        "brow_lift": None,
        "test_knob": None,
        "layer": "ghost.matte",
        "occlusion": "off",
        "keep_expression": "auto",
        "layers": "",
        "holdout": None,
    }
    gizmo = vendored_copy.gizmo.read_text(encoding="utf-8")
    assert f'addUserKnob {{7 test_knob l "test knob" t "{help_text}" R 0 2}}' in gizmo
    assert "\n test_knob 0.5\n" in gizmo


def _pure_blender(package_dir: Path, name: str) -> ModuleType:
    """A bpy-free module of a ghostswap_blender folder, under a stand-in package of its own."""
    package_name = "ghostswap_blender_probe_" + str(abs(hash(str(package_dir))))
    if package_name not in sys.modules:
        package = ModuleType(package_name)
        package.__path__ = [str(package_dir)]
        sys.modules[package_name] = package
    return importlib.import_module(f"{package_name}.{name}")


def test_a_new_host_knob_reaches_blender(vendored_copy: vendor.Plugins) -> None:
    package_dir = vendored_copy.packages[1]
    knobs_module = _pure_blender(package_dir, "engine_knobs")
    jobfile = _pure_blender(package_dir, "jobfile")
    rows = knobs_module.host_knobs()
    specs = {attr: (factory, kwargs) for attr, factory, kwargs in knobs_module.property_specs(rows)}
    assert specs["test_knob"] == (
        "FloatProperty",
        {
            "name": "Test knob",
            "description": "a matte knob only this test declares",
            "default": 0.5,
            "min": 0.0,
            "max": 2.0,
        },
    )
    assert specs["use_test_knob"][0] == "BoolProperty" and specs["use_test_knob"][1]["default"] is False
    assert ("Matte overrides", ["erode", "feather", "brow_lift", "test_knob"]) in knobs_module.panel_rows(
        rows
    )

    settings = SimpleNamespace(**{attr: kwargs["default"] for attr, (_, kwargs) in specs.items()})
    settings.use_test_knob, settings.test_knob = True, 1.25
    request = jobfile.BakeRequest(
        node="GhostSwap",
        cache_root="/cache",
        sources=["face.jpg"],
        first=1001,
        last=1004,
        colorspace="Linear Rec.709",
        knobs=knobs_module.job_values(rows, settings),
    )
    job = jobfile.build_job(request)
    assert job["matte"] == {
        "erode": None,
        "feather": None,
        "brow_lift": None,
        "test_knob": 1.25,
        "layer": "ghost.matte",
        "occlusion": "off",
        "keep_expression": "auto",
        "layers": "",
        "holdout": None,
    }
    assert job["swapper"] == {"name": "auto", "model": None, "enhance": False}


def _lua_probe(fuse_dir: Path, cache: Path, override: int) -> str:
    values = {
        "ColorSpace": 0,
        "SourcePhoto": "/photos/face.jpg",
        "Target": 0,
        "TrackIds": "",
        "TargetPhoto": "",
        "Swapper": 2,
        "OverrideMatte": override,
        "Erode": 4,
        "Feather": 1.5,
        "BrowLift": 1.0,
        "TestKnob": 1.25,
        "CacheFolder": str(cache),
        "Executable": "/opt/ghostswap",
    }
    table = (
        "{ " + ", ".join(f"{k} = {vendor._lua(v)}" for k, v in values.items()) + ", Input = fake.image({}) }"
    )
    return f"""
package.path = {vendor._lua(str(FAKE_FUSION_DIR) + "/?.lua;")} .. package.path
local fake = require("fake_fusion")
fake.FUSES = {vendor._lua(str(fuse_dir) + "/")}
local rt = fake.load(fake.new({table}), "GhostSwap.fuse")
Process({{ Time = 1002 }})
fake.restore()
for _, id in ipairs(rt.input_ids) do
  local a = rt.inputs[id].attrs
  local row = {{ id, rt.inputs[id].name, tostring(a.INP_Default), tostring(a.INP_MinAllowed),
                tostring(a.INP_MaxAllowed), tostring(a.INPS_StatusText) }}
  io.write(table.concat(row, "\\t"), "\\n")
end
"""


def test_a_new_host_knob_reaches_the_fuse(vendored_copy: vendor.Plugins, tmp_path: Path) -> None:
    luajit = shutil.which("luajit")
    if luajit is None:
        pytest.fail("luajit is not installed: run scripts/setup-resolve.sh")
    lua = vendored_copy.fuse.read_text(encoding="utf-8")
    entry = re.search(r'\{ name = "test_knob".*?\},\n', lua, flags=re.S)
    assert entry is not None
    assert 'job = "matte.test_knob", kind = "float"' in entry.group(0)
    assert "minimum = 0.0, maximum = 2.0" in entry.group(0) and 'override = "OverrideMatte"' in entry.group(0)

    for override, expected in ((1, 1.25), (0, None)):
        cache = tmp_path / f"cache {override}"
        script = tmp_path / f"probe{override}.lua"
        script.write_text(_lua_probe(vendored_copy.fuse.parent, cache, override), encoding="utf-8")
        done = subprocess.run([luajit, str(script)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        inputs = {row.split("\t")[0]: row.split("\t")[1:] for row in done.stdout.splitlines()}
        assert inputs["TestKnob"] == ["Test Knob", "0.5", "0", "2", "a matte knob only this test declares"]
        ids = list(inputs)
        assert (
            ids.index("OverrideMatte")
            < ids.index("BrowLift")
            < ids.index("TestKnob")
            < ids.index("CacheFolder")
        )
        job = json.loads((cache / "GhostSwap1" / "job.1002.json").read_text(encoding="utf-8"))
        assert job["matte"].get("test_knob") == expected
        assert job["matte"]["layer"] == "ghost.matte"
        assert job["matte"].get("erode") == (4 if override else None)
