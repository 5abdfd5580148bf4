"""The Blender extension end to end: install the zip, bake short_plate through the real ghostswap CLI,
render the wired "GhostSwap" group headless, and compare with the engine's own EXRs (bit-exact)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio
import pytest

from tests.hosts.blender.conftest import PLUGIN_DIR, run_bpy
from tests.shots import ASSETS

PHOTO = ASSETS / "faces" / "elon_musk.jpg"
FRAMES = range(1001, 1005)
NODE = "GhostSwap"


@dataclass
class Baked:
    exe: str
    plate: str
    cache_root: Path
    out: Path
    blend: Path
    report: dict[str, Any]
    tmp: Path
    python: Path


def pixels(path: Path | str) -> tuple[np.ndarray, tuple[str, ...]]:
    buf = oiio.ImageBuf(str(path))
    assert not buf.has_error, buf.geterror()
    return buf.get_pixels(oiio.FLOAT), tuple(buf.spec().channelnames)


def frame(pattern: str, number: int) -> Path:
    return Path(pattern.replace("####", f"{number:04d}"))


def build_zip(tmp: Path) -> Path:
    subprocess.run(
        [str(PLUGIN_DIR / "build_extension.sh"), str(tmp / "dist")], check=True, capture_output=True
    )
    (zip_path,) = (tmp / "dist").glob("ghostswap-*.zip")
    return zip_path


@pytest.fixture(scope="module")
def baked(
    bpy_python: Path, ghostswap_exe: str, short_plate: str, tmp_path_factory: pytest.TempPathFactory
) -> Baked:
    tmp = tmp_path_factory.mktemp("blender")
    cache_root = tmp / "cache root"  # a space: every path travels as one argument
    out, blend, resources = tmp / "out", tmp / "shot.blend", tmp / "user resources"
    resources.mkdir()
    unset = ("GHOSTSWAP_EXE", "GHOSTSWAP_CACHE", "GHOSTSWAP_CACHE_ROOT", "GHOSTSWAP_FARM_MANAGER", "OCIO")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["BLENDER_USER_RESOURCES"] = str(resources)
    report = run_bpy(
        bpy_python,
        "bake_scene.py",
        str(build_zip(tmp)),
        str(frame(short_plate, 1001)),
        str(PHOTO),
        ghostswap_exe,
        str(cache_root),
        str(out),
        str(blend),
        str(tmp / "bake_report.json"),
        env=env,
    )
    return Baked(ghostswap_exe, short_plate, cache_root, out, blend, report, tmp, bpy_python)


def test_bake_runs_ghostswap_bake_with_the_job_in_the_cache_folder(baked: Baked) -> None:
    job_path = baked.cache_root / NODE / "job.json"
    assert baked.report["installed"] == ["FINISHED"]
    assert baked.report["last_command"] == [baked.exe, "bake", "--job", str(job_path), "--json"]
    job = json.loads(job_path.read_text())
    assert job["schema"] == "ghostswap.job" and job["version"] == 1
    assert job["plate"] == str(baked.cache_root / NODE / "plate" / "plate.####.exr")
    assert job["sources"] == [[str(PHOTO)]]
    assert job["frames"] == "1001-1004"
    assert job["cache"] == {"root": str(baked.cache_root), "node": NODE}
    # every host knob of the engine's table lands at its job path (model/enhance: the defaults)
    assert job["swapper"] == {"name": "morph", "model": None, "enhance": False}
    assert job["matte"] == {
        "erode": None,
        "feather": None,
        "brow_lift": None,
        "layer": "ghost.matte",
        "occlusion": "off",
        "keep_expression": "auto",
        "layers": "",
        "holdout": None,
    }
    assert job["color"]["colorspace"] == baked.report["working_space"] == "Linear Rec.709"
    assert Path(job["color"]["ocio"]).name == "config.ocio" and Path(job["color"]["ocio"]).is_file()
    assert job["matte"]["layer"] == "ghost.matte"
    assert job["host"]["name"] == "blender" and job["host"]["version"] == baked.report["blender"]
    assert baked.report["engine_modules_imported"] == []


def test_image_nodes_read_the_cache_that_job_check_names(baked: Baked) -> None:
    job_path = baked.cache_root / NODE / "job.json"
    check = subprocess.run(
        [baked.exe, "job", "check", str(job_path), "--json"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    where = json.loads(check.stdout)
    cache_dir = Path(where["cache_dir"])
    assert cache_dir.parent == baked.cache_root / NODE and len(cache_dir.name) == 12
    assert where["output"] == baked.report["last_output"] == str(cache_dir / "swap.####.exr")
    images = baked.report["images"]
    assert images[f"{NODE} Swap"]["path"] == str(frame(where["output"], 1001))
    assert images[f"{NODE} Plate"]["path"] == str(baked.cache_root / NODE / "plate" / "plate.1001.exr")
    for image in images.values():
        assert image["source"] == "SEQUENCE"
        assert image["colorspace"] == "Linear Rec.709"  # already scene-linear: no conversion on read
        assert image["frames"] == [1001, 1000, 4]  # frame 1001 shows file 1001


def test_plate_frames_are_blender_scene_linear(baked: Baked) -> None:
    """The plate written for the engine is the ACEScg shot converted to Blender's working space."""
    job = json.loads((baked.cache_root / NODE / "job.json").read_text())
    config = ocio.Config.CreateFromFile(job["color"]["ocio"])
    cpu = config.getProcessor("ACEScg", "Linear Rec.709").getDefaultCPUProcessor()
    for number in FRAMES:
        source, _ = pixels(frame(baked.plate, number))
        written, names = pixels(baked.cache_root / NODE / "plate" / f"plate.{number}.exr")
        assert names == ("R", "G", "B", "A")
        expected = np.ascontiguousarray(source[..., :3])
        cpu.applyRGB(expected)
        np.testing.assert_allclose(written[..., :3], expected, rtol=1e-4, atol=1e-5)
        np.testing.assert_array_equal(written[..., 3], 1.0)


def test_group_is_built_in_and_wired_to_the_matte_layer(baked: Baked) -> None:
    group = baked.report["group"]
    assert group["name"] == NODE and group["node_idname"] == "CompositorNodeGroup"
    assert group["tree_idname"] == "CompositorNodeTree"
    assert sorted(map(tuple, group["interface"])) == sorted(
        [
            ("Plate", "INPUT"),
            ("Swap", "INPUT"),
            ("Matte", "INPUT"),
            ("Mix", "INPUT"),
            ("Swapped", "OUTPUT"),
            ("Matte", "OUTPUT"),
        ]
    )
    assert all(n.startswith(("ShaderNode", "CompositorNode", "NodeGroup")) for n in group["nodes"])
    assert "CompositorNodeCustomGroup" not in group["nodes"]
    # The engine's EXR: RGBA + ghost.matte; Blender lists the `ghost.matte` channel as the output `ghost`.
    _, names = pixels(frame(baked.report["last_output"], 1001))
    assert names == ("R", "G", "B", "A", "ghost.matte")
    assert baked.report["inputs_from"] == {
        "Plate": [f"{NODE} Plate", "Image"],
        "Swap": [f"{NODE} Swap", "Combined"],
        "Matte": [f"{NODE} Swap", "ghost"],
    }
    assert baked.report["linked_to_output"] == ["Swapped"]


def _assert_matches_engine(rendered: Path, output: str, channel: str) -> None:
    for number in FRAMES:
        engine, names = pixels(frame(output, number))
        got, _ = pixels(rendered / f"{number}.exr")
        if channel == "rgba":
            np.testing.assert_array_equal(got, engine[..., :4])
        else:
            matte = engine[..., names.index(channel)]
            np.testing.assert_array_equal(got[..., 0], matte)
            np.testing.assert_array_equal(got[..., 2], matte)


def test_render_equals_the_engine_output_bit_for_bit(baked: Baked) -> None:
    output = baked.report["last_output"]
    for number in FRAMES:  # the comparison means something: a face was found and replaced
        engine, names = pixels(frame(output, number))
        plate, _ = pixels(baked.cache_root / NODE / "plate" / f"plate.{number}.exr")
        matte = engine[..., names.index("ghost.matte")]
        assert 0.01 < (matte > 0).mean() < 0.5
        assert np.abs(engine[..., :3] - plate[..., :3]).max() > 0.05
    _assert_matches_engine(baked.out / "swapped", output, "rgba")
    _assert_matches_engine(baked.out / "matte", output, "ghost.matte")


def test_saved_scene_renders_without_the_extension(baked: Baked) -> None:
    resources = baked.tmp / "no extension"
    resources.mkdir()
    env = {"BLENDER_USER_RESOURCES": str(resources)}
    out = baked.tmp / "reopened"
    report = run_bpy(
        baked.python, "reopen_render.py", str(baked.blend), str(out), str(baked.tmp / "r.json"), env=env
    )
    assert report == {
        "addon_loaded": False,
        "group_node": "CompositorNodeGroup",
        "group_tree": NODE,
        "undefined_nodes": [],
        "frames": [1001, 1004],
    }
    _assert_matches_engine(out, baked.report["last_output"], "rgba")


def test_a_holdout_image_is_written_and_subtracts_from_the_matte(baked: Baked) -> None:
    plain_pattern = str(next((baked.cache_root / NODE).glob("*/swap.1002.exr"))).replace("1002", "####")
    plain, names = pixels(frame(plain_pattern, 1002))
    matte = plain[..., names.index("ghost.matte")]
    ys, xs = np.nonzero(matte > 0.9)
    box = (slice(int(ys.mean()) - 5, int(ys.mean()) + 5), slice(int(xs.mean()) - 5, int(xs.mean()) + 5))
    roto_dir = baked.tmp / "roto"
    roto_dir.mkdir()
    roto = np.zeros((*matte.shape, 4), np.float32)
    roto[box] = 1.0
    for f in FRAMES:
        spec = oiio.ImageSpec(roto.shape[1], roto.shape[0], 4, oiio.FLOAT)
        out = oiio.ImageOutput.create(str(roto_dir / f"roto.{f}.exr"))
        assert out is not None and out.open(str(roto_dir / f"roto.{f}.exr"), spec)
        out.write_image(roto)
        out.close()
    unset = ("GHOSTSWAP_EXE", "GHOSTSWAP_CACHE", "GHOSTSWAP_CACHE_ROOT", "GHOSTSWAP_FARM_MANAGER", "OCIO")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    resources = baked.tmp / "user resources 2"
    resources.mkdir()
    env["BLENDER_USER_RESOURCES"] = str(resources)
    env["GHOSTSWAP_TEST_HOLDOUT"] = str(roto_dir / "roto.1001.exr")
    cache_root = baked.tmp / "holdout cache"
    run_bpy(
        baked.python,
        "bake_scene.py",
        str(build_zip(baked.tmp / "zip2")),
        str(frame(baked.plate, 1001)),
        str(PHOTO),
        baked.exe,
        str(cache_root),
        str(baked.tmp / "out2"),
        str(baked.tmp / "shot2.blend"),
        str(baked.tmp / "bake_report2.json"),
        env=env,
    )
    job = json.loads((cache_root / NODE / "job.json").read_text())
    assert job["matte"]["holdout"] == str(cache_root / NODE / "holdout" / "plate.####.exr")
    assert (cache_root / NODE / "holdout" / "plate.1004.exr").is_file()
    (held_frame,) = (cache_root / NODE).glob("*/swap.1002.exr")
    held, names = pixels(held_frame)
    assert np.all(held[..., names.index("ghost.matte")][box] == 0)
    assert held[..., names.index("ghost.matte")].sum() < matte.sum()
