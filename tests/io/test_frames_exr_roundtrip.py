"""EXR read/write: bit-exact outside the matte, every channel, layer, part and header field kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core import __version__
from ghost_core.errors import OutputError
from ghost_core.io.exr import read_frame
from ghost_core.io.exr_write import WriteOptions, write_frame, write_matte
from ghost_core.io.resume import is_complete

H, W = 24, 32
METADATA = {
    "model": "ghost_unet_2blocks",
    "model_sha256": "ab" * 32,
    "source_identity": "cd" * 32,
    "colorspace": "ACEScg",
    "track_id": 3,
}


def _matte() -> np.ndarray:
    """Hard core, feathered edge, zeros elsewhere (H×W float32)."""
    matte = np.zeros((H, W), np.float32)
    matte[6:14, 8:20] = 1.0
    matte[5, 8:20] = 0.25
    matte[14, 8:20] = 0.5
    return matte


def _plate_file(exr, path: Path, fmt: str, compression: str, **header) -> Path:
    rgba = exr.plate()
    planes = {
        name: rgba[..., i].astype(np.float16 if fmt == "half" else np.float32)
        for i, name in enumerate("RGBA")
    }
    planes["R"][1, 1] = np.nan
    planes["G"][1, 2] = np.inf
    planes["B"][1, 3] = -np.inf
    planes["diffuse.R"] = (rgba[..., 0] * 0.5).astype(np.float16)
    planes["diffuse.G"] = (rgba[..., 1] * 0.5).astype(np.float16)
    planes["diffuse.B"] = (rgba[..., 2] * 0.5).astype(np.float16)
    planes["depth.Z"] = np.linspace(1, 1000, H * W, dtype=np.float32).reshape(H, W)
    formats = [fmt] * 4 + ["half"] * 3 + ["float"]
    return exr.write(path, planes, formats, compression=compression, **header)


HEADER = {
    "data_window": (5, 7),
    "display_window": (0, 0, 64, 48),
    "attributes": {"PixelAspectRatio": 2.0, "studio:shot": "sh010", "studio:gain": 1.5, "studio:take": 4},
}


@pytest.mark.parametrize("fmt", ["half", "float"])
@pytest.mark.parametrize("compression", ["zip", "piz", "dwaa"])
def test_untouched_pixels_and_header_survive(tmp_path: Path, exr, fmt: str, compression: str) -> None:
    source = _plate_file(exr, tmp_path / "in.exr", fmt, compression, **HEADER)
    frame = read_frame(source)
    matte = _matte()
    swapped = frame.rgba().copy()
    swapped[..., :3] = 0.123  # the "face"
    out = tmp_path / "out.exr"
    write_frame(out, frame, rgba=swapped, matte=matte, metadata=METADATA)

    in_spec, before = exr.read(source)
    out_spec, after = exr.read(out)
    assert list(out_spec.channelnames) == [*in_spec.channelnames, "ghost.matte"]
    outside = matte == 0
    for name, plane in before.items():
        assert after[name].dtype == plane.dtype, name
        assert np.array_equal(exr.bits(after[name])[outside], exr.bits(plane)[outside]), name
        if name in ("diffuse.R", "diffuse.G", "diffuse.B", "depth.Z", "A"):
            assert np.array_equal(exr.bits(after[name]), exr.bits(plane)), name  # untouched everywhere
    inside = matte > 0
    assert np.all(after["R"][inside] == np.asarray(0.123, after["R"].dtype))
    assert np.array_equal(after["ghost.matte"], matte.astype(np.float16))
    assert out_spec.channelformat(out_spec.channelindex("ghost.matte")) == oiio.TypeHalf

    assert (out_spec.x, out_spec.y, out_spec.width, out_spec.height) == (5, 7, W, H)
    assert (out_spec.full_x, out_spec.full_y, out_spec.full_width, out_spec.full_height) == (0, 0, 64, 48)
    assert out_spec.get_float_attribute("PixelAspectRatio") == 2.0
    assert out_spec.get_string_attribute("studio:shot") == "sh010"
    assert out_spec.get_float_attribute("studio:gain") == 1.5
    assert out_spec.get_int_attribute("studio:take") == 4
    assert out_spec.get_string_attribute("DateTime") == in_spec.get_string_attribute("DateTime")
    if compression == "dwaa":  # lossy: re-encoding would change the kept pixels again
        assert out_spec.get_string_attribute("compression") == "zip"
        assert out_spec.get_string_attribute("ghost:source_compression").startswith("dwaa")
    else:
        assert out_spec.get_string_attribute("compression") == compression
    assert out_spec.get_string_attribute("ghost:model") == "ghost_unet_2blocks"
    assert out_spec.get_string_attribute("ghost:model_sha256") == "ab" * 32
    assert out_spec.get_string_attribute("ghost:source_identity") == "cd" * 32
    assert out_spec.get_string_attribute("ghost:colorspace") == "ACEScg"
    assert out_spec.get_int_attribute("ghost:track_id") == 3
    assert out_spec.get_string_attribute("ghost:engine_version") == __version__
    assert out_spec.get_int_attribute("ghost:complete") == 1
    assert is_complete(out, out_spec.channelnames)


def test_float_view_is_exact_and_alpha_defaults_to_one(tmp_path: Path, exr) -> None:
    rgb = exr.plate()[..., :3].astype(np.float16)
    source = exr.write(tmp_path / "rgb.exr", {c: rgb[..., i] for i, c in enumerate("RGB")})
    frame = read_frame(source)
    assert not frame.has_alpha
    rgba = frame.rgba()
    assert rgba.dtype == np.float32 and rgba.shape == (H, W, 4)
    assert np.array_equal(rgba[..., :3].astype(np.float16).view(np.uint16), rgb.view(np.uint16))
    assert np.all(rgba[..., 3] == 1.0)


def test_plate_without_alpha_gets_rgba_and_matte(tmp_path: Path, exr) -> None:
    rgb = exr.plate()[..., :3].astype(np.float16)
    source = exr.write(tmp_path / "rgb.exr", {c: rgb[..., i] for i, c in enumerate("RGB")})
    frame = read_frame(source)
    out = tmp_path / "out.exr"
    write_frame(out, frame, rgba=frame.rgba(), matte=_matte())
    spec, planes = exr.read(out)
    assert list(spec.channelnames) == ["R", "G", "B", "A", "ghost.matte"]
    assert spec.alpha_channel == 3
    assert np.all(planes["A"] == 1.0) and planes["A"].dtype == np.float16
    for i, name in enumerate("RGB"):
        assert np.array_equal(planes[name].view(np.uint16), rgb[..., i].view(np.uint16))


def test_nan_payloads_and_signed_zero_are_kept(tmp_path: Path, exr) -> None:
    raw = np.array([0x7C01, 0x7E00, 0xFE00, 0x7FFF, 0x8000, 0xFC00, 0x7C00, 0x0001], np.uint16)
    plane = np.resize(raw, (H, W)).view(np.float16)
    source = exr.write(tmp_path / "nan.exr", {c: plane for c in "RGBA"})
    out = tmp_path / "out.exr"
    frame = read_frame(source)
    write_frame(out, frame, rgba=np.zeros((H, W, 4), np.float32), matte=_matte())
    _, planes = exr.read(out)
    outside = _matte() == 0
    for c in "RGBA":
        assert np.array_equal(planes[c].view(np.uint16)[outside], plane.view(np.uint16)[outside])


def test_matte_name_is_configurable_and_can_be_its_own_file(tmp_path: Path, exr) -> None:
    source = _plate_file(exr, tmp_path / "in.exr", "half", "zip")
    frame = read_frame(source)
    out = tmp_path / "out.exr"
    write_frame(out, frame, matte=_matte(), options=WriteOptions(matte_name="face.alpha"))
    spec, planes = exr.read(out)
    assert "face.alpha" in spec.channelnames and "ghost.matte" not in spec.channelnames
    assert np.array_equal(planes["face.alpha"], _matte().astype(np.float16))

    out2, matte_file = tmp_path / "out2.exr", tmp_path / "matte.exr"
    write_frame(out2, frame, rgba=frame.rgba(), matte=_matte(), metadata=METADATA, matte_path=matte_file)
    spec2, _ = exr.read(out2)
    assert "ghost.matte" not in spec2.channelnames
    mspec, mplanes = exr.read(matte_file)
    assert list(mspec.channelnames) == ["A"]
    assert (mspec.x, mspec.y) == (spec2.x, spec2.y)
    assert np.array_equal(mplanes["A"], _matte().astype(np.float16))
    assert mspec.get_int_attribute("ghost:track_id") == 3
    assert is_complete(matte_file, ["A"])


def test_float_matte_option(tmp_path: Path, exr) -> None:
    source = _plate_file(exr, tmp_path / "in.exr", "half", "zip")
    out = tmp_path / "out.exr"
    write_frame(out, read_frame(source), matte=_matte(), options=WriteOptions(matte_format="float"))
    _, planes = exr.read(out)
    assert planes["ghost.matte"].dtype == np.float32
    assert np.array_equal(planes["ghost.matte"], _matte())


def test_uint_ids_next_to_half_are_exact_or_refused(tmp_path: Path, exr) -> None:
    rgba = exr.plate().astype(np.float16)
    ids = np.arange(H * W, dtype=np.uint32).reshape(H, W) * 1000
    planes = {**{c: rgba[..., i] for i, c in enumerate("RGBA")}, "id": ids}
    source = exr.write(tmp_path / "ids.exr", planes, ["half"] * 4 + ["uint"])
    frame = read_frame(source)
    assert frame.plane("id").dtype == np.uint32 and np.array_equal(frame.plane("id"), ids)
    out = tmp_path / "out.exr"
    write_frame(out, frame, matte=_matte())
    assert np.array_equal(exr.read(out)[1]["id"], ids)

    frame.plane("id")[0, 0] = 2**24 + 1  # not representable through OpenImageIO's float path
    bad = tmp_path / "bad.exr"
    with pytest.raises(OutputError, match="uint channel id"):
        write_frame(bad, frame, matte=_matte())
    assert not bad.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ids.exr", "out.exr"]


def test_other_parts_of_a_multipart_file_are_copied(tmp_path: Path, exr) -> None:
    rgba = exr.plate().astype(np.float16)
    path = tmp_path / "multi.exr"
    specs = []
    for name, channels, fmt in (("rgba", ("R", "G", "B", "A"), "half"), ("depth", ("Z",), "float")):
        spec = oiio.ImageSpec(W, H, len(channels), fmt)
        spec.channelnames = channels
        spec.attribute("name", name)
        spec.attribute("compression", "zip")
        specs.append(spec)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), specs)
    out.write_image(rgba)
    out.open(str(path), specs[1], "AppendSubimage")
    depth = np.arange(H * W, dtype=np.float32).reshape(H, W, 1)
    out.write_image(depth)
    out.close()

    frame = read_frame(path)
    assert frame.part_count == 2
    result = tmp_path / "out.exr"
    write_frame(result, frame, rgba=frame.rgba(), matte=_matte())
    inp = oiio.ImageInput.open(str(result))
    assert inp.spec().get_int_attribute("oiio:subimages") == 2
    assert inp.seek_subimage(1, 0)
    assert inp.spec().get_string_attribute("name") == "depth"
    assert np.array_equal(inp.read_image(1, 0, 0, 1, "float"), depth)
    inp.close()


def test_write_matte_alone(tmp_path: Path, exr) -> None:
    source = _plate_file(exr, tmp_path / "in.exr", "float", "piz", **HEADER)
    target = tmp_path / "m.exr"
    write_matte(target, read_frame(source), _matte(), {"track_id": 9})
    spec, planes = exr.read(target)
    assert (spec.full_width, spec.full_height, spec.x, spec.y) == (64, 48, 5, 7)
    assert spec.get_int_attribute("ghost:track_id") == 9
    assert np.array_equal(planes["A"], _matte().astype(np.float16))


def test_mipmapped_input_writes_level_zero_only(tmp_path: Path, exr) -> None:
    rgba = exr.plate().astype(np.float16)
    path = tmp_path / "tex.exr"
    spec = oiio.ImageSpec(W, H, 4, "half")
    spec.tile_width = spec.tile_height = 16
    spec.attribute("textureformat", "Plain Texture")
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec, "Create")
    out.write_image(rgba)
    small = oiio.ImageSpec(W // 2, H // 2, 4, "half")
    small.tile_width = small.tile_height = 16
    assert out.open(str(path), small, "AppendMIPLevel")
    out.write_image(rgba[::2, ::2])
    out.close()

    frame = read_frame(path)
    result = tmp_path / "out.exr"
    write_frame(result, frame, rgba=frame.rgba(), matte=_matte())
    inp = oiio.ImageInput.open(str(result))
    assert not inp.seek_subimage(0, 1)  # a single level, so nothing is declared that is not there
    assert inp.seek_subimage(0, 0) and inp.spec().tile_width == 16
    assert np.array_equal(
        inp.read_image(0, 0, 0, 4, "half").view(np.uint16)[_matte() == 0], rgba.view(np.uint16)[_matte() == 0]
    )
    inp.close()


def test_face_box_patch_is_written_at_its_origin(tmp_path: Path, exr) -> None:
    source = _plate_file(exr, tmp_path / "in.exr", "half", "zip", **HEADER)
    frame = read_frame(source)
    matte = _matte()  # non-zero inside rows 5..14, columns 8..19
    patch = np.full((10, 12, 4), 0.75, np.float32)  # rows 5..14, columns 8..19
    out = tmp_path / "out.exr"
    write_frame(out, frame, rgba=patch, matte=matte, origin=(8, 5))
    _, before = exr.read(source)
    _, after = exr.read(out)
    for name in "RGBA":
        assert np.array_equal(
            after[name].view(np.uint16)[matte == 0], before[name].view(np.uint16)[matte == 0]
        )
        assert np.all(after[name][matte > 0] == 0.75)
    with pytest.raises(ValueError, match="does not fit"):
        write_frame(tmp_path / "bad.exr", frame, rgba=patch, matte=matte, origin=(W - 4, 0))
    assert not (tmp_path / "bad.exr").exists()


def test_rgba_source_is_a_view_when_rgba_is_stored_together(tmp_path: Path, exr) -> None:
    frame = read_frame(_plate_file(exr, tmp_path / "in.exr", "half", "zip"))
    source = frame.rgba_source()
    assert source.dtype == np.float16 and source.shape == (H, W, 4)
    assert np.shares_memory(source, frame.plane("R"))
    assert np.array_equal(source.astype(np.float32), frame.rgba(), equal_nan=True)
    rgb = exr.plate()[..., :3].astype(np.float16)
    rgb_only = read_frame(exr.write(tmp_path / "rgb.exr", {c: rgb[..., i] for i, c in enumerate("RGB")}))
    assert rgb_only.rgba_source().dtype == np.float32 and np.all(rgb_only.rgba_source()[..., 3] == 1)
