"""Dataset preparation: VGGFace2-style folders and per-shot fine-tuning sets in GHOST's 224 crop."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.cli import main
from ghost_core.datasets.prepare import prepare_folder, prepare_shot
from ghost_core.engine.crops import cut_face
from ghost_core.engine.shot import Shot, plan_from_trackfile
from ghost_core.errors import InputError
from ghost_core.faces.align import estimate_norm, warp_crop
from ghost_core.faces.detectors import open_detector
from ghost_core.io.exr import read_frame
from ghost_core.io.source_image import read_source_image
from ghost_core.knobs import ShotSettings
from tests.conftest import SHARED
from tests.engine.conftest import colour_path, video_frames, write_plate_frame

FACES = SHARED / "assets" / "faces"
PEOPLE = {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"]}
SHOT_FRAMES = 5


def read_png(path: Path) -> tuple[np.ndarray, str]:
    buf = oiio.ImageBuf(str(path))
    return np.asarray(buf.get_pixels(oiio.UINT16)), str(buf.spec().format)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vggface2")
    for person, files in PEOPLE.items():
        (root / person).mkdir()
        for name in files:
            if not (FACES / name).is_file():
                pytest.fail(f"{FACES / name} missing; CI needs ../shared beside the checkout")
            shutil.copy(FACES / name, root / person / name)
    # A photo with no face at all: a smooth gradient.
    ramp = np.tile(np.linspace(0.2, 0.8, 160, dtype=np.float32)[None, :, None], (120, 1, 3))
    out = oiio.ImageOutput.create(str(root / "biden" / "wall.png"))
    out.open(str(root / "biden" / "wall.png"), oiio.ImageSpec(160, 120, 3, oiio.UINT8))
    out.write_image(ramp)
    out.close()
    (root / "biden" / "notes.txt").write_text("not an image")
    return root


@pytest.fixture(scope="module")
def prepared(src: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("crops") / "set"
    return out, prepare_folder(src, out, detector="retinaface", progress=False)


def test_folder_crops_are_16_bit_ghost_alignment(prepared: tuple[Path, dict], src: Path) -> None:
    out, summary = prepared
    assert summary["identities"] == 2 and summary["files"] == 3 and summary["skipped"] == 1
    crop, fmt = read_png(out / "obama" / "obama2.png")
    assert fmt == "uint16" and crop.shape == (224, 224, 3)
    # Not an 8-bit image widened: most values are not multiples of 257.
    assert np.mean(crop % 257 != 0) > 0.9
    image = read_source_image(src / "obama" / "obama2.jpg")
    expected = warp_crop(image, estimate_norm(open_detector("retinaface").detect(image)[0].kps))
    np.testing.assert_allclose(crop / 65535.0, np.clip(expected, 0, 1), atol=1 / 65535 + 1e-7)


def test_manifest_lists_files_and_skipped_photos(prepared: tuple[Path, dict]) -> None:
    out, _ = prepared
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["identities"] == {
        "biden": ["biden/biden.png"],
        "obama": ["obama/obama.png", "obama/obama2.png"],
    }
    assert manifest["skipped"] == [{"path": "biden/wall.png", "reason": "no face"}]
    assert manifest["detector"] == "retinaface" and manifest["crop_size"] == 224
    assert not list(out.rglob(".*"))  # atomic writes leave no temporaries


def test_rerun_resumes_and_rewrites_only_what_is_missing(prepared: tuple[Path, dict], src: Path) -> None:
    out, _ = prepared
    keep = out / "obama" / "obama.png"
    stamp = keep.stat().st_mtime_ns
    (out / "biden" / "biden.png").unlink()
    again = prepare_folder(src, out, detector="retinaface", progress=False)
    assert (again["written"], again["kept"], again["skipped"]) == (1, 2, 1)
    assert keep.stat().st_mtime_ns == stamp and (out / "biden" / "biden.png").is_file()


def test_cli_and_errors(src: Path, tmp_path: Path) -> None:
    stdout = io.StringIO()
    argv = ["--json", "-q", "dataset", "prepare", str(src), str(tmp_path / "x"), "--min-size", "4000"]
    with contextlib.redirect_stdout(stdout):
        code = main(argv)
    payload = json.loads(stdout.getvalue())
    assert code == 0 and payload["files"] == 0 and payload["skipped"] == 4  # every face below 4000 px
    with pytest.raises(InputError, match="not a folder"):
        prepare_folder(tmp_path / "nowhere", tmp_path / "out", progress=False)


# ------------------------------------------------------------------------------------------- shot


@pytest.fixture(scope="module")
def plate(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("shot")
    color = colour_path()
    for i, rgb in enumerate(video_frames("dance.mp4", SHOT_FRAMES)):
        write_plate_frame(folder / f"plate.{1001 + i:04d}.exr", color.from_model(np.ascontiguousarray(rgb)))
    return str(folder / "plate.####.exr")


@pytest.fixture(scope="module")
def shot_set(plate: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("finetune") / "sh010"
    # Exactly the call `ghostswap finetune` makes.
    return out, prepare_shot(plate, [str(FACES / "elon_musk.jpg")], out, frames=None)


def test_shot_set_has_source_and_target_crops(shot_set: tuple[Path, dict]) -> None:
    out, summary = shot_set
    assert sorted(p.name for p in (out / "source").iterdir()) == ["elon_musk.png"]
    targets = sorted(p.name for p in (out / "target").iterdir())
    assert targets == [f"{1001 + i:06d}.png" for i in range(SHOT_FRAMES)]
    assert summary["target_crops"] == SHOT_FRAMES and summary["source_crops"] == 1
    manifest = json.loads((out / "shot.json").read_text())
    assert manifest["frames"] == list(range(1001, 1001 + SHOT_FRAMES))
    assert read_png(out / "source" / "elon_musk.png")[1] == "uint16"


def test_target_crops_are_what_render_feeds_the_generator(plate: str, shot_set: tuple[Path, dict]) -> None:
    """Crops rebuilt from the render plan (smoothed key points, exposure gain, colour path) match."""
    out, _ = shot_set
    settings = ShotSettings(plate=plate, sources=[[str(FACES / "elon_musk.jpg")]], swapper="morph")
    shot = Shot(settings)
    plan = plan_from_trackfile(shot.analyse(), settings)
    for frame, tasks in plan.tasks.items():
        assert len(tasks) == 1
        task = tasks[0]
        pixels = read_frame(shot.pattern.path(frame))
        expected = cut_face(pixels.rgba_source(), shot.colours(pixels), task.kps, task.gain)
        assert expected is not None
        crop = read_png(out / "target" / f"{frame:06d}.png")[0] / 65535.0
        np.testing.assert_allclose(crop, np.clip(expected.seen, 0, 1), atol=1 / 65535 + 1e-6)
