"""The job file: validation messages, relative paths, round trip, versioning, cache hashing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ghost_core.cli import main
from ghost_core.errors import InputError
from ghost_core.jobs.cache import params_hash, resolve_job, safe_node_name
from ghost_core.jobs.schema import SCHEMA, VERSION, job_to_dict, load_job, parse_job
from tests.shots import ASSETS, write_plate_frame

PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
OTHER = str(ASSETS / "faces" / "mark.jpg")


def _job(**extra: object) -> dict:
    data = {"schema": SCHEMA, "version": VERSION, "plate": "plate/p.####.exr", "sources": [PHOTO]}
    data.update({"output": "out/swap.####.exr"} if "cache" not in extra else {})
    data.update(extra)
    return data


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(data))
    return path


def test_relative_paths_resolve_against_the_job_folder(tmp_path: Path) -> None:
    job = load_job(_write(tmp_path, _job(matte={"erode": 4, "layer": "face.matte"})))
    s = job.settings
    assert s.plate == str(tmp_path / "plate" / "p.####.exr")
    assert s.out == str(tmp_path / "out" / "swap.####.exr")
    assert s.sources == [[PHOTO]]  # a flat list is one person; absolute paths kept
    assert (s.erode, s.matte_name, s.feather, s.swapper) == (4, "face.matte", None, "auto")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "other"}, "not a GhostSwap job"),
        ({"version": VERSION + 1}, "newer than this GhostSwap"),
        ({"version": "1"}, '"version" must be an integer'),
        ({"matte": {"erod": 3}}, "unknown key matte.erod"),
        ({"colour": {}}, "unknown key 'colour'"),
        ({"matte": {"erode": 2.5}}, "matte.erode must be an integer"),
        ({"matte": {"erode": True}}, "matte.erode must be an integer"),
        ({"swapper": {"name": "deepfake"}}, "swapper.name must be one of"),
        ({"sources": []}, "sources must be a list"),
        ({"sources": [["a.jpg"], []]}, "sources must be a list"),
        ({"targets": {"track_ids": ["1"]}}, "targets.track_ids must list an integer"),
        ({"runtime": {"batch": 0}}, "runtime.batch must be at least 1"),
        ({"cache": {"node": "x"}}, "cache must be"),
    ],
)
def test_bad_jobs_are_refused_with_the_field_named(change: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_job(_job(**change), Path("/jobs"), origin="job.json")


def test_missing_output_and_cache_is_an_error() -> None:
    data = _job()
    del data["output"]
    with pytest.raises(InputError, match='give "output"'):
        parse_job(data, Path("/jobs"))


def test_unreadable_job_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_job(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "ghostswap.job",\n "version": }')
    with pytest.raises(InputError, match="line 2"):
        load_job(bad)


def test_round_trip_gives_the_same_settings(tmp_path: Path) -> None:
    job = load_job(
        _write(
            tmp_path,
            _job(
                sources=[[PHOTO], [OTHER]],
                frames=1001,
                targets={"track_ids": [1, 2]},
                swapper={"name": "morph"},
                color={"colorspace": "ACEScg", "ocio": "ocio://studio-config-latest"},
                host={"name": "nuke", "node": "GhostSwap1"},
            ),
        )
    )
    again = parse_job(json.loads(json.dumps(job_to_dict(job))), Path("/elsewhere"))
    assert again.settings == job.settings
    assert job.settings.frames == "1001" and job.settings.ocio == "ocio://studio-config-latest"
    assert again.host == {"name": "nuke", "node": "GhostSwap1"}


def test_cache_folder_changes_with_every_pixel_knob_but_not_the_range(tmp_path: Path) -> None:
    def resolved(**extra: object):
        data = _job(cache={"root": "cache", "node": "Ghost Swap/1"}, **extra)
        return resolve_job(parse_job(data, tmp_path))

    base = resolved()
    assert base.cache_dir == tmp_path / "cache" / "Ghost_Swap_1" / base.params_hash
    assert base.settings.out == str(base.cache_dir / "swap.####.exr")
    assert Path(base.settings.track).parent == tmp_path / "cache" / "Ghost_Swap_1"
    assert resolved(frames="1001-1002").params_hash == base.params_hash
    assert resolved(runtime={"batch": 2, "device": "cpu"}).params_hash == base.params_hash
    changed = [
        resolved(matte={"erode": 3}),
        resolved(matte={"feather": 1.5}),
        resolved(swapper={"name": "morph"}),
        resolved(sources=[OTHER]),
        resolved(color={"colorspace": "lin_rec709"}),
        resolved(targets={"all": True}),
    ]
    hashes = {r.params_hash for r in changed} | {base.params_hash}
    assert len(hashes) == len(changed) + 1
    # matte knobs are render-only: they keep the (slow) track step's file
    assert changed[0].settings.track == base.settings.track
    assert changed[3].settings.track != base.settings.track


def test_photo_content_not_name_decides_the_hash(tmp_path: Path) -> None:
    photo = tmp_path / "actor.jpg"
    photo.write_bytes(Path(PHOTO).read_bytes())
    settings = parse_job(_job(sources=[str(photo)]), tmp_path).settings
    first = params_hash(settings)
    photo.write_bytes(Path(OTHER).read_bytes())
    assert params_hash(settings) != first
    photo.unlink()
    with pytest.raises(InputError, match="cannot read the photo"):
        params_hash(settings)


def test_node_names_become_one_folder() -> None:
    assert safe_node_name("GhostSwap1") == "GhostSwap1"
    assert safe_node_name("../../etc") == "etc"
    assert safe_node_name("Größe 2") == "Gr_e_2"
    assert safe_node_name("///") == "ghostswap"


def test_job_check_prints_where_results_go(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _job(cache={"root": "c", "node": "n"}))
    assert main(["job", "check", str(path)]) == InputError.exit_code, "the plate is not there yet"
    (tmp_path / "plate").mkdir()
    write_plate_frame(tmp_path / "plate" / "p.1001.exr", np.zeros((8, 8, 3), np.float32))
    capsys.readouterr()
    assert main(["--json", "job", "check", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["output"].startswith(str(tmp_path / "c" / "n"))
    assert report["resolved"]["plate"] == str(tmp_path / "plate" / "p.####.exr")
    assert main(["job", "check", str(path), "--json"]) == 0  # global options after the command too
    assert json.loads(capsys.readouterr().out)["params_hash"] == report["params_hash"]
    bad = _write(tmp_path, _job(matte={"erod": 1}))
    assert main(["job", "check", str(bad)]) == InputError.exit_code


def test_the_cli_starts_without_torch_or_onnxruntime() -> None:
    """Hosts run `job check` on every knob change: listing commands must not load the networks."""
    import subprocess
    import sys

    probe = (
        "import sys, ghost_core.cli as cli; cli.build_parser(); "
        "print(sorted(m for m in ('torch', 'onnxruntime', 'cv2', 'ray') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
