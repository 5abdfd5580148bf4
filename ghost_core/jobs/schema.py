"""The job file: one versioned JSON contract shared by the CLI, `ghostswap serve`, hosts and farms.

A host (Nuke, Fusion, Blender) or a farm submitter writes a job file; the engine validates it and
turns it into `ShotSettings`. Relative paths are relative to the job file's folder, so a job
folder can move between machines. Unknown keys are errors (a typo must not silently fall back to
a default), and a job from a newer GhostSwap is refused with a message instead of half-read.

    {
      "schema": "ghostswap.job", "version": 1,
      "plate": "plate/plate.####.exr",          # scene-linear EXR frames (or one file)
      "sources": [["actor_a1.jpg", "actor_a2.jpg"]],   # photos per new person (a flat list = one person)
      "frames": "1001-1100",                    # optional, default: every plate frame
      "output": "swap/swap.####.exr",           # or give "cache" and let the engine name it
      "track_file": "track.json",               # optional, default: beside the output
      "cache": {"root": "/jobs/cache", "node": "GhostSwap1"},
      "targets": {"reference_photos": [], "track_ids": [], "all": false},
      "swapper": {"name": "auto", "model": null, "enhance": false},
      "analysis": {"detector": "auto", "landmarker": "auto"},
      "color": {"colorspace": null, "ocio": null},
      "matte": {"erode": null, "feather": null, "brow_lift": null, "layer": "ghost.matte"},
      "runtime": {"backend": "auto", "device": "auto", "batch": 8},
      "overwrite": false,
      "host": {"name": "nuke", "version": "15.1v3", "node": "GhostSwap1"}
    }
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghost_core.errors import InputError
from ghost_core.holdout import is_file_spec
from ghost_core.knobs import JOB_SCHEMA, JOB_VERSION, Knob, ShotSettings, knob_fields, out_of_range

SCHEMA = JOB_SCHEMA
VERSION = JOB_VERSION

_NULL = type(None)
# What JSON types each knob kind accepts (lists are checked item by item below).
_KIND_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "path": (str,),
    "choice": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "frames": (str, int),
    "paths": (list,),
    "ints": (list,),
}
_ITEM_TYPES: dict[str, type] = {"paths": str, "ints": int}
# Keys the knob table does not declare: the envelope, the photos (parsed by `_sources`) and
# where results go.
_OTHER_TOP = {"schema", "version", "sources", "cache", "host"}


def _job_fields() -> dict[str, dict[str, tuple[str, Knob]]]:
    """section -> {job key: (ShotSettings field, Knob)}, from the knob table; "" is the top level."""
    fields: dict[str, dict[str, tuple[str, Knob]]] = {"": {}}
    for name, knob in knob_fields():
        if knob.kind != "photo_groups":
            fields.setdefault(knob.section, {})[knob.key] = (name, knob)
    return fields


_FIELDS = _job_fields()


def _types(knob: Knob) -> tuple[type, ...]:
    return _KIND_TYPES[knob.kind] + ((_NULL,) if knob.nullable else ())


@dataclass
class Job:
    """A validated job: the shot settings plus where it came from and the optional cache layout."""

    settings: ShotSettings
    cache_root: str | None = None
    cache_node: str | None = None
    host: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def _type_name(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list"}
    return " or ".join(names.get(t, "null") for t in types)


def _check(where: str, value: Any, types: tuple[type, ...], origin: str) -> None:
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
    if not ok:
        raise InputError(f"{origin}: {where} must be {_type_name(types)}, not {json.dumps(value)}")


def _value(knob: Knob, item: Any, origin: str) -> Any:
    """One job value checked against its knob: JSON type, list items, choices and limits."""
    _check(knob.job, item, _types(knob), origin)
    if knob.kind in _ITEM_TYPES:
        wanted = _ITEM_TYPES[knob.kind]
        if not all(isinstance(v, wanted) and not isinstance(v, bool) for v in item):
            raise InputError(f"{origin}: {knob.job} must list {_type_name((wanted,))} values")
    problem = out_of_range(knob, item)
    if problem:
        raise InputError(f"{origin}: {knob.job} {problem}")
    return str(item) if knob.kind == "frames" and isinstance(item, int) else item


def _resolve(base: Path, value: str) -> str:
    """Relative paths are relative to the job file; `~` and absolute paths are kept as given."""
    if value.startswith("ocio://"):
        return value
    path = Path(value).expanduser()
    joined = path if path.is_absolute() else base / path
    return _tidy(str(joined))


def _tidy(path: str) -> str:
    """`path` without `.`/`..` steps, unless a symlink makes the short form name another file."""
    short = os.path.normpath(path)
    if short == path:
        return path
    folder, short_folder = os.path.dirname(path), os.path.dirname(short)
    try:
        same = os.path.samefile(folder, short_folder)
    except OSError:
        same = not any(os.path.islink(p) for p in _prefixes(folder))
    return short if same else path


def _prefixes(path: str) -> list[str]:
    parts = Path(path).parts
    return [str(Path(*parts[: i + 1])) for i in range(len(parts))]


def _sources(value: Any, origin: str) -> list[list[str]]:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [list(value)]  # a flat list is one person with several photos
    if (
        isinstance(value, list)
        and value
        and all(isinstance(g, list) and g and all(isinstance(p, str) for p in g) for g in value)
    ):
        return [list(g) for g in value]
    raise InputError(
        f"{origin}: sources must be a list of photo paths, or one such list per person "
        f'(e.g. [["a1.jpg", "a2.jpg"], ["b.jpg"]])'
    )


def parse_job(data: Any, base: Path, origin: str = "job") -> Job:
    """Validate a job dictionary (already parsed JSON); `base` anchors relative paths."""
    if not isinstance(data, dict):
        raise InputError(f"{origin}: a job is a JSON object")
    if data.get("schema") != SCHEMA:
        raise InputError(f'{origin}: not a GhostSwap job (needs "schema": "{SCHEMA}")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(f'{origin}: "version" must be an integer (this GhostSwap writes {VERSION})')
    if version > VERSION:
        raise InputError(
            f"{origin}: job version {version} is newer than this GhostSwap understands ({VERSION}); "
            "upgrade GhostSwap on this machine"
        )
    known_top = _OTHER_TOP | set(_FIELDS[""]) | (set(_FIELDS) - {""})
    for key in data:
        if key not in known_top:
            raise InputError(f"{origin}: unknown key {key!r}; known keys: {', '.join(sorted(known_top))}")
    for required in ("plate", "sources"):
        if required not in data:
            raise InputError(f"{origin}: {required!r} is required")

    values: dict[str, Any] = {"sources": _sources(data["sources"], origin)}
    for section, fields in _FIELDS.items():
        block = data if section == "" else data.get(section, {})
        if section and not isinstance(block, dict):
            raise InputError(f"{origin}: {section!r} must be an object")
        for key, item in block.items():
            if section == "":
                if key not in fields:
                    continue  # other top-level keys are handled above
            elif key not in fields:
                raise InputError(f"{origin}: unknown key {section}.{key}; known: {', '.join(sorted(fields))}")
            name, knob = fields[key]
            values[name] = _value(knob, item, origin)

    base = Path(base)
    values["sources"] = [[_resolve(base, p) for p in group] for group in values["sources"]]
    for name, knob in knob_fields():
        if knob.kind == "path" and isinstance(values.get(name), str):
            values[name] = _resolve(base, values[name])
        elif knob.kind == "paths" and name in values:
            values[name] = [_resolve(base, p) for p in values[name]]
    if isinstance(values.get("holdout"), str) and is_file_spec(values["holdout"]):
        values["holdout"] = _resolve(base, values["holdout"])  # a plate channel name stays as given

    cache = data.get("cache")
    root = node = None
    if cache is not None:
        if not isinstance(cache, dict) or set(cache) - {"root", "node"} or "root" not in cache:
            raise InputError(f'{origin}: cache must be {{"root": DIR, "node": NAME}}')
        _check("cache.root", cache["root"], (str,), origin)
        _check("cache.node", cache.get("node", "ghostswap"), (str,), origin)
        root, node = _resolve(base, cache["root"]), cache.get("node", "ghostswap")
    elif not values.get("out"):
        raise InputError(f'{origin}: give "output" (an EXR pattern) or "cache" (a folder for results)')
    host = data.get("host", {})
    if not isinstance(host, dict):
        raise InputError(f"{origin}: host must be an object")
    return Job(ShotSettings(**values), cache_root=root, cache_node=node, host=host)


def load_job(path: str | Path) -> Job:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: job file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the job file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    job = parse_job(data, path.resolve().parent, origin=str(path))
    job.path = path
    return job


def job_to_dict(job: Job) -> dict[str, Any]:
    """The job as it would be written (absolute paths); `parse_job` of this gives the same job."""
    s = job.settings
    data: dict[str, Any] = {"schema": SCHEMA, "version": VERSION, "plate": s.plate, "sources": s.sources}
    for section, fields in _FIELDS.items():
        block = {key: getattr(s, name) for key, (name, _) in fields.items()}
        if section:
            data[section] = block
        else:
            data.update(block)
    if job.cache_root:
        data["cache"] = {"root": job.cache_root, "node": job.cache_node or "ghostswap"}
    if job.host:
        data["host"] = job.host
    return data
