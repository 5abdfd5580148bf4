"""Layering, checked by importing for real (in the spirit of Gaffer's ModuleTest).

Each probe runs in a fresh interpreter, imports every module of one package and lists which
forbidden modules got loaded as a side effect; a new import that breaks a layer fails here.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import ghost_core

REPO = Path(__file__).resolve().parents[1]


def _modules(package: str) -> list[str]:
    """`package` and every module under it (not imported here: listed from the files)."""
    root = REPO / Path(*package.split("."))
    if not root.is_dir():
        return [package]
    names = [package]
    for info in pkgutil.walk_packages([str(root)], prefix=f"{package}."):
        names.append(info.name)
    return names


def _loaded_after_import(modules: list[str], watched: list[str]) -> list[str]:
    probe = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(w for w in {watched!r} if w in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # jobs describe work; the warm worker is one of their clients, never a dependency.
        ("ghost_core.jobs", ["ghost_core.service", "ghost_core.cli"]),
        # EXR and colour I/O knows nothing of faces or networks.
        ("ghost_core.io", ["ghost_core.faces", "ghost_core.nets", "ghost_core.engine", "torch"]),
        # torch modules and checkpoint layouts: no image I/O, colour or model downloads.
        (
            "ghost_core.nets",
            ["ghost_core.io", "ghost_core.color", "ghost_core.models_store", "OpenImageIO", "cv2"],
        ),
        # the knob table is read by every layer and by host builds: standard library only.
        ("ghost_core.knobs", ["ghost_core.engine", "ghost_core.jobs", "ghost_core.io", "numpy"]),
    ],
)
def test_importing_a_package_does_not_load_the_layers_above_it(package: str, forbidden: list[str]) -> None:
    assert _loaded_after_import(_modules(package), forbidden) == []


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_domain_package_imports_the_cli_layer() -> None:
    package_root = Path(ghost_core.__file__).parent
    offenders = [
        str(path.relative_to(REPO))
        for path in package_root.rglob("*.py")
        if "cli" not in path.relative_to(package_root).parts[:1]
        and any(name.split(".")[:2] == ["ghost_core", "cli"] for name in _imported_names(path))
    ]
    assert offenders == []


def test_host_adapters_import_no_ghost_core() -> None:
    files = list((REPO / "plugins").rglob("*.py"))
    assert files, "no host adapter sources found"
    offenders = [
        str(path.relative_to(REPO))
        for path in files
        if any(name.split(".")[0] == "ghost_core" for name in _imported_names(path))
    ]
    assert offenders == []
