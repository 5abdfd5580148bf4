"""The optional face parser: ONNX layout and normalisation as the published BiSeNet, its 19
classes mapped to regions and occluders, installed with `models install --from` and then used
by `--occlusion auto` (a parser that sees a hat everywhere keeps the whole plate face)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ghost_core import cli
from ghost_core.faces.parser import (
    CLASSES,
    MEAN,
    OCCLUDER_CLASSES,
    PARSER_SIZE,
    REGION_CLASSES,
    FaceParser,
    installed_parser,
    occluders,
    region_masks,
)
from ghost_core.io.exr import read_frame
from tests.engine.conftest import ASSETS

FILE = "face-parsing-bisenet.onnx"
MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"


def _export(path: Path, seed: int = 0, only: str | None = None) -> nn.Module:
    """A 19-class net with the published I/O ('input' N×3×512×512 → 'output' N×19×512×512 logits).

    Deterministic random weights; with `only`, zero weights and a bias that makes that class win.
    """
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, len(CLASSES), 1)).eval()
    if only is not None:
        with torch.no_grad():
            net[2].weight.zero_()
            net[2].bias.zero_()
            net[2].bias[CLASSES.index(only)] = 1.0
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, torch.zeros(1, 3, PARSER_SIZE, PARSER_SIZE), str(path), input_names=["input"],
            output_names=["output"], opset_version=17, dynamo=False,
        )  # fmt: skip
    return net


def test_labels_match_the_net_on_imagenet_normalised_rgb(tmp_path: Path) -> None:
    net = _export(tmp_path / FILE, seed=1)
    crop = np.random.default_rng(2).random((1, PARSER_SIZE, PARSER_SIZE, 3), dtype=np.float32)
    labels = FaceParser(tmp_path / FILE).labels(crop)
    x = torch.from_numpy(((crop[0] - MEAN) / np.array([0.229, 0.224, 0.225], np.float32)).transpose(2, 0, 1))
    with torch.no_grad():
        want = net(x[None].float())[0].argmax(0).numpy()
    assert labels.shape == (1, PARSER_SIZE, PARSER_SIZE) and labels.dtype == np.uint8
    assert np.mean(labels[0] == want) > 0.999
    assert len(np.unique(want)) > 1, "the random net should name several classes"
    unnormalised = torch.from_numpy(crop[0].transpose(2, 0, 1))[None]
    with torch.no_grad():
        wrong = net(unnormalised)[0].argmax(0).numpy()
    assert np.mean(labels[0] == wrong) < 0.99, "normalisation must matter for this net"


def test_small_crops_come_back_at_their_own_size(tmp_path: Path) -> None:
    _export(tmp_path / FILE, only="hair")
    labels = FaceParser(tmp_path / FILE).labels(np.zeros((2, 224, 224, 3), np.float32))
    assert labels.shape == (2, 224, 224) and np.all(labels == CLASSES.index("hair"))


def test_classes_map_to_regions_and_occluders() -> None:
    labels = np.arange(len(CLASSES), dtype=np.uint8).repeat(4).reshape(len(CLASSES), 4)
    masks = region_masks(labels)
    for region, names in REGION_CLASSES.items():
        rows = set(np.flatnonzero(masks[region].any(1)).tolist())
        assert rows == {CLASSES.index(n) for n in names}, region
    assert {"hair", "lips", "skin", "eyes", "brows", "mouth", "nose"} <= set(masks)
    hull = np.zeros_like(labels)
    hull[:, :2] = 1
    found = occluders(labels, hull)
    assert np.all(found[:, 2:] == 0), "nothing outside the hull is an occluder"
    rows = set(np.flatnonzero(found.any(1)).tolist())
    assert rows == {CLASSES.index(n) for n in OCCLUDER_CLASSES}
    assert CLASSES.index("skin") not in rows and CLASSES.index("eye_g") in rows


def _render(plate: str, out: Path) -> np.ndarray:
    code = cli.main([
        "render", "--plate", plate, "--frames", "1001", "--source", str(ASSETS / "faces" / "mark.jpg"),
        "--out", str(out / "o.####.exr"), "--swapper", "morph", "--detector", "retinaface",
        "--landmarker", "mesh", "--occlusion", "auto", "--layers", "occlusion",
    ])  # fmt: skip
    assert code == 0
    frame = read_frame(out / "o.1001.exr")
    return frame.plane("ghost.matte").astype(np.float32)


@pytest.mark.slow
def test_installed_parser_is_used_by_occlusion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_plate: str
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "home"))
    # This checkout's manifest (an editable install elsewhere may point at another checkout's).
    monkeypatch.setenv("GHOSTSWAP_MANIFEST", str(MANIFEST))
    assert installed_parser() is None
    without = _render(short_plate, tmp_path / "without")
    assert without.max() > 0.9
    _export(tmp_path / "weights" / FILE, only="hat")
    assert cli.main(["models", "install", "face_parser_bisenet", "--from", str(tmp_path / "weights")]) == 0
    parser = installed_parser()
    assert parser is not None and parser.path.parent.name == "face_parser_bisenet"
    hat = _render(short_plate, tmp_path / "hat")
    assert hat.max() == 0.0, "a hat over the whole hull must keep the plate face"
