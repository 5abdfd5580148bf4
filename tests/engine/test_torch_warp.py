"""The torch warps (engine/torch_warp.py) against the OpenCV path they stand in for on CUDA renders.

On CPU torch: crop and paste-back agree with `align.warp_crop` / `matte.warp_to_box` within
TOLERANCE on a smooth synthetic plate, for enlarging, shrinking (supersampled), rotated and
half-pixel-shifted transforms; a real render with the torch warps installed stays close to the
OpenCV render, keeps the plate's bits outside its matte and is chunk-invariant. The same checks
run on CUDA where torch sees a GPU (benchmarks/gpu_check.sh), skipped elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

torch = pytest.importorskip("torch")

from ghost_core.engine.render import render, requested_frames  # noqa: E402
from ghost_core.engine.shot import Shot  # noqa: E402
from ghost_core.engine.torch_warp import TorchWarper, cuda_geometry, warps_on  # noqa: E402
from ghost_core.faces import warp_device  # noqa: E402
from ghost_core.faces.align import Alignment, crop_footprint, warp_crop  # noqa: E402
from ghost_core.matte import paste_matte, warp_to_box  # noqa: E402
from tests.shots import ASSETS  # noqa: E402

# OpenCV rounds sample positions to 1/32 px; on content changing < 0.1 per pixel that is < 2e-3.
TOLERANCE = 2e-3
NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=NO_CUDA)]


def _plate(height: int = 720, width: int = 1280) -> np.ndarray:
    """Smooth scene-linear RGB (values 0..1.6, steepest slope ~0.05 per pixel)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 0.6 + 0.5 * np.sin(x / 23.0) * np.cos(y / 31.0)
    g = 0.5 + 0.4 * np.sin((x + y) / 41.0)
    b = 0.8 + 0.8 * np.cos(x / 57.0 - y / 19.0)
    return np.stack([r, g, b], -1).astype(np.float32)


def _similarity(scale: float, angle: float, tx: float, ty: float, size: int = 224) -> Alignment:
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    return Alignment(np.array([[c, -s, tx], [s, c, ty]], np.float64), pose=2, size=size)


# frame → crop: face larger than the crop (shrink into it), smaller (enlarge), half-pixel shifts,
# rotation, a 256 crop, one partly off the frame
TRANSFORMS = [
    _similarity(0.5, 0.0, -200.0, -150.0),
    _similarity(0.37, 0.3, -180.5, -60.5),
    _similarity(1.6, -0.2, -900.0, -700.5),
    _similarity(3.3, 0.4, -1373.1, -2307.3),  # a small face: paste-back supersampled 4×
    _similarity(1.0, 0.0, -400.5, -300.5),
    _similarity(0.8, 1.1, 150.25, -500.75, size=256),
    _similarity(0.6, 0.05, 20.0, -120.0),  # left edge of the crop lies outside the frame
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("border", ["constant", "replicate"])
def test_crop_matches_opencv(device: str, border: str) -> None:
    plate, warper = _plate(), TorchWarper(device)
    for alignment in TRANSFORMS:
        ours = warper.warp_crop(plate, alignment.matrix, alignment.size, border)
        theirs = warp_crop(plate, alignment, border)
        assert ours.shape == theirs.shape == (alignment.size, alignment.size, 3)
        assert float(np.abs(ours - theirs).max()) < TOLERANCE, (alignment.matrix, border)


@pytest.mark.parametrize("device", DEVICES)
def test_paste_back_of_face_and_matte_matches_opencv(device: str) -> None:
    plate, warper = _plate(), TorchWarper(device)
    yy, xx = np.mgrid[0:256, 0:256]
    for alignment in TRANSFORMS:
        size = alignment.size
        face = warp_crop(plate, alignment)
        # a feathered hull-like matte (GHOST's is blurred too), exactly 0 in the crop's corners
        radius = np.hypot(xx[:size, :size] - size / 2, (yy[:size, :size] - size / 2) * 1.2)
        matte = np.clip((0.42 * size - radius) / 12.0, 0.0, 1.0).astype(np.float32)
        box = crop_footprint(alignment, *plate.shape[:2])
        ours_face = warper.warp_to_box(face, alignment.inverse, box)
        theirs_face = warp_to_box(face, alignment.inverse, box)
        assert ours_face.shape == theirs_face.shape == (box[3], box[2], 3)
        assert float(np.abs(ours_face - theirs_face).max()) < TOLERANCE, alignment.matrix
        previous = warp_device.install(warper)  # paste_matte through the dispatch, as a render does
        try:
            ours_matte = paste_matte(matte, alignment.inverse, box)
        finally:
            warp_device.install(previous)
        theirs_matte = paste_matte(matte, alignment.inverse, box)
        assert float(np.abs(ours_matte - theirs_matte).max()) < TOLERANCE, alignment.matrix
        assert ours_matte.min() >= 0.0 and ours_matte.max() <= 1.0
        # far outside the warped crop both are exactly 0 (the writer keeps the plate's bits there)
        assert np.array_equal(ours_matte == 0, theirs_matte == 0) or (
            np.abs(ours_matte - theirs_matte)[(ours_matte == 0) != (theirs_matte == 0)].max() < TOLERANCE
        )


def test_cpu_runtime_keeps_the_opencv_path() -> None:
    assert cuda_geometry("cpu") is None
    if not torch.cuda.is_available():
        assert cuda_geometry("auto") is None
    with warps_on(cuda_geometry("cpu")):
        assert warp_device.active() is None


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    out = {}
    for path in sorted(folder.glob("swap.*.exr")):
        image = oiio.ImageInput.open(str(path))
        out[path.name] = image.read_image(format=oiio.UNKNOWN)
        image.close()
    return out


@pytest.mark.parametrize("device", DEVICES)
def test_render_with_torch_warps(
    short_plate: str, tmp_path: Path, device: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Warps, crop colour and blend on torch: close to the OpenCV/OCIO render, plate bits outside
    the matte, chunks equal the whole."""
    from ghost_core.knobs import ShotSettings

    settings = ShotSettings(
        plate=short_plate, sources=[[str(ASSETS / "faces" / "elon_musk.jpg")]], swapper="morph",
        detector="retinaface", landmarker="mesh", batch=2, overwrite=True, device="cpu",
    )  # fmt: skip
    shot = Shot(settings)
    tf = shot.analyse()

    def run(out: str, spec: str | None = None) -> None:
        s = replace(settings, out=str(tmp_path / out / "swap.####.exr"))
        render(shot.renderer(s, tf), requested_frames(s, spec))

    calls: dict[str, int] = {"model_crop": 0, "paste_change": 0}

    def counted(name: str):  # type: ignore[no-untyped-def]
        real = getattr(TorchWarper, name)

        def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return real(self, *args, **kwargs)

        return spy

    for name in calls:
        monkeypatch.setattr(TorchWarper, name, counted(name))
    run("opencv")  # device="cpu": the host path, no device step at all
    assert calls == {"model_crop": 0, "paste_change": 0}
    with warps_on(torch.device(device)):
        run("torch")
        assert calls["model_crop"] >= 4 and calls["paste_change"] >= 2, calls  # colour and blend ran there
        run("chunks", "1001-1002")
        run("chunks", "1003-1004")
    reference, ours = _pixels(tmp_path / "opencv"), _pixels(tmp_path / "torch")
    chunks = _pixels(tmp_path / "chunks")
    assert len(reference) == 4 and ours.keys() == reference.keys() == chunks.keys()
    plates = {}
    for name in reference:
        frame = name.split(".")[1]
        image = oiio.ImageInput.open(short_plate.replace("####", frame))
        plates[name] = image.read_image(format=oiio.UNKNOWN)
        image.close()
    swapped = 0
    for name, image in ours.items():
        assert np.array_equal(image, chunks[name]), name  # chunk-invariant on one device
        matte = image[..., 4]
        swapped += int(matte.max() > 0.5)
        outside = matte == 0
        bits = image[..., :3][outside].view(np.uint16), plates[name][..., :3][outside].view(np.uint16)
        assert image.dtype == np.float16 and np.array_equal(*bits), name  # the plate's bits
        ref = reference[name]
        inside = (matte > 0) | (ref[..., 4] > 0)
        # same face, same matte up to resampling and colour rounding (measured with warps, crop colour
        # and blend on torch: mean 3e-7..1e-6, max 4.9e-4, a few half ulps)
        diff = np.abs(image[..., :3].astype(np.float32) - ref[..., :3].astype(np.float32))[inside]
        print(f"{name}: torch vs OpenCV/OCIO render, mean {diff.mean():.1e} max {diff.max():.1e}")
        assert diff.mean() < 1e-4 and diff.max() < 1e-2, (name, float(diff.mean()), float(diff.max()))
        assert float(np.abs(matte.astype(np.float32) - ref[..., 4].astype(np.float32)).max()) < 1e-2, name
    assert any(not np.array_equal(ours[n], reference[n]) for n in ours), "the torch warps did not run"
    assert swapped >= 2, "no frame was swapped: the comparison would prove nothing"
