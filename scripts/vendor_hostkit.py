#!/usr/bin/env python3
"""Vendor the host kit into every Python host adapter.

    python scripts/vendor_hostkit.py           # write what is stale, list what changed
    python scripts/vendor_hostkit.py --check   # change nothing; exit 1 and list what is stale

Copies plugins/hostkit/ghostswap_hostkit.py byte for byte into ghostswap_nuke/ and
ghostswap_blender/ (hosts cannot import anything outside their own folder).
tests/hosts/test_hostkit.py fails while a copy is stale.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


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


PLUGINS = Plugins()


def hostkit(plugins: Plugins = PLUGINS) -> ModuleType:
    """The canonical host kit module (loaded from its file, not from an adapter's copy)."""
    spec = importlib.util.spec_from_file_location("ghostswap_hostkit_canonical", plugins.hostkit)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hostkit_files(plugins: Plugins = PLUGINS) -> dict[Path, str]:
    text = plugins.hostkit.read_text(encoding="utf-8")
    return {package / plugins.hostkit.name: text for package in plugins.packages}


def stale(files: dict[Path, str]) -> list[Path]:
    return [p for p, text in files.items() if not p.is_file() or p.read_bytes() != text.encode("utf-8")]


def write(files: dict[Path, str]) -> list[Path]:
    changed = stale(files)
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[path].encode("utf-8"))
    return changed


def vendor(plugins: Plugins = PLUGINS) -> list[Path]:
    """Write every stale vendored file; the paths written."""
    return write(hostkit_files(plugins))


def check(plugins: Plugins = PLUGINS) -> list[Path]:
    """The stale vendored files."""
    return stale(hostkit_files(plugins))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        bad = check()
        for path in bad:
            print(f"stale: {path.relative_to(REPO)}")
        if bad:
            print("run: python scripts/vendor_hostkit.py")
        return 1 if bad else 0
    changed = vendor()
    for path in changed:
        print(f"wrote {path.relative_to(REPO)}")
    if not changed:
        print("vendor_hostkit: everything is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
