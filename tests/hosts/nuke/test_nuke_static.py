"""Static checks of the Nuke plugin: the shipped gizmo matches the Python, and the package runs in Nuke 13.

Nuke 13 ships Python 3.7 and no third-party packages, so every module must parse as 3.7 and
import only the standard library, `nuke` and itself.
"""

from __future__ import annotations

import ast
import re
import sys

from tests.hosts.nuke import fake_nuke
from tests.hosts.nuke.conftest import PLUGIN

GIZMO = PLUGIN / "gizmos" / "GhostSwap.gizmo"
SOURCES = sorted([PLUGIN / "init.py", PLUGIN / "menu.py", *(PLUGIN / "ghostswap_nuke").glob("*.py")])
BUILTIN_KNOBS = {
    "name",
    "label",
    "disable",
    "knobChanged",
    "file",
    "first",
    "last",
    "origfirst",
    "origlast",
    "which",
    "in",
    "in2",
    "alpha",
    "datatype",
    "colorspace",
    "file_type",
}


def _gizmo_nodes(text: str) -> list[tuple[str, dict[str, str]]]:
    """(class, {knob: raw value}) for every internal node block of a gizmo's text."""
    body = text.split("\n}\n", 1)[1]
    nodes = []
    for cls, block in re.findall(r"^ (\w+) \{\n(.*?)^ \}", body, flags=re.M | re.S):
        knobs = dict(re.findall(r"^  (\w+) (.*)$", block, flags=re.M))
        nodes.append((cls, knobs))
    return nodes


def _user_knobs(text: str) -> set[str]:
    return set(re.findall(r"addUserKnob \{\d+ (\w+)", text))


def _knobs_the_python_reads() -> set[str]:
    """Knob names the package uses: node["x"], group["x"], values["x"] and values.get("x")."""
    names = set()
    for path in (PLUGIN / "ghostswap_nuke").glob("*.py"):
        for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(item, ast.Subscript)
                and isinstance(item.value, ast.Name)
                and item.value.id in ("node", "group", "values")
                and isinstance(item.slice, ast.Constant)
            ):
                names.add(item.slice.value)
            elif (
                isinstance(item, ast.Call)
                and isinstance(item.func, ast.Attribute)
                and item.func.attr == "get"
                and isinstance(item.func.value, ast.Name)
                and item.func.value.id == "values"
                and item.args
                and isinstance(item.args[0], ast.Constant)
            ):
                names.add(item.args[0].value)
    return names


def _knobs_read_through_the_table() -> set[str]:
    """The engine knobs jobfile reads by their table name (and each section's override toggle)."""
    from ghostswap_nuke import ghostswap_hostkit as hostkit
    from ghostswap_nuke import spec

    rows = spec.ENGINE_KNOBS
    toggles = {spec.override_knob(hostkit.section(k)) for k in rows if hostkit.is_override(k)}
    return {k["name"] for k in rows} | toggles


def test_the_shipped_gizmo_is_generated_from_the_spec() -> None:
    from ghostswap_nuke import spec

    assert GIZMO.read_text(encoding="utf-8") == spec.gizmo_text(), (
        "regenerate: cd plugins/nuke && python -m ghostswap_nuke.spec > gizmos/GhostSwap.gizmo"
    )


def test_every_knob_the_python_reads_exists_in_the_gizmo() -> None:
    text = GIZMO.read_text(encoding="utf-8")
    scanned = _knobs_the_python_reads()
    assert {"colorspace", "cache_root", "frame_first", "ghost_output", "status"} <= scanned  # the scan works
    read = scanned | _knobs_read_through_the_table()
    assert {"swapper", "erode", "matte_override"} <= read
    missing = read - _user_knobs(text) - {"label", "knobChanged"}
    assert not missing, f"knobs the Python reads but the gizmo lacks: {sorted(missing)}"


def test_gizmo_layout_one_output_named_inputs_and_the_read_on_the_cache_template() -> None:
    from ghostswap_nuke import spec

    text = GIZMO.read_text(encoding="utf-8")
    nodes = _gizmo_nodes(text)
    assert [cls for cls, _ in nodes].count("Output") == 1
    inputs = {k["name"]: k["number"] for cls, k in nodes if cls == "Input"}
    assert inputs == {"plate": "0", "source": "1", "holdout": "2"}
    reads = [k for cls, k in nodes if cls == "Read"]
    assert len(reads) == 1 and reads[0]["name"] == spec.READ_CACHE
    assert reads[0]["file"] == '"\\[value parent.ghost_output]"'
    assert "ghost_output" in _user_knobs(text)
    names = {k["name"] for _, k in nodes}
    internal = {spec.WRITE_PLATE, spec.WRITE_SOURCE, spec.WRITE_HOLDOUT, spec.READ_CACHE, spec.SHUFFLE_MATTE}
    internal.add(spec.SWITCH_BAKED)
    assert internal <= names
    for cls, knobs in nodes:
        unknown = set(knobs) - BUILTIN_KNOBS - {"inputs", "number", "channels", "on_error", "raw"}
        assert not unknown, f"{cls} sets knobs the fake Nuke does not know: {unknown}"
    assert re.search(r"^ inputs 3$", text, flags=re.M)


def test_the_python_built_group_has_the_gizmo_knobs_and_nodes(nuke: object) -> None:
    import ghostswap_nuke

    group = ghostswap_nuke.create_node()
    text = GIZMO.read_text(encoding="utf-8")
    assert set(group.user_knobs) == _user_knobs(text)
    assert {n.name() for n in group.children} == {k["name"] for _, k in _gizmo_nodes(text)}
    assert [n.name() for n in group.children if n.Class() == "Input"] == ["plate", "source", "holdout"]
    assert group["knobChanged"].value() == ghostswap_nuke.spec.KNOB_CHANGED
    assert group.node("Read_cache")["file"].value() == ghostswap_nuke.spec.READ_TEMPLATE


def test_init_and_menu_register_the_node(nuke: object) -> None:
    namespace: dict[str, object] = {"__file__": str(PLUGIN / "init.py")}
    exec(compile((PLUGIN / "init.py").read_text(), "init.py", "exec"), namespace)
    assert fake_nuke.plugin_paths == [str(PLUGIN / "gizmos")]
    exec(compile((PLUGIN / "menu.py").read_text(), "menu.py", "exec"), {})
    assert fake_nuke.menus["Nodes"].commands == [
        ("GhostSwap/GhostSwap", "import ghostswap_nuke; ghostswap_nuke.create_node()")
    ]


def test_the_package_parses_as_python_37_and_imports_only_nuke_and_stdlib() -> None:
    allowed = set(sys.stdlib_module_names) | {"nuke", "ghostswap_nuke", "__future__"}
    assert len(SOURCES) >= 6
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 7))
        for item in ast.walk(tree):
            if isinstance(item, ast.Import):
                roots = {alias.name.split(".")[0] for alias in item.names}
            elif isinstance(item, ast.ImportFrom):
                roots = {(item.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}: Nuke 13 cannot load it"


def test_the_37_check_rejects_newer_syntax() -> None:
    import pytest

    for newer in ("if (n := 1): pass", "match x:\n    case 1: pass", "def f(a, /): pass"):
        with pytest.raises(SyntaxError):
            ast.parse(newer, feature_version=(3, 7))
