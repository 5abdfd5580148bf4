"""The GhostSwap Nuke node against a recording fake `nuke` and the REAL `ghostswap bake` (morph swapper).

One bake of the 4-frame short_plate is shared by the module; each test checks one promise the
node makes: the command line, the job file, the cache layout, the Read/Shuffle/Switch wiring,
pixels equal to a direct `ghostswap render`, passthrough when frames are missing, farm bake.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import pytest

from tests.hosts.conftest import argv_log
from tests.hosts.nuke import fake_nuke
from tests.shots import ASSETS

PHOTO = str(ASSETS / "faces" / "elon_musk.jpg")
FIRST, LAST = 1001, 1004


def _make_node(tmp: Path, plate: str, exe: str) -> Any:
    import ghostswap_nuke

    read = fake_nuke.nodes.Read(file=plate, first=FIRST, last=LAST)
    group = ghostswap_nuke.create_node()
    group.setInput(0, read)
    group["source_photo1"].setValue(PHOTO)
    group["swapper"].setValue("morph")
    group["cache_root"].setValue(str(tmp / "cache"))
    group["ghostswap_exe"].setValue(exe)
    return group


def _channels(path: str) -> tuple[str, ...]:
    inp = oiio.ImageInput.open(path)
    assert inp is not None, oiio.geterror()
    names = tuple(inp.spec().channelnames)
    inp.close()
    return names


def _pixels(path: str) -> np.ndarray:
    buf = oiio.ImageBuf(path)
    return np.asarray(buf.get_pixels(oiio.FLOAT))


@pytest.fixture(scope="module")
def baked(short_plate: str, ghostswap_exe: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import ghostswap_nuke

    tmp = tmp_path_factory.mktemp("nuke bake")  # a space in every path the node builds
    log = tmp / "argv.log"
    with pytest.MonkeyPatch.context() as mp:
        for name in ("GHOSTSWAP_EXE", "GHOSTSWAP_CACHE", "OCIO"):
            mp.delenv(name, raising=False)
        mp.setenv("GHOSTSWAP_TEST_ARGV_LOG", str(log))
        fake_nuke.reset(script=str(tmp / "shot.nk"), first=FIRST, last=LAST)
        group = _make_node(tmp, short_plate, ghostswap_exe)
        summary = ghostswap_nuke.bake(group)
        executed = list(fake_nuke.executed)
        tasks = list(fake_nuke.progress_tasks)
    return {
        "tmp": tmp,
        "group": group,
        "summary": summary,
        "argv": argv_log(log),
        "executed": executed,
        "tasks": tasks,
        "messages": list(fake_nuke.messages),
        "exe": ghostswap_exe,
        "plate": short_plate,
    }


def test_bake_writes_the_plate_then_runs_ghostswap_bake_with_the_job(baked: dict[str, Any]) -> None:
    assert baked["messages"] == [], baked["messages"]
    assert baked["summary"] is not None and baked["summary"]["ok"] is True
    node_dir = baked["tmp"] / "cache" / "GhostSwap1"
    assert baked["executed"] == [("Write_plate", FIRST, LAST)]
    assert sorted(p.name for p in (node_dir / "plate").iterdir()) == [
        f"plate.{f}.exr" for f in range(FIRST, LAST + 1)
    ]
    assert baked["argv"] == [["--json", "bake", "--job", str(node_dir / "job.json")]]
    assert baked["group"]["ghostswap_exe"].value() == baked["exe"]
    task = baked["tasks"][0]
    assert task.title == "GhostSwap: baking GhostSwap1" and task.messages[0] == "starting ghostswap"


def test_the_job_file_says_exactly_what_the_knobs_say(baked: dict[str, Any]) -> None:
    cache = baked["tmp"] / "cache"
    job = json.loads((cache / "GhostSwap1" / "job.json").read_text(encoding="utf-8"))
    assert job == {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": str(cache / "GhostSwap1" / "plate" / "plate.####.exr"),
        "sources": [[PHOTO]],
        "frames": "1001-1004",
        "cache": {"root": str(cache), "node": "GhostSwap1"},
        "targets": {"reference_photos": [], "track_ids": [], "all": False},
        "swapper": {"name": "morph", "model": None, "enhance": False},
        "color": {"colorspace": "scene_linear", "ocio": None, "match": 1.0},
        "matte": {
            "erode": None,
            "feather": None,
            "brow_lift": None,
            "layer": "ghost.matte",
            "occlusion": "off",
            "keep_expression": "auto",
            "layers": "",
            "holdout": None,
        },
        "pose": {"warn_yaw": 45.0, "max_yaw": 65.0},
        "host": {"name": "nuke", "version": "15.1v3", "node": "GhostSwap1"},
    }


def test_the_read_shows_the_cache_with_the_matte_shuffled_to_alpha(baked: dict[str, Any]) -> None:
    group, output = baked["group"], baked["summary"]["output"]
    node_dir = re.escape(str(baked["tmp"] / "cache" / "GhostSwap1"))
    assert re.fullmatch(node_dir + r"/([0-9a-f]{12})/swap\.####\.exr", output), output
    read = group.node("Read_cache")
    assert read["file"].value() == output
    assert (read["first"].value(), read["last"].value()) == (FIRST, LAST)
    assert group["ghost_output"].value() == output
    shuffle = group.node("Shuffle_matte")
    routing = (shuffle["in"].value(), shuffle["in2"].value(), shuffle["alpha"].value())
    assert routing == ("rgba", "ghost", "red2"), "ghost.matte (layer ghost, first channel) goes to alpha"
    assert shuffle["disable"].value() is False
    assert group.node("Switch_baked")["which"].value() == 1
    assert group["status"].value() == "GhostSwap: baked 1001-1004" and group["label"].value() == ""
    frame = output.replace("####", "1002")
    assert _channels(frame) == ("R", "G", "B", "A", "ghost.matte")


def test_baked_pixels_equal_a_direct_ghostswap_render(baked: dict[str, Any]) -> None:
    plate = str(baked["tmp"] / "cache" / "GhostSwap1" / "plate" / "plate.####.exr")
    direct = baked["tmp"] / "direct" / "swap.####.exr"
    subprocess.run(
        [
            baked["exe"],
            "-q",
            "render",
            "--plate",
            plate,
            "--source",
            PHOTO,
            "--swapper",
            "morph",
            "--colorspace",
            "scene_linear",
            "--out",
            str(direct),
        ],
        check=True,
    )
    for frame in range(FIRST, LAST + 1):
        ours = baked["summary"]["output"].replace("####", str(frame))
        theirs = str(direct).replace("####", str(frame))
        assert _channels(ours) == _channels(theirs)
        np.testing.assert_array_equal(_pixels(ours), _pixels(theirs))
    assert baked["summary"]["faces_replaced"] == 4


def test_a_changed_knob_points_elsewhere_and_passes_the_plate_through(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    group, output = baked["group"], baked["summary"]["output"]
    group["matte_override"].setValue(True)
    group["erode"].setValue(12)
    ghostswap_nuke.knob_changed(group, group["erode"])
    eroded = group["ghost_output"].value()
    assert eroded != output and Path(eroded).parent.parent == Path(output).parent.parent
    assert group.node("Switch_baked")["which"].value() == 0
    assert group["label"].value() == "GhostSwap: not baked"
    assert group["status"].value().startswith("GhostSwap: not baked")

    group["matte_override"].setValue(False)  # switching back finds the earlier result again
    ghostswap_nuke.knob_changed(group, group["matte_override"])
    assert group["ghost_output"].value() == output
    assert group.node("Switch_baked")["which"].value() == 1


def test_a_missing_cache_frame_means_not_baked(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    group, output = baked["group"], baked["summary"]["output"]
    frame = Path(output.replace("####", "1003"))
    kept = frame.read_bytes()
    frame.unlink()
    try:
        assert ghostswap_nuke.node.refresh(group) is False
        assert group.node("Switch_baked")["which"].value() == 0
        assert group["status"].value() == "GhostSwap: not baked (1 of 4 frames missing)"
    finally:
        frame.write_bytes(kept)
    assert ghostswap_nuke.node.refresh(group) is True


def test_the_same_knobs_on_another_node_use_another_folder(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    other = _make_node(baked["tmp"], baked["plate"], baked["exe"])
    assert other.name() == "GhostSwap2"
    assert ghostswap_nuke.node.refresh(other) is False
    assert other["label"].value() == "GhostSwap: not baked"
    assert other.node("Switch_baked")["which"].value() == 0
    assert "/GhostSwap2/" in other["ghost_output"].value()


def test_farm_bake_writes_the_job_and_says_what_to_run(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    group = baked["group"]
    fake_nuke.messages.clear()
    result = ghostswap_nuke.farm_bake(group)
    job = baked["tmp"] / "cache" / "GhostSwap1" / "job.json"
    assert result is not None and result["job"] == str(job) and job.is_file()
    assert json.loads(job.read_text(encoding="utf-8"))["frames"] == "1001-1004"
    if "argv" not in result:  # `ghostswap farm` is not on this engine: the artist gets the two commands
        assert fake_nuke.messages == [result["message"]]
        assert f"ghostswap track --job {job}" in result["message"]
        assert f"ghostswap render --job {job} --frames 1001-1004" in result["message"]


def test_an_engine_error_is_shown_and_the_plate_passes_through(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    other = _make_node(baked["tmp"], baked["plate"], baked["exe"])
    other["source_photo1"].setValue(str(baked["tmp"] / "no such face.jpg"))
    fake_nuke.messages.clear()
    assert ghostswap_nuke.bake(other) is None
    assert len(fake_nuke.messages) == 1 and "no such face.jpg" in fake_nuke.messages[0]
    assert other.node("Switch_baked")["which"].value() == 0


def test_cancel_stops_the_bake(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    other = _make_node(baked["tmp"], baked["plate"], baked["exe"])
    fake_nuke.cancel_bake = True
    try:
        assert ghostswap_nuke.bake(other) is None
    finally:
        fake_nuke.cancel_bake = False
    assert "cancelled" in other["status"].value()
    assert other.node("Switch_baked")["which"].value() == 0


def test_a_connected_holdout_is_written_and_subtracts_from_the_matte(baked: dict[str, Any]) -> None:
    import ghostswap_nuke

    tmp = baked["tmp"] / "holdout"
    tmp.mkdir()
    plain = _pixels(baked["summary"]["output"].replace("####", "1002"))
    names = _channels(baked["summary"]["output"].replace("####", "1002"))
    matte = plain[..., names.index("ghost.matte")]
    ys, xs = np.nonzero(matte > 0.9)
    box = (slice(int(ys.mean()) - 5, int(ys.mean()) + 5), slice(int(xs.mean()) - 5, int(xs.mean()) + 5))
    roto = np.zeros((*matte.shape, 4), np.float32)
    roto[box] = 1.0
    for f in range(FIRST, LAST + 1):
        spec = oiio.ImageSpec(roto.shape[1], roto.shape[0], 4, oiio.FLOAT)
        out = oiio.ImageOutput.create(str(tmp / f"roto.{f}.exr"))
        assert out is not None and out.open(str(tmp / f"roto.{f}.exr"), spec)
        out.write_image(roto)
        out.close()
    fake_nuke.reset(script=str(baked["tmp"] / "shot.nk"), first=FIRST, last=LAST)
    group = _make_node(baked["tmp"], baked["plate"], baked["exe"])
    group.setInput(2, fake_nuke.nodes.Read(file=str(tmp / "roto.####.exr"), first=FIRST, last=LAST))
    summary = ghostswap_nuke.bake(group)
    assert summary is not None, fake_nuke.messages
    node_dir = baked["tmp"] / "cache" / "GhostSwap1"
    job = json.loads((node_dir / "job.json").read_text())
    assert job["matte"]["holdout"] == str(node_dir / "holdout" / "holdout.####.exr")
    assert (node_dir / "holdout" / "holdout.1004.exr").is_file()
    assert summary["output"] != baked["summary"]["output"], "the holdout is part of the cache key"
    held = _pixels(summary["output"].replace("####", "1002"))
    assert np.all(held[..., names.index("ghost.matte")][box] == 0)
    assert held[..., names.index("ghost.matte")].sum() < matte.sum()
