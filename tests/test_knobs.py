"""The knob table is the one source: CLI, job schema, cache keys, digest and docs follow it."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ghost_core.cli import build_parser, main
from ghost_core.engine.render import render_digest
from ghost_core.errors import InputError, UsageError
from ghost_core.jobs.cache import params_hash
from ghost_core.jobs.schema import SCHEMA, VERSION, job_to_dict, parse_job
from ghost_core.knobs import ShotSettings, field_default, knob_fields, knob_markdown, knob_table
from tests.shots import ASSETS

REPO = Path(__file__).resolve().parents[1]
PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
OTHER = str(ASSETS / "faces" / "mark.jpg")

# A value different from the default, per knob kind (the test derives everything else).
_CHANGED: dict[str, Any] = {
    "str": "other",
    "path": "/elsewhere/x.####.exr",
    "int": 3,
    "float": 2.5,
    "bool": True,
    "frames": "1-3",
    "paths": [OTHER],
    "ints": [2],
    "photo_groups": [[OTHER]],
}


def _changed(name: str, kind: str, choices: tuple[str, ...]) -> Any:
    if choices:
        return next(c for c in choices if c != field_default(name))
    value = _CHANGED[kind]
    limit = dict(knob_fields())[name].maximum
    if limit is not None and value > limit:  # e.g. color.match lives in 0..1
        value = limit / 2
    if kind in ("int", "float") and value == field_default(name):  # e.g. analysis.bridge_gap is 3
        value += 1
    return value


def _base() -> ShotSettings:
    return ShotSettings(plate="/shots/p.####.exr", sources=[[PHOTO]])


def test_docs_table_is_the_generated_one() -> None:
    text = (REPO / "docs" / "jobs.md").read_text(encoding="utf-8")
    begin, end = "<!-- knobs:begin -->\n", "<!-- knobs:end -->"
    assert begin in text and end in text
    block = text.split(begin, 1)[1].split(end, 1)[0]
    assert block == knob_markdown(), "docs/jobs.md is stale: run python scripts/generate.py"


def _options(command: str) -> dict[str, argparse.Action]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {flag: action for action in sub.choices[command]._actions for flag in action.option_strings}


@pytest.mark.parametrize("command", ["track", "render"])
def test_every_knob_with_a_flag_is_an_option_of_its_commands(command: str) -> None:
    options = _options(command)
    for name, knob in knob_fields():
        if knob.cli is None:
            continue
        if command in knob.commands:
            assert options[knob.cli].dest == name
            assert options[knob.cli].help == knob.help
            if knob.choices:
                assert tuple(options[knob.cli].choices) == knob.choices
        else:
            assert knob.cli not in options


def test_every_knob_round_trips_through_the_job_file() -> None:
    settings = _base()
    for name, knob in knob_fields():
        if name not in ("plate", "sources"):
            settings = replace(settings, **{name: _changed(name, knob.kind, knob.choices)})
    data = job_to_dict(SimpleNamespace(settings=settings, cache_root=None, host={}))
    assert parse_job(data, Path("/")).settings == settings


@pytest.mark.parametrize("name", [n for n, k in knob_fields() if k.kind not in ("photo_groups",)])
def test_a_wrong_type_names_the_job_path(name: str) -> None:
    knob = dict(knob_fields())[name]
    section, _, key = knob.job.rpartition(".")
    bad = {"not": "a value"}
    data: dict[str, Any] = {"schema": SCHEMA, "version": VERSION, "plate": "p.exr", "sources": [PHOTO]}
    data["output"] = "o.exr"
    if section:
        data[section] = {key: bad}
    else:
        data[key] = bad
    with pytest.raises(InputError, match=rf"job: {knob.job} must be"):
        parse_job(data, Path("/"))


@pytest.mark.parametrize(("name", "knob"), knob_fields(), ids=[n for n, _ in knob_fields()])
def test_each_knob_keys_the_caches_by_its_stage(name: str, knob: Any) -> None:
    base = _base()
    changed = replace(base, **{name: _changed(name, knob.kind, knob.choices)})
    render_changes = params_hash(changed) != params_hash(base)
    track_changes = params_hash(changed, for_track=True) != params_hash(base, for_track=True)
    assert render_changes == knob.pixels
    assert track_changes == (knob.stage in ("track", "both"))

    def digest(settings: ShotSettings) -> str:
        renderer = SimpleNamespace(
            settings=settings,
            plan=SimpleNamespace(digest="track-digest"),
            swapper=SimpleNamespace(describe=lambda: {"name": "morph"}),
        )
        return render_digest(renderer)  # type: ignore[arg-type]

    # The swapper enters the digest as the resolved swapper, so its name is covered by describe().
    if name != "swapper":
        assert (digest(changed) != digest(base)) == (knob.stage in ("both", "render"))


def test_hard_limits_are_enforced_by_the_cli_and_the_job() -> None:
    data = {"schema": SCHEMA, "version": VERSION, "plate": "p.exr", "sources": [PHOTO], "output": "o.exr"}
    with pytest.raises(InputError, match=r"matte.feather must be at least 0"):
        parse_job({**data, "matte": {"feather": -1}}, Path("/"))
    code = main(["render", "--plate", "p.exr", "--source", PHOTO, "--out", "o.exr", "--feather", "-1"])
    assert code == UsageError.exit_code


def test_the_host_table_is_versioned_and_lists_every_knob() -> None:
    table = knob_table()
    assert (table["schema"], table["version"], table["job_schema"], table["job_version"]) == (
        "ghostswap.knobs",
        1,
        SCHEMA,
        VERSION,
    )
    assert [row["name"] for row in table["knobs"]] == [n for n, _ in knob_fields()]
    host = {row["name"] for row in table["knobs"] if row["host"]}
    assert {"swapper", "erode", "feather", "brow_lift"} <= host


def test_knobs_command_writes_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    out = tmp_path / "knobs.json"
    assert main(["knobs", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == knob_table()
    assert main(["knobs", "--markdown"]) == 0
    assert capsys.readouterr().out.endswith(knob_markdown())
