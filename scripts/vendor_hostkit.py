#!/usr/bin/env python3
"""Vendor the host kit and the engine's knob table into every host adapter.

    python scripts/vendor_hostkit.py           # write what is stale, list what changed
    python scripts/vendor_hostkit.py --check   # change nothing; exit 1 and list what is stale

Writes, from the two canonical sources:

* plugins/hostkit/ghostswap_hostkit.py, copied byte for byte into ghostswap_nuke/ and
  ghostswap_blender/ (hosts cannot import anything outside their own folder);
* `ghost_core.knobs.knob_table()` as knobs.json into both packages (the same text as
  `ghostswap knobs --out FILE`), and as a Lua table between the GENERATED markers of
  plugins/resolve/Fuses/GhostSwap.fuse (the Fuse is Lua and cannot read Python or JSON files);
* plugins/nuke/gizmos/GhostSwap.gizmo, which ghostswap_nuke.spec derives from knobs.json.

So a knob declared with `host=True` in ghost_core/knobs.py reaches the Nuke gizmo and Group, the
Blender panel and the Fuse, and each host's job file, by re-running this script; nothing in
plugins/ is edited by hand. tests/hosts/test_hostkit.py fails while anything here is stale.

The check needs ghost_core importable (only its standard-library `knobs` module is used). Where it
is not (a machine with only Blender), `--check` compares the host kit copies alone and says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LUA_BEGIN = "-- BEGIN GENERATED KNOBS"  # the block between the markers is rewritten, markers included
LUA_END = "-- END GENERATED KNOBS"
LUA_NOTE = " (scripts/vendor_hostkit.py from ghost_core/knobs.py; do not edit)"


@dataclass(frozen=True)
class Plugins:
    """Where the sources and the vendored files live under a plugins/ folder."""

    root: Path = REPO / "plugins"

    @property
    def hostkit(self) -> Path:
        return self.root / "hostkit" / "ghostswap_hostkit.py"

    @property
    def packages(self) -> tuple[Path, ...]:
        return (self.root / "nuke" / "ghostswap_nuke", self.root / "blender" / "ghostswap_blender")

    @property
    def fuse(self) -> Path:
        return self.root / "resolve" / "Fuses" / "GhostSwap.fuse"

    @property
    def gizmo(self) -> Path:
        return self.root / "nuke" / "gizmos" / "GhostSwap.gizmo"


PLUGINS = Plugins()


def hostkit(plugins: Plugins = PLUGINS) -> ModuleType:
    """The canonical host kit module (loaded from its file, not from an adapter's copy)."""
    spec = importlib.util.spec_from_file_location("ghostswap_hostkit_canonical", plugins.hostkit)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_table() -> dict[str, Any]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from ghost_core.knobs import knob_table

    return knob_table()


def knobs_text(table: dict[str, Any]) -> str:
    """knobs.json as vendored: exactly `ghostswap knobs --out` (ghost_core.cli.knobs.knobs_json_text)."""
    return json.dumps(table, indent=2) + "\n"


# Lua ---------------------------------------------------------------------------------------


def _lua(value: Any) -> str:
    """A Lua literal. Strings keep UTF-8 bytes; quotes, backslashes and control bytes are escaped."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in ('"', "\\"):
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif ord(ch) < 32 or ord(ch) == 127:
                out.append(f"\\{ord(ch):03d}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, (list, tuple)):
        return "{ " + ", ".join(_lua(v) for v in value) + " }" if value else "{}"
    raise TypeError(f"no Lua literal for {value!r}")


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _title(label: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in label.split(" "))


def lua_block(table: dict[str, Any], plugins: Plugins = PLUGINS) -> str:
    """The Fuse's generated knob block: the job contract and one entry per host knob.

    Fusion input ids are the knob names in CamelCase ("brow_lift" -> "BrowLift"); nullable
    numbers carry the id and label of their section's override checkbox ("OverrideMatte").
    """
    kit = hostkit(plugins)
    lines = [
        LUA_BEGIN + LUA_NOTE,
        f"LIB.JOB_SCHEMA = {_lua(table['job_schema'])}",
        f"LIB.JOB_VERSION = {_lua(table['job_version'])}",
        "LIB.KNOBS = {",
    ]
    for knob in kit.host_knobs(table):
        section = kit.section(knob)
        names = [
            ("name", knob["name"]),
            ("id", _camel(knob["name"])),
            ("label", _title(knob["label"])),
            ("job", knob["job"]),
            ("kind", knob["kind"]),
        ]
        fields = [
            ("default", knob["default"]),
            ("shown", kit.shown_default(knob)),
            ("nullable", bool(knob["nullable"])),
            ("choices", list(knob["choices"])),
            ("minimum", knob["minimum"]),
            ("maximum", knob["maximum"]),
        ]
        toggle = []
        if kit.is_override(knob):
            toggle = [
                ("override", "Override" + _camel(section)),
                ("override_label", "Override " + _title(section)),
            ]
        lines.append("  { " + ", ".join(f"{key} = {_lua(value)}" for key, value in names) + ",")
        for group in (fields, toggle):
            if group:
                lines.append("    " + ", ".join(f"{k} = {_lua(v)}" for k, v in group if v is not None) + ",")
        lines.append(f"    help = {_lua(knob['help'])} }},")
    lines += ["}", LUA_END]
    return "\n".join(lines) + "\n"


def splice_lua(fuse_text: str, block: str) -> str:
    """The Fuse text with its generated block replaced (the markers must be there, once)."""
    start = fuse_text.find(LUA_BEGIN)
    end = fuse_text.find(LUA_END)
    if start < 0 or end < start or fuse_text.count(LUA_BEGIN) != 1:
        raise SystemExit(f"GhostSwap.fuse: needs one '{LUA_BEGIN}' ... '{LUA_END}' block")
    stop = fuse_text.index("\n", end) + 1
    return fuse_text[:start] + block + fuse_text[stop:]


# Nuke --------------------------------------------------------------------------------------

_GIZMO_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ghostswap_nuke import spec
table = json.load(sys.stdin)
sys.stdout.write(spec.gizmo_text(knobs=spec.build_knobs(table)))
"""


def gizmo_text(table: dict[str, Any], plugins: Plugins = PLUGINS) -> str:
    """GhostSwap.gizmo for a table, from that plugins folder's ghostswap_nuke.spec (run in a fresh
    interpreter: the spec imports its vendored host kit and knobs.json as `ghostswap_nuke`)."""
    done = subprocess.run(
        [sys.executable, "-c", _GIZMO_SCRIPT, str(plugins.root / "nuke")],
        input=json.dumps(table),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"vendor_hostkit: cannot build the gizmo:\n{done.stderr}")
    return done.stdout


# The files ---------------------------------------------------------------------------------


def hostkit_files(plugins: Plugins = PLUGINS) -> dict[Path, str]:
    text = plugins.hostkit.read_text(encoding="utf-8")
    return {package / plugins.hostkit.name: text for package in plugins.packages}


def knob_files(table: dict[str, Any], plugins: Plugins = PLUGINS) -> dict[Path, str]:
    files = {package / "knobs.json": knobs_text(table) for package in plugins.packages}
    files[plugins.fuse] = splice_lua(plugins.fuse.read_text(encoding="utf-8"), lua_block(table, plugins))
    return files


def gizmo_file(table: dict[str, Any], plugins: Plugins = PLUGINS) -> dict[Path, str]:
    return {plugins.gizmo: gizmo_text(table, plugins)}


def stale(files: dict[Path, str]) -> list[Path]:
    return [p for p, text in files.items() if not p.is_file() or p.read_bytes() != text.encode("utf-8")]


def write(files: dict[Path, str]) -> list[Path]:
    changed = stale(files)
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path].encode("utf-8"))
    return changed


def vendor(table: dict[str, Any], plugins: Plugins = PLUGINS) -> list[Path]:
    """Write every stale vendored file for `table`; the paths written."""
    changed = write(hostkit_files(plugins))
    changed += write(knob_files(table, plugins))  # knobs.json first: the gizmo's spec reads it
    changed += write(gizmo_file(table, plugins))
    return changed


def check(table: dict[str, Any] | None, plugins: Plugins = PLUGINS) -> list[Path]:
    """The stale vendored files (the host kit copies only, without a table)."""
    files = hostkit_files(plugins)
    if table is not None:
        files.update(knob_files(table, plugins))
        files.update(gizmo_file(table, plugins))
    return stale(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    try:
        table = engine_table()
    except ImportError as exc:
        if not args.check:
            raise SystemExit(f"vendor_hostkit: cannot import ghost_core.knobs ({exc})") from None
        print("vendor_hostkit: ghost_core is not importable here; checked the host kit copies only")
        table = None
    if args.check:
        bad = check(table)
        for path in bad:
            print(f"stale: {path.relative_to(REPO)}")
        if bad:
            print("run: python scripts/vendor_hostkit.py")
        return 1 if bad else 0
    changed = vendor(table)
    for path in changed:
        print(f"wrote {path.relative_to(REPO)}")
    if not changed:
        print("vendor_hostkit: everything is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
