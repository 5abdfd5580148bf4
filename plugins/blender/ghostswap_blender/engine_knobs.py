"""The engine's knobs as Blender properties and job values (pure Python: no bpy, no ghost_core).

They come from the vendored knob table `knobs.json` (`ghost_core.knobs`, copied by
scripts/vendor_hostkit.py): one property per host knob, with the table's label, default, range and
help, and for each nullable number a `use_<name>` toggle (off: null in the job, the engine chooses
per track). `props.py` registers what `property_specs()` returns; `bake.py` writes `job_values()`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import ghostswap_hostkit as hostkit

TABLE_PATH = Path(__file__).with_name(hostkit.KNOBS_FILE)

# bpy.props factory for each kind of engine knob (ghostswap_hostkit.HOST_KINDS).
FACTORIES = {
    "str": "StringProperty",
    "path": "StringProperty",
    "int": "IntProperty",
    "float": "FloatProperty",
    "bool": "BoolProperty",
    "choice": "EnumProperty",
}


def load_table(path: Path = TABLE_PATH) -> dict[str, Any]:
    return hostkit.load_knobs(str(path))


def host_knobs(table: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    return hostkit.host_knobs(load_table() if table is None else table)


def _name(label: str) -> str:
    return label[:1].upper() + label[1:]


def toggle_attr(knob: Mapping[str, Any]) -> str:
    return "use_" + knob["name"]


def property_specs(knobs: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(attribute, bpy.props factory, keyword arguments) for every property the knobs need."""
    specs: list[tuple[str, str, dict[str, Any]]] = []
    for knob in knobs:
        kind, name = knob["kind"], _name(knob["label"])
        if hostkit.is_override(knob):
            specs.append(
                (
                    toggle_attr(knob),
                    "BoolProperty",
                    {
                        "name": name,
                        "default": False,
                        "description": f"Override the engine's per-track {knob['label']}",
                    },
                )
            )
        kwargs: dict[str, Any] = {"name": name, "description": knob["help"]}
        default = hostkit.shown_default(knob)
        if kind == "choice":
            kwargs["items"] = tuple((c, _name(c), knob["help"]) for c in knob["choices"])
            kwargs["default"] = default
        elif kind in ("int", "float"):
            kwargs["default"] = int(default) if kind == "int" else float(default)
            for key in ("minimum", "maximum"):
                if knob[key] is not None:
                    value = knob[key]
                    kwargs[key[:3]] = int(value) if kind == "int" else float(value)
        elif kind == "bool":
            kwargs["default"] = bool(default)
        else:
            kwargs["default"] = str(default)
            if kind == "path":
                kwargs["subtype"] = "FILE_PATH"
        specs.append((knob["name"], FACTORIES[kind], kwargs))
    return specs


def add_properties(cls: type, knobs: Sequence[Mapping[str, Any]], props: Any) -> None:
    """Declare the knobs' properties on a PropertyGroup class before it is registered."""
    annotations = dict(inspect.get_annotations(cls))  # bpy registers what the class annotates
    for attr, factory, kwargs in property_specs(knobs):
        if attr in annotations:
            raise hostkit.GhostSwapError(f"engine knob {attr} clashes with a GhostSwap setting of that name")
        annotations[attr] = getattr(props, factory)(**kwargs)
    cls.__annotations__ = annotations


def panel_rows(knobs: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """("", [names]) for the plain knobs, then ("<Section> overrides", [names]) per section."""
    plain = [k["name"] for k in knobs if not hostkit.is_override(k)]
    rows: list[tuple[str, list[str]]] = [("", plain)] if plain else []
    for knob in knobs:
        if hostkit.is_override(knob):
            title = _name(hostkit.section(knob)) + " overrides"
            if not rows or rows[-1][0] != title:
                rows.append((title, []))
            rows[-1][1].append(knob["name"])
    return rows


def job_values(
    knobs: Sequence[Mapping[str, Any]], settings: Any, abspath: Callable[[str], str] = str
) -> dict[str, Any]:
    """{job path: value} from a GhostSwapSettings (or any object with the properties)."""

    def value_of(knob: Mapping[str, Any]) -> Any:
        value = getattr(settings, knob["name"])
        return abspath(value) if knob["kind"] == "path" and value else value

    return hostkit.engine_job_values(knobs, value_of, lambda k: bool(getattr(settings, toggle_attr(k))))


def default_values(knobs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """{job path: engine default}: what a job holds for a knob nobody set."""
    return {str(k["job"]): k["default"] for k in knobs}
