"""The demo works with no downloads; the ghost swapper renders end to end with installed weights;
the identity metric used to judge swaps is sane on GHOST's own published outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core import cli
from ghost_core.io.exr import read_frame
from tests.engine.conftest import ASSETS, video_frames


def test_demo_renders_a_shot_and_a_contact_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ghost_core.engine.contact_sheet import FRAME_TILES, LAYER_TILES
    from ghost_core.engine.layers import LAYERS

    out = tmp_path / "demo"
    assert cli.main(["--json", "demo", "--out", str(out), "--frames", "4", "--swapper", "morph"]) == 0
    result = json.loads(capsys.readouterr().out)
    frames = sorted((out / "swap").glob("swap.*.exr"))
    assert [p.name for p in frames] == [f"swap.{1001 + i:04d}.exr" for i in range(4)]
    for path in frames:
        frame = read_frame(path)
        matte = frame.plane("ghost.matte").astype(np.float32)
        assert matte.max() > 0.9, f"{path.name}: no face was replaced"
        # The specular highlight at 4.0 lies outside the face and survives exactly.
        assert np.all(frame.plane("R")[420:440, 300:330] == np.float16(4.0))
        # The demo writes every matte layer; the face regions are there on every frame.
        for name in ("skin", "brows", "eyes", "nose", "mouth", "expression"):
            assert frame.plane(f"ghost.{name}").astype(np.float32).max() > 0.5, f"{path.name}: {name}"
        assert "ghost.occlusion" in frame.channel_names
    sheet = oiio.ImageBuf(str(out / "contact_sheet.png"))
    assert not sheet.has_error and sheet.spec().width == 960 and sheet.spec().format == oiio.UINT16
    tiles = result["contact_sheet_tiles"]
    shown = sorted({t["frame"] for t in tiles})
    assert shown == [1001, 1003, 1004]
    for f in shown:
        assert [t["label"] for t in tiles if t["frame"] == f] == [*FRAME_TILES, *LAYER_TILES]
    assert set(LAYERS) <= set(LAYER_TILES)
    assert sheet.spec().height == max(t["y"] + t["height"] for t in tiles)
    pixels = sheet.get_pixels(oiio.FLOAT)
    label_band = 20  # rows the label covers at the top of a tile

    def tile(f: int, label: str) -> np.ndarray:
        (t,) = [t for t in tiles if t["frame"] == f and t["label"] == label]
        return pixels[t["y"] + label_band : t["y"] + t["height"], t["x"] : t["x"] + t["width"]]

    for f in shown:
        # Each region close-up shows its own layer: no two are the same picture, and none is the
        # bare face (the occlusion tile: nothing covers the demo face, so it is the swap alone).
        regions = ["final", "skin", "brows", "eyes", "nose", "mouth", "expression"]
        for i, a in enumerate(regions):
            for b in [*regions[i + 1 :], "occlusion"]:
                differ = int((np.abs(tile(f, a) - tile(f, b)).max(-1) > 0.1).sum())
                assert differ >= 20, f"frame {f}: {a} and {b} tiles look the same ({differ} px differ)"


def _frame_crops(frames: list[np.ndarray]) -> np.ndarray:
    from ghost_core.faces.align import estimate_norm, warp_crop
    from ghost_core.faces.detectors import open_detector

    detector = open_detector("retinaface")
    crops = []
    for rgb in frames:
        faces = detector.detect(rgb)
        assert faces, "no face in a GHOST sample frame"
        crops.append(warp_crop(rgb, estimate_norm(faces[0].kps)))
    return np.stack(crops)


@pytest.mark.parametrize(("swapped", "person"), [("elon.webp", "elon_musk.jpg"), ("mark.webp", "mark.jpg")])
def test_metric_scores_ghost_outputs_as_the_source_person(swapped: str, person: str) -> None:
    from ghost_core.io.source_image import read_source_image
    from tests.identity_metric import embed

    picks = slice(0, 40, 8)
    out = embed(_frame_crops(video_frames(swapped, 40)[picks]))
    target = embed(_frame_crops(video_frames("orig.webp", 40)[picks]))
    source = embed(_frame_crops([read_source_image(ASSETS / "faces" / person)]))[0]
    to_source = out @ source  # unit-length embeddings: cosine similarity
    to_target = np.sum(out * target, axis=1)
    assert np.all(to_source > to_target), (to_source, to_target)


@pytest.mark.slow
def test_ghost_swapper_renders_with_installed_random_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dance_plate: str, random_ghost_home: Path
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(random_ghost_home))
    out = tmp_path / "out" / "g.####.exr"
    mark = str(ASSETS / "faces" / "mark.jpg")
    code = cli.main([
        "render", "--plate", dance_plate, "--frames", "1001-1002", "--source", mark,
        "--out", str(out), "--swapper", "ghost", "--model", "ghost_unet_1block", "--detector", "retinaface",
        "--landmarker", "mesh", "--batch", "2",
    ])  # fmt: skip
    assert code == 0
    plate = read_frame(Path(dance_plate.replace("####", "1001")))
    frame = read_frame(tmp_path / "out" / "g.1001.exr")
    matte = frame.plane("ghost.matte").astype(np.float32)
    assert matte.max() > 0.9
    r_in, r_out = plate.plane("R").astype(np.float32), frame.plane("R").astype(np.float32)
    assert np.isfinite(r_out).all()
    assert np.abs(r_out - r_in)[matte > 0.5].mean() > 1e-3, "the generator's face did not reach the plate"
    assert np.array_equal(r_in[matte == 0], r_out[matte == 0])
    assert frame.spec.get_string_attribute("ghost:swapper") == "ghost"
