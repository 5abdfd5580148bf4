"""`ghostswap frames import`: real clips made here (PyAV, Pillow, OpenImageIO) -> EXR, checked against OCIO.

Expected values come from OCIO's own processor applied to the pixels the test put in (or decoded
itself), never from the import code, and allow only half-float rounding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio
import pytest
from av.video.reformatter import Interpolation
from PIL import Image

from ghost_core.color import load_config
from ghost_core.errors import InputError, UsageError
from ghost_core.io.footage import ImportOptions, Lineariser, import_footage
from ghost_core.io.footage_colour import video_space

RTOL, ATOL = 1e-3, 1e-4  # half float: 11-bit mantissa, rounding <= 4.9e-4 relative
H, W = 48, 64


def _ocio(values: np.ndarray, source: str, target: str = "scene_linear") -> np.ndarray:
    """What OCIO says `values` (H×W×3 float, source encoding) are in `target`."""
    config = load_config()
    cpu = config.getProcessor(source, target).getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS)
    out = np.ascontiguousarray(values, np.float32).copy()
    cpu.applyRGB(out)
    return out


def _read(path: Path) -> tuple[oiio.ImageSpec, np.ndarray]:
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    spec = inp.spec().copy()
    pixels = inp.read_image(0, 0, 0, spec.nchannels, "float")
    inp.close()
    return spec, pixels


def _gradient(frame: int) -> np.ndarray:
    """Smooth RGB 0..1 (no sharp chroma edges, so chroma subsampling changes little)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    return np.stack([x / (W - 1), y / (H - 1), np.full_like(x, 0.2 + 0.1 * frame)], axis=-1)


def _encode(path: Path, codec: str, pix_fmt: str, frames: list[np.ndarray], tags: bool = False) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = W, H, pix_fmt
        if codec == "libx264":
            stream.options = {"qp": "0"} if "10" in pix_fmt else {"crf": "12"}
        if tags:
            cc = stream.codec_context
            cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range = 1, 1, 1, 1
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(np.round(rgb * 65535).astype(np.uint16), format="rgb48le")
            frame = frame.reformat(format=pix_fmt, dst_colorspace=1, dst_color_range=1)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _decode_reference(path: Path, fmt: str = "rgb48le") -> list[np.ndarray]:
    """The test's own decode: PyAV to 16-bit RGB, accurate rounding, full chroma (as documented)."""
    flags = Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT | Interpolation.BICUBIC
    with av.open(str(path)) as container:
        return [f.to_ndarray(format=fmt, interpolation=flags) / 65535.0 for f in container.decode(video=0)]


def test_mp4_with_rec709_tags_imports_through_gamma_24(tmp_path: Path) -> None:
    clip = _encode(tmp_path / "clip.mp4", "libx264", "yuv420p", [_gradient(i) for i in range(4)], tags=True)
    summary = import_footage(str(clip), str(tmp_path / "out" / "plate.####.exr"), ImportOptions())
    assert summary["colorspace_in"]["name"] == "Gamma 2.4 Encoded Rec.709"
    assert "stream tags" in summary["colorspace_in"]["from"]
    assert summary["colorspace_out"]["name"] == "ACEScg"
    assert (summary["first_frame"], summary["last_frame"], summary["written"]) == (1001, 1004, 4)
    assert summary["start_from"] == "default"
    reference = _decode_reference(clip)
    for i, decoded in enumerate(reference):
        spec, pixels = _read(tmp_path / "out" / f"plate.{1001 + i}.exr")
        assert spec.format == "half" and spec.channelnames == ("R", "G", "B")
        assert spec.get_string_attribute("compression") == "zip"
        assert spec.get_int_attribute("ghost:source_frame") == i
        np.testing.assert_allclose(pixels, _ocio(decoded, "g24_rec709_scene"), rtol=RTOL, atol=ATOL)
        # and the clip really is the gradient (lossy H.264, so loosely)
        assert np.abs(decoded - _gradient(i)).mean() < 0.01


def test_untagged_mp4_defaults_to_srgb(tmp_path: Path) -> None:
    clip = _encode(tmp_path / "clip.mp4", "libx264", "yuv420p", [_gradient(0)])
    summary = import_footage(str(clip), str(tmp_path / "p.####.exr"), ImportOptions(start=1))
    assert summary["colorspace_in"]["name"] == "sRGB Encoded Rec.709 (sRGB)"
    assert summary["colorspace_in"]["from"].startswith("default")
    _, pixels = _read(tmp_path / "p.0001.exr")
    np.testing.assert_allclose(pixels, _ocio(_decode_reference(clip)[0], "srgb_tx"), rtol=RTOL, atol=ATOL)


def test_deep_video_decodes_to_16_bit_not_8(tmp_path: Path) -> None:
    """A 16-bit lossless clip (FFV1) and a 10-bit H.264 clip keep more than 256 levels per channel."""
    y, x = np.mgrid[0:H, 0:W]
    fine = (20000 + (y * W + x) * 7).astype(np.uint16)  # steps of 7/65535: far below one 8-bit step
    rgb16 = np.stack([fine, fine[::-1], np.full_like(fine, 40000)], axis=-1)
    clip = _encode(tmp_path / "deep.mkv", "ffv1", "gbrp16le", [rgb16 / 65535.0])
    summary = import_footage(str(clip), str(tmp_path / "d.####.exr"), ImportOptions(colorspace="lin_rec709"))
    assert (summary["bit_depth"], summary["decoded_as"]) == (16, "rgb48le")
    _, pixels = _read(tmp_path / "d.1001.exr")
    expected = _ocio(rgb16 / 65535.0, "lin_rec709")
    np.testing.assert_allclose(pixels, expected, rtol=RTOL, atol=ATOL)
    as_8_bit = _ocio(np.round(rgb16 / 257.0) / 255.0, "lin_rec709")
    assert np.abs(pixels - as_8_bit).max() > 5 * np.abs(pixels - expected).max()

    ramp = ((y * W + x) / (H * W - 1)).astype(np.float32)
    ten = _encode(tmp_path / "ten.mp4", "libx264", "yuv444p10le", [np.stack([ramp, ramp, ramp], axis=-1)])
    summary = import_footage(str(ten), str(tmp_path / "t.####.exr"), ImportOptions(colorspace="lin_rec709"))
    assert (summary["bit_depth"], summary["decoded_as"]) == (10, "rgb48le")
    _, pixels = _read(tmp_path / "t.1001.exr")
    assert len(np.unique(pixels[..., 1])) > 600  # a 10-bit ramp: far more levels than 8 bits hold


def test_gif_palette_colours_and_transparency(tmp_path: Path) -> None:
    colours = [(200, 30, 60), (10, 240, 120), (128, 128, 128)]
    images = []
    for i, colour in enumerate(colours):
        rgb = np.zeros((H, W, 3), np.uint8)
        rgb[:, : W // 2] = colour
        rgb[:, W // 2 :] = colours[(i + 1) % 3]
        images.append(Image.fromarray(rgb))
    clip = tmp_path / "anim.gif"
    images[0].save(clip, save_all=True, append_images=images[1:], duration=40, loop=0)
    summary = import_footage(str(clip), str(tmp_path / "g.####.exr"), ImportOptions(start=0))
    assert summary["reader"] == "pyav" and summary["written"] == 3
    for i, image in enumerate(images):
        spec, pixels = _read(tmp_path / f"g.{i:04d}.exr")
        expected = _ocio(np.asarray(image) / 255.0, "srgb_tx")
        np.testing.assert_allclose(pixels[..., :3], expected, rtol=RTOL, atol=ATOL)
        if spec.nchannels == 4:
            assert np.all(pixels[..., 3] == 1.0)

    transparent = Image.fromarray(np.full((H, W, 3), 90, np.uint8)).convert("P")
    transparent.putpixel((0, 0), 1)
    transparent.putpalette([90, 90, 90, 255, 0, 0])
    transparent.save(tmp_path / "clear.gif", transparency=1)
    import_footage(str(tmp_path / "clear.gif"), str(tmp_path / "c.####.exr"), ImportOptions())
    spec, pixels = _read(tmp_path / "c.1001.exr")
    assert spec.channelnames == ("R", "G", "B", "A")
    assert pixels[0, 0].tolist() == [0, 0, 0, 0]  # premultiplied: nothing where alpha is 0
    assert pixels[1, 1, 3] == 1.0


def _png16_sequence(folder: Path, frames: range) -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    y, x = np.mgrid[0:H, 0:W]
    for frame in frames:
        values = ((y * W + x) * 13 + frame * 101 + 3000).astype(np.uint16)
        rgb = np.stack([values, 65535 - values, values // 2], axis=-1).astype(np.uint16)
        path = str(folder / f"scan.{frame:04d}.png")
        out = oiio.ImageOutput.create(path)
        assert out.open(path, oiio.ImageSpec(W, H, 3, "uint16")) and out.write_image(rgb), oiio.geterror()
        out.close()
        written.append(rgb)
    return written


def test_16_bit_png_sequence_keeps_16_bits(tmp_path: Path) -> None:
    sources = _png16_sequence(tmp_path / "scan", range(1, 4))
    summary = import_footage(
        str(tmp_path / "scan" / "scan.####.png"), str(tmp_path / "o.####.exr"), ImportOptions()
    )
    assert (summary["kind"], summary["bit_depth"], summary["frames"]) == ("sequence", 16, 3)
    assert summary["colorspace_in"] == {
        "name": "sRGB Encoded Rec.709 (sRGB)",
        "from": "metadata oiio:ColorSpace=srgb_rec709_scene",
    }
    for i, rgb in enumerate(sources):
        spec, pixels = _read(tmp_path / f"o.{1001 + i}.exr")
        assert spec.get_string_attribute("ghost:source_colorspace") == "sRGB Encoded Rec.709 (sRGB)"
        assert spec.get_int_attribute("ghost:source_frame") == i + 1
        expected = _ocio(rgb / 65535.0, "srgb_tx")
        np.testing.assert_allclose(pixels, expected, rtol=RTOL, atol=ATOL)
        as_8_bit = _ocio(np.round(rgb / 257.0) / 255.0, "srgb_tx")
        assert np.abs(pixels - as_8_bit).max() > 5 * np.abs(pixels - expected).max()


def test_resume_skips_finished_frames_and_redoes_broken_ones(tmp_path: Path) -> None:
    _png16_sequence(tmp_path / "scan", range(1, 5))
    clip, out = str(tmp_path / "scan" / "scan.####.png"), str(tmp_path / "out" / "o.####.exr")
    assert import_footage(clip, out, ImportOptions())["written"] == 4
    again = import_footage(clip, out, ImportOptions())
    assert (again["written"], again["skipped_complete"]) == (0, 4)

    (tmp_path / "out" / "o.1002.exr").unlink()
    broken = tmp_path / "out" / "o.1003.exr"
    broken.write_bytes(broken.read_bytes()[:-200])  # a copy cut short
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "out").iterdir()}
    resumed = import_footage(clip, out, ImportOptions())
    assert (resumed["written"], resumed["skipped_complete"]) == (2, 2)
    assert (tmp_path / "out" / "o.1001.exr").stat().st_mtime_ns == mtimes["o.1001.exr"]
    assert not [p for p in os.listdir(tmp_path / "out") if p.startswith(".")]  # no temp files left

    other = import_footage(clip, out, ImportOptions(colorspace="lin_rec709"))  # new settings: all again
    assert other["written"] == 4
    assert import_footage(clip, out, ImportOptions(colorspace="lin_rec709", overwrite=True))["written"] == 4


def test_typed_errors_through_the_cli(tmp_path: Path, run_cli) -> None:
    clip = _encode(tmp_path / "clip.mp4", "libx264", "yuv420p", [_gradient(0)])
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(4096))
    out = str(tmp_path / "out" / "p.####.exr")
    cases = [
        ([str(tmp_path / "missing.mov"), "--out", out], 3, "InputError", "not found"),
        ([str(corrupt), "--out", out], 3, "InputError", "corrupt.mp4"),
        ([str(clip), "--out", out, "--colorspace", "no-such-space"], 2, "UsageError", "no-such-space"),
        ([str(clip), "--out", str(tmp_path / "plate.exr")], 2, "UsageError", "frame token"),
        ([str(clip), "--out", str(tmp_path / "p.####.png")], 2, "UsageError", ".exr"),
        ([str(tmp_path / "notes.txt"), "--out", out], 2, "UsageError", "unknown clip type"),
    ]
    for argv, code, error, words in cases:
        got, stdout, _ = run_cli("--json", "frames", "import", *argv)
        payload = json.loads(stdout)
        assert (got, payload["error"]) == (code, error), argv
        assert words in payload["message"] and "\n" not in payload["message"]
    assert not (tmp_path / "out").exists()  # refused runs leave nothing behind

    code, stdout, _ = run_cli("frames", "import", str(clip), "--out", out, "--start", "1")
    assert code == 0 and "first frame 1, --start" in stdout and "sRGB" in stdout


def test_video_tag_mapping() -> None:
    config = load_config()
    assert video_space(config, 1, 13).name == "sRGB Encoded Rec.709 (sRGB)"
    assert video_space(config, 9, 8).name == "Linear Rec.2020"
    assert video_space(config, 12, 13).name == "sRGB Encoded P3-D65"
    assert video_space(config, 6, 6).name == "Gamma 2.4 Encoded Rec.709"
    assert video_space(config, 9, 16).source.startswith("default")  # PQ: not guessed
    assert video_space(config, 2, 2).source.startswith("default")


def test_error_types_are_the_documented_ones() -> None:
    with pytest.raises(UsageError):
        import_footage("clip.mp4", "plate.%04d.jpg", ImportOptions())
    with pytest.raises(InputError):
        import_footage("/nonexistent/clip.mp4", "/tmp/x.####.exr", ImportOptions())


@pytest.mark.parametrize(("dtype", "codes"), [(np.uint16, 65536), (np.uint8, 256)])
def test_integer_codes_linearise_as_the_lossless_float_path(dtype: type, codes: int) -> None:
    """Every code value through the integer-input processor equals OCIO's lossless float answer."""
    config = load_config()
    ramp = np.arange(codes, dtype=np.int64)
    pixels = np.stack([ramp, ramp[::-1], (ramp * 7) % codes], axis=-1).astype(dtype)
    pixels = np.ascontiguousarray(pixels.reshape(-1, 256, 3))
    got = Lineariser(config.getProcessor("sRGB Encoded Rec.709 (sRGB)", "scene_linear"))(pixels)
    want = _ocio(pixels.astype(np.float32) / np.float32(codes - 1), "sRGB Encoded Rec.709 (sRGB)")
    assert got.dtype == np.float32 and got.shape == pixels.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_the_lineariser_refuses_a_depth_ocio_is_not_given() -> None:
    config = load_config()
    lin = Lineariser(config.getProcessor("sRGB Encoded Rec.709 (sRGB)", "scene_linear"))
    with pytest.raises(TypeError, match="int32"):
        lin(np.zeros((2, 2, 3), np.int32))
