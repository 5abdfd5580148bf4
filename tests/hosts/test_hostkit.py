"""The host kit: one source for what the Nuke and Blender adapters share (and the Fuse mirrors).

* the vendored ghostswap_hostkit.py copies equal plugins/hostkit/ghostswap_hostkit.py byte for byte;
* the kit agrees with the engine (node folder names, job schema, farm managers) and the Fuse uses
  the same environment variable names, node folder names and job schema.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ghost_core import knobs as engine_knobs_module
from ghost_core.jobs import schema as job_schema
from ghost_core.jobs.cache import safe_node_name as engine_safe_node_name
from scripts import vendor_hostkit as vendor
from tests.hosts.conftest import REPO

PLUGINS = REPO / "plugins"
CANONICAL = PLUGINS / "hostkit" / "ghostswap_hostkit.py"
COPIES = [
    PLUGINS / "nuke" / "ghostswap_nuke" / "ghostswap_hostkit.py",
    PLUGINS / "blender" / "ghostswap_blender" / "ghostswap_hostkit.py",
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


def test_the_vendoring_check_passes_and_the_blender_build_runs_it() -> None:
    assert vendor.check() == [], FIX
    build = (PLUGINS / "blender" / "build_extension.sh").read_text(encoding="utf-8")
    assert 'scripts/vendor_hostkit.py" --check' in build


def test_the_check_names_a_stale_copy(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(PLUGINS, plugins, ignore=shutil.ignore_patterns("__pycache__", "dist"))
    layout = vendor.Plugins(plugins)
    assert vendor.check(layout) == []
    nuke_copy = layout.packages[0] / "ghostswap_hostkit.py"
    nuke_copy.write_text(nuke_copy.read_text() + "\n# local edit\n")
    (layout.packages[1] / "ghostswap_hostkit.py").unlink()
    stale = [nuke_copy, layout.packages[1] / "ghostswap_hostkit.py"]
    assert vendor.check(layout) == stale
    assert vendor.vendor(layout) == stale
    assert vendor.check(layout) == []


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
    from ghost_core.farm.model import MANAGERS

    hostkit = kit()
    assert (hostkit.JOB_SCHEMA, hostkit.JOB_VERSION) == (job_schema.SCHEMA, job_schema.VERSION)
    assert (hostkit.JOB_SCHEMA, hostkit.JOB_VERSION) == (
        engine_knobs_module.JOB_SCHEMA,
        engine_knobs_module.JOB_VERSION,
    )
    assert hostkit.FARM_MANAGERS == MANAGERS
    assert hostkit.DEFAULT_FARM_MANAGER == "openjd"
    assert hostkit.CACHE_ENV == "GHOSTSWAP_CACHE"


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


# The Fuse uses the kit's names -------------------------------------------------------------


def test_the_fuse_reads_the_same_env_vars_and_writes_the_same_job_schema() -> None:
    hostkit = kit()
    lua = FUSE.read_text(encoding="utf-8")
    assigned = dict(re.findall(r'^LIB\.([A-Z_]+) = "([^"]*)"', lua, flags=re.M))
    assert assigned["CACHE_ENV"] == hostkit.CACHE_ENV and assigned["EXE_ENV"] == hostkit.EXE_ENV
    assert set(re.findall(r"os\.getenv\(([^)]*)\)", lua)) == {"LIB.CACHE_ENV", "LIB.EXE_ENV"}
    assert f'schema = "{hostkit.JOB_SCHEMA}",' in lua and f"version = {hostkit.JOB_VERSION}," in lua
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
