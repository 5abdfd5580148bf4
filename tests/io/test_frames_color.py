"""Colour path: equal to OCIO's own processors, exact inverse where nothing clips, no clipping outside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio
import pytest

from ghost_core.color import (
    OCIO_OPTIMIZATION,
    ColorPath,
    clip_region,
    load_config,
    model_colorspace,
    plate_colorspace,
    resolve_colorspace,
)
from ghost_core.composite import blend
from ghost_core.errors import UsageError

SRGB_ENCODED = "sRGB Encoded Rec.709 (sRGB)"


@pytest.fixture(scope="module")
def config() -> ocio.Config:
    return ocio.Config.CreateFromFile("ocio://studio-config-latest")


def _scene(peak: float = 16.0) -> np.ndarray:
    """A scene-linear RGBA ramp from slightly negative to `peak`, with noise."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(-0.02, peak, 64 * 96, dtype=np.float32).reshape(64, 96)
    rgba = np.stack(
        [ramp, ramp[::-1], rng.random((64, 96), dtype=np.float32) * peak, np.full_like(ramp, 0.5)], -1
    )
    return rgba.astype(np.float32)


def _ocio_apply(
    config: ocio.Config, src: str, dst: str, pixels: np.ndarray, default: bool = False
) -> np.ndarray:
    processor = config.getProcessor(src, dst)
    cpu = (
        processor.getDefaultCPUProcessor()
        if default
        else processor.getOptimizedCPUProcessor(OCIO_OPTIMIZATION)
    )
    out = np.ascontiguousarray(pixels, np.float32).copy()
    cpu.applyRGBA(out)
    return out


def test_load_config_default_and_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: ocio.Config
) -> None:
    monkeypatch.delenv("OCIO", raising=False)
    assert load_config().getName() == config.getName()
    saved = tmp_path / "studio.ocio"
    cg = ocio.Config.CreateFromFile("ocio://cg-config-latest")
    saved.write_text(cg.serialize())
    monkeypatch.setenv("OCIO", str(saved))
    assert load_config().getName() == cg.getName()
    monkeypatch.setenv("OCIO", str(tmp_path / "missing.ocio"))
    with pytest.raises(UsageError, match=r"missing\.ocio"):
        load_config()


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("lin_rec709", "Linear Rec.709 (sRGB)"),
        ("ACEScg", "ACEScg"),
        ("lin_ap1_scene", "ACEScg"),
        ("scene_linear", "ACEScg"),
        ("srgb_tx", SRGB_ENCODED),
    ],
)
def test_names_aliases_and_roles_resolve(config: ocio.Config, name: str, canonical: str) -> None:
    assert resolve_colorspace(config, name) == canonical


def test_unknown_colorspace_lists_close_matches(config: ocio.Config) -> None:
    with pytest.raises(UsageError) as error:
        resolve_colorspace(config, "acescgg")
    message = str(error.value)
    assert "'acescgg'" in message and "ACEScg" in message and "close matches" in message


def test_plate_space_flag_then_metadata_then_role(config: ocio.Config) -> None:
    spec = oiio.ImageSpec(4, 4, 4, "half")
    assert plate_colorspace(config, None, spec).name == config.getColorSpace("scene_linear").getName()
    assert plate_colorspace(config, None, spec).source == "role scene_linear"
    spec.attribute("colorspace", "lin_rec709")
    assert plate_colorspace(config, None, spec).name == "Linear Rec.709 (sRGB)"
    assert plate_colorspace(config, "ACEScg", spec).name == "ACEScg"
    spec.attribute("colorspace", "no such space")
    assert plate_colorspace(config, None, spec).source == "role scene_linear"


def test_plate_space_from_a_written_file(tmp_path: Path, config: ocio.Config, exr) -> None:
    rgba = exr.plate().astype(np.float16)
    path = exr.write(
        tmp_path / "p.exr",
        {c: rgba[..., i] for i, c in enumerate("RGBA")},
        attributes={"oiio:ColorSpace": "lin_rec709"},
    )
    spec = oiio.ImageInput.open(str(path)).spec()
    assert plate_colorspace(config, None, spec).name == "Linear Rec.709 (sRGB)"


def test_model_space_is_the_srgb_texture_encoding(config: ocio.Config) -> None:
    chosen = model_colorspace(config)
    assert chosen.name == SRGB_ENCODED
    assert chosen.name == config.getColorSpace("color_picking").getName()
    assert model_colorspace(config, "srgb_texture").name == SRGB_ENCODED


@pytest.mark.parametrize("plate", ["ACEScg", "lin_rec709"])
def test_to_model_and_back_match_ocio_processors(config: ocio.Config, plate: str) -> None:
    colour = ColorPath.create(config, plate)
    scene = _scene()
    model = colour.to_model(scene, clip=False)
    expected = _ocio_apply(config, plate, SRGB_ENCODED, scene)
    assert np.array_equal(model[..., :3], expected[..., :3])
    assert np.array_equal(model[..., 3], scene[..., 3])
    # OCIO's default processor approximates pow; it agrees to its own tolerance.
    default = _ocio_apply(config, plate, SRGB_ENCODED, scene, default=True)
    assert np.allclose(model[..., :3], default[..., :3], rtol=2e-3, atol=1e-4)

    back = colour.from_model(model)
    in_place = colour.from_model(model.copy(), copy=False)
    assert np.array_equal(in_place, back)
    mine = model.copy()
    assert np.shares_memory(colour.from_model(mine, copy=False), mine)
    assert np.array_equal(back[..., :3], _ocio_apply(config, SRGB_ENCODED, plate, model)[..., :3])
    # Exact inverse up to float32 rounding of the 3x3 matrices (values up to 16 mix across channels).
    assert np.abs(back[..., :3] - scene[..., :3]).max() < 1e-5


def test_srgb_encoded_plate_is_identity(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "srgb_tx")
    scene = np.clip(_scene(1.0), 0, 1)
    assert np.allclose(colour.to_model(scene), scene, atol=1e-6)


def test_clip_only_limits_the_network_view(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "ACEScg")
    scene = _scene(16.0)
    clipped = colour.to_model(scene, clip=True)
    assert clipped[..., :3].min() >= 0.0 and clipped[..., :3].max() <= 1.0
    unclipped = colour.to_model(scene, clip=False)
    assert unclipped[..., :3].max() > 2.0  # values far above 1 survive the model-space encoding
    assert np.abs(colour.from_model(unclipped) - scene).max() < 1e-5


def test_rgb_input_works_like_rgba(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "ACEScg")
    scene = _scene()
    assert np.array_equal(
        colour.to_model(scene[..., :3], clip=False), colour.to_model(scene, clip=False)[..., :3]
    )


def test_exposure_gain_maps_region_median_to_grey(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "lin_rec709")
    scene = np.full((40, 60, 4), 4.0, np.float32)
    scene[10:20, 10:30, :3] = 0.02
    gain = colour.exposure_gain(scene, (10, 10, 20, 10), grey=0.18)
    assert gain == pytest.approx(9.0, rel=1e-5)
    model = colour.to_model(scene, gain, clip=False)
    direct = _ocio_apply(config, "lin_rec709", SRGB_ENCODED, scene * np.float32(gain))
    assert np.array_equal(model[..., :3], direct[..., :3])
    assert np.array_equal(model[..., 3], scene[..., 3])  # alpha is never scaled or converted
    assert np.allclose(colour.from_model(model, gain), scene, rtol=1e-5)
    assert colour.exposure_gain(np.zeros((4, 4, 4), np.float32)) == 1.0
    mean_gain = colour.exposure_gain(scene, None, 0.18, statistic="mean")
    assert 0.18 / mean_gain == pytest.approx(float(scene[..., :3].mean()), rel=1e-4)


def test_region_is_clipped_to_the_image() -> None:
    assert clip_region(None, 10, 20) == (0, 0, 20, 10)
    assert clip_region((-5, -5, 10, 10), 10, 20) == (0, 0, 5, 5)
    with pytest.raises(UsageError, match="outside"):
        clip_region((30, 0, 5, 5), 10, 20)


def test_composite_keeps_the_plate_exactly_outside(config: ocio.Config) -> None:
    plate = _scene(16.0)
    plate[0, 0, 0] = np.inf
    plate[0, 1, 1] = np.nan
    face = np.full_like(plate, 0.5)
    matte = np.zeros(plate.shape[:2], np.float32)
    matte[20:40, 20:40] = 1.0
    matte[19, 20:40] = 0.5
    out = blend(plate, face, matte)
    outside = matte == 0
    assert np.array_equal(out[outside].view(np.uint32), plate[outside].view(np.uint32))
    assert np.all(out[20:40, 20:40] == 0.5)
    assert np.allclose(out[19, 20:40], (plate[19, 20:40] + 0.5) / 2)


def test_large_images_split_across_threads_match_ocio(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "ACEScg")
    rng = np.random.default_rng(3)
    scene = (rng.random((517, 611, 4), dtype=np.float32) * 20 - 1).astype(np.float32)
    model = colour.to_model(scene[:, 5:600], clip=False)  # a non-contiguous box, like a face region
    expected = _ocio_apply(config, "ACEScg", SRGB_ENCODED, scene[:, 5:600])
    assert np.array_equal(model[..., :3], expected[..., :3])
    assert np.array_equal(model[..., 3], scene[:, 5:600, 3])
    back = colour.from_model(model, copy=False)
    assert back is model
    assert np.array_equal(back[..., :3], _ocio_apply(config, SRGB_ENCODED, "ACEScg", expected)[..., :3])


def test_half_input_converts_like_its_float_values(config: ocio.Config) -> None:
    colour = ColorPath.create(config, "ACEScg")
    half = (np.random.default_rng(4).random((300, 400, 4), dtype=np.float32) * 16).astype(np.float16)
    assert np.array_equal(
        colour.to_model(half, clip=False), colour.to_model(half.astype(np.float32), clip=False)
    )
