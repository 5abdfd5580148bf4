"""The device half of a CUDA render (engine/torch_colour.py, torch_warp.TorchWarper's device steps)
against the CPU path it stands in for, on CPU torch (and on CUDA where torch sees one).

Measured on CPU torch (2026-12-04), max abs difference from the CPU path:
- colour, formulas (ACEScg, linear Rec.709, ACES2065-1 → model space): ≤ 1.2e-7 forward (clipped
  0..1, NaN/Inf as OCIO), ≤ 2.4e-7 inverse; sampled curves (log plates) ≤ 1.4e-4; the 3D LUT path
  (ACEScg with its matrix baked) ≤ 2e-4;
- the device crop (colour + warp) vs `cut_face` on the CPU: ≤ 6.3e-6 (mean 3.5e-8);
- the ghost generator's resizes on torch vs OpenCV: 224 → 256 ≤ 1.2e-7, 256 → 224 ≤ 2.1e-5 on
  uniform-noise crops (the worst case), a whole swap ≤ 1.9e-5;
- the paste-back blend vs `paste_face` on the CPU: ≤ 8.3e-7 relative to the plate (≥ 1).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ghost_core.color import ColorPath, load_config, model_colorspace  # noqa: E402
from ghost_core.composite import paste_face  # noqa: E402
from ghost_core.engine import torch_colour  # noqa: E402
from ghost_core.engine.crops import cut_face  # noqa: E402
from ghost_core.engine.torch_colour import DeviceColour  # noqa: E402
from ghost_core.engine.torch_warp import TorchWarper  # noqa: E402
from ghost_core.faces import warp_device  # noqa: E402
from ghost_core.faces.align import estimate_norm, templates  # noqa: E402

NO_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=NO_CUDA)]


def _path(space: str) -> ColorPath:
    config = load_config("ocio://studio-config-latest")
    return ColorPath(config, space, model_colorspace(config).name)


def _linear_pixels() -> np.ndarray:
    """Scene-linear test pixels: darks, skin-like, highlights to 200, negatives, NaN and ±Inf."""
    rng = np.random.default_rng(7)
    values = [
        rng.uniform(0.0, 1.0, (3000, 3)) ** 2.2,
        rng.uniform(0.0, 1.0, (500, 3)) * rng.uniform(1.0, 200.0, (500, 1)),
        rng.uniform(-0.2, 0.3, (500, 3)),
        np.array([[np.nan, 0.2, 0.3], [np.inf, 0.1, 0.1], [-np.inf, 0.5, 0.5], [np.inf, np.inf, np.inf]]),
    ]
    return np.ascontiguousarray(np.concatenate(values), np.float32)


def _cpu_model(path: ColorPath, pixels: np.ndarray, gain: float) -> np.ndarray:
    """What crops.cut_face feeds the network on the CPU."""
    out = path.to_model(pixels, gain, clip=True)
    return np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("space", ["ACEScg", "Linear Rec.709 (sRGB)", "ACES2065-1"])
def test_linear_plates_convert_by_formula_as_ocio_does(device: str, space: str) -> None:
    path = _path(space)
    colour = DeviceColour(path, device)
    assert colour.forward.kind == colour.inverse.kind == "analytic"
    pixels = _linear_pixels()
    for gain in (1.0, 3.7):
        ours = colour.to_model(torch.from_numpy(pixels).to(device), gain).cpu().numpy()
        assert np.isfinite(ours).all()
        assert float(np.abs(ours - _cpu_model(path, pixels, gain)).max()) < 1e-6, gain
    model = np.random.default_rng(8).uniform(0.0, 1.0, (4000, 3)).astype(np.float32)
    for gain in (1.0, 0.5):
        ours = colour.from_model(torch.from_numpy(model).to(device), gain).cpu().numpy()
        assert float(np.abs(ours - path.from_model(model, gain)).max()) < 1e-6, gain


@pytest.mark.parametrize("space", ["ACEScct", "ARRI LogC4", "S-Log3 S-Gamut3"])
def test_log_plates_use_sampled_curves_close_to_ocio(space: str) -> None:
    path = _path(space)
    colour = DeviceColour(path, "cpu")
    assert colour.forward.kind == "curves"
    assert colour.forward.error < 2e-4
    # pixels the build-time probe never saw: log code values of skin and highlights
    code = path.from_model(np.random.default_rng(9).uniform(0.0, 1.3, (4000, 3)).astype(np.float32))
    ours = colour.to_model(torch.from_numpy(code)).numpy()
    assert float(np.abs(ours - _cpu_model(path, code, 1.0)).max()) < 2e-4


def test_baked_lut_path_is_close_to_ocio() -> None:
    """The 3D LUT (here ACEScg's matrix, baked on purpose) between exactly applied curves."""
    path = _path("ACEScg")
    colour = DeviceColour(path, "cpu", force_lut=True)
    assert colour.forward.kind == colour.inverse.kind == "lut"
    pixels = _linear_pixels()[:3500]  # no NaN: the LUT path sends a NaN pixel to 0 as a whole
    ours = colour.to_model(torch.from_numpy(pixels)).numpy()
    assert float(np.abs(ours - _cpu_model(path, pixels, 1.0)).max()) < 5e-4
    # a chain with a transform that has no formula here falls back to the LUT by itself
    assert DeviceColour(_path("Rec.2100-HLG - Display"), "cpu").forward.kind == "lut"


def test_a_misread_chain_falls_back_to_the_lut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build-time probe catches a formula that disagrees with OCIO."""
    real = torch_colour._matrix_op

    def off_by_a_bit(transform, inverse):  # type: ignore[no-untyped-def]
        op = real(transform, inverse)
        return None if op is None else (lambda x: op(x) * 1.01)

    monkeypatch.setattr(torch_colour, "_matrix_op", off_by_a_bit)
    colour = DeviceColour(_path("ACEScg"), "cpu")
    assert colour.forward.kind == "lut" and colour.forward.error < 5e-4


def _plate() -> np.ndarray:
    """A smooth 1280×720 scene-linear plate with a 40.0 highlight, negatives and one NaN in the face."""
    y, x = np.mgrid[0:720, 0:1280].astype(np.float64)
    rgb = np.stack(
        [0.3 + 0.2 * np.sin(x / 37.0), 0.2 + 0.15 * np.cos(y / 29.0), 0.15 + 0.1 * np.sin((x + y) / 53.0)], -1
    ).astype(np.float32)
    rgb[330:340, 600:620] = 40.0  # a specular on the face
    rgb[380:384, 560:566, 2] = -0.05  # out-of-gamut negatives
    rgb[355, 640] = np.nan  # a broken pixel inside the face
    rgb[10, 10] = np.nan  # and one far outside it
    return rgb


def _kps() -> np.ndarray:
    """Key points putting the frontal template around (640, 360) at 1.4× the 224 crop."""
    return templates()[2] * 1.4 + np.array([640.0 - 157.0, 360.0 - 157.0])


@pytest.mark.parametrize("device", DEVICES)
def test_device_crop_matches_cut_face(device: str) -> None:
    path, plate, kps = _path("ACEScg"), _plate(), _kps()
    rgba = np.concatenate([plate, np.ones((*plate.shape[:2], 1), np.float32)], -1)
    theirs = cut_face(rgba, path, kps, gain=1.3)
    previous = warp_device.install(TorchWarper(device))
    try:
        ours = cut_face(rgba, path, kps, gain=1.3)
    finally:
        warp_device.install(previous)
    assert theirs is not None and ours is not None and theirs.on_device is None
    assert ours.box == theirs.box and ours.seen.shape == theirs.seen.shape == (224, 224, 3)
    assert np.isfinite(ours.seen).all() and ours.seen.min() >= 0.0 and ours.seen.max() <= 1.0
    assert float(np.abs(ours.seen - theirs.seen).max()) < 5e-5
    # the device twin is exactly the crop the host got
    twin = ours.on_device.cpu().numpy()[0].transpose(1, 2, 0)
    assert np.array_equal(twin, ours.seen)


def _faces(plate: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
    """(seen, swap, matte, alignment): the swap changes only a patch left of the face's centre."""
    path = _path("ACEScg")
    alignment = estimate_norm(_kps())
    rgba = np.concatenate([plate, np.ones((*plate.shape[:2], 1), np.float32)], -1)
    crop = cut_face(rgba, path, _kps())
    assert crop is not None
    seen = crop.seen
    swap = seen.copy()
    swap[120:170, 60:110] = np.clip(swap[120:170, 60:110] * 0.6 + 0.2, 0.0, 1.0)
    yy, xx = np.mgrid[0:224, 0:224]
    matte = np.clip((80.0 - np.hypot(xx - 112.0, (yy - 112.0) * 1.1)) / 10.0, 0.0, 1.0).astype(np.float32)
    return seen, swap, matte, alignment


@pytest.mark.parametrize("device", DEVICES)
def test_device_blend_matches_paste_face_and_keeps_the_plate(device: str) -> None:
    path, plate = _path("ACEScg"), _plate()
    seen, swap, matte, alignment = _faces(plate)
    theirs = paste_face(plate, swap, seen, alignment, matte, path, gain=1.0)
    warper = TorchWarper(device)
    calls: list[int] = []
    blend = warper.paste_change
    warper.paste_change = lambda *a: (calls.append(1), blend(*a))[1]  # type: ignore[method-assign]
    previous = warp_device.install(warper)
    try:
        ours = paste_face(plate, swap, seen, alignment, matte, path, gain=1.0)
    finally:
        warp_device.install(previous)
    assert calls == [1], "paste_face did not blend on the device"
    # the matte is pasted by the torch warp too (tests/engine/test_torch_warp.py bounds that)
    assert ours.box == theirs.box and float(np.abs(ours.matte - theirs.matte).max()) < 2e-3
    x, y, w, h = ours.box
    before = plate[y : y + h, x : x + w]
    m = ours.matte
    # matte 0: the plate's exact bits (NaN included); inside: close to the CPU blend
    assert np.array_equal(ours.rgb[m == 0].view(np.uint32), before[m == 0].view(np.uint32))
    inside = m > 0
    both = inside & (theirs.matte > 0)
    scale = np.maximum(np.abs(theirs.rgb[both]), 1.0)
    error = float((np.abs(ours.rgb[both] - theirs.rgb[both]) / scale).max())
    print(f"device blend vs CPU: max relative error {error:.2e}")
    assert error < 1e-5
    # no NaN introduced; the broken plate pixel under the matte took the swap's own light
    assert np.isfinite(ours.rgb[inside]).all()
    # the 40.0 specular under the matte, where the swap left the face alone, is the plate's own
    hot = (before >= 40.0).all(-1) & inside
    assert hot.sum() > 100 and np.array_equal(ours.rgb[hot], before[hot])
    # and the face really changed where the swap did
    assert float(np.abs(ours.rgb - np.nan_to_num(before))[inside].max()) > 0.05


@pytest.mark.parametrize("device", DEVICES)
def test_device_blend_itself_keeps_plate_bits_where_the_matte_is_zero(device: str) -> None:
    """paste_change on its own (paste_face also copies through the matte): m = 0 gives the plate."""
    path, plate = _path("ACEScg"), _plate()
    seen, swap, _, alignment = _faces(plate)
    support = (500, 220, 280, 280)
    x, y, w, h = support
    region = plate[y : y + h, x : x + w].copy()
    region[100:105, 100:110] = -0.0  # plates carry −0.0: plate + 0·D would turn it into +0.0
    region[106, 106] = np.nan
    weight = np.zeros((h, w, 1), np.float32)
    weight[40:240, 40:240] = 0.5
    weight[100:110, 100:110] = 0.0  # holes in the matte, where the change is not 0
    out = TorchWarper(device).paste_change(region, weight, swap, seen, alignment.inverse, support, path, 1.0)
    zero = weight[..., 0] == 0
    assert np.array_equal(out[zero].view(np.uint32), region[zero].view(np.uint32))
    assert not np.array_equal(out[~zero], region[~zero])


class _TinyGenerator(torch.nn.Module):
    """A stand-in generator (same shapes as AEI-Net's graph): a fixed 3×3 conv plus the identity."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)
        with torch.no_grad():
            generator = torch.Generator().manual_seed(4)
            self.conv.weight.copy_(torch.randn(3, 3, 3, 3, generator=generator) * 0.2)
            self.conv.bias.zero_()

    def forward(self, target: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(target) + z_id[:, :3, None, None])


def _ghost(arcface: object = None) -> object:
    from ghost_core.runtime.backends import Backend, TorchBackend
    from ghost_core.swappers.ghost import GhostSwapper

    backend = TorchBackend.__new__(TorchBackend)
    Backend.__init__(backend, "generator", device="cpu", precision="fp32", max_batch=2)
    backend.dtype, backend.torch_device, backend.pad = torch.float32, torch.device("cpu"), True
    backend.module = _TinyGenerator().eval()
    return GhostSwapper(backend, arcface=arcface)  # type: ignore[arg-type]


def test_ghost_resizes_on_the_device_match_opencv() -> None:
    swapper = _ghost()
    crops = np.random.default_rng(11).uniform(0.0, 1.0, (3, 224, 224, 3)).astype(np.float32)
    identity = np.linspace(-0.5, 0.5, 512, dtype=np.float32)
    theirs = swapper.swap(crops, identity)  # type: ignore[attr-defined]

    def no_host(*_: object) -> None:
        raise AssertionError("the device path sent the generator's input through the host")

    swapper.generator._run = no_host  # type: ignore[attr-defined]
    warper = TorchWarper("cpu")
    calls: list[int] = []
    resize = warper.resize
    warper.resize = lambda batch, size: (calls.append(size), resize(batch, size))[1]  # type: ignore[method-assign]
    previous = warp_device.install(warper)
    try:
        ours = swapper.swap(crops, identity)  # type: ignore[attr-defined]
        twins = swapper.swap(warper.batch([warper.batch(c[None]) for c in crops]), identity)  # type: ignore[attr-defined]
    finally:
        warp_device.install(previous)
    assert calls == [256, 224, 256, 224], "the resizes did not run on the device"
    assert ours.shape == theirs.shape == (3, 224, 224, 3)
    assert float(np.abs(ours - theirs).max()) < 1e-4
    assert np.array_equal(ours, twins)  # device twins and uploaded host crops: the same bits


class _Identity:
    """A stand-in ArcFace: every source is the same fixed identity."""

    def identity(self, photos: object) -> np.ndarray:
        return np.linspace(-0.5, 0.5, 512, dtype=np.float32)


def test_ghost_render_on_the_device_path_is_chunk_invariant(
    short_plate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ghost render (GhostSwapper on a torch backend, the stand-in network above so it stays
    fast) with every device step on: chunks equal the whole render bit for bit and the plate's
    bits stay outside the matte (how close the device steps are to the host's: the tests above
    and tests/engine/test_torch_warp.py).

    The stand-in network keeps it fast; the torch backend's padding to one batch size, which keeps
    the real generator's bits independent of how a chunk batches its faces, is tested in
    tests/test_runtime.py."""
    from ghost_core.engine.render import render, requested_frames
    from ghost_core.engine.shot import Shot
    from ghost_core.engine.torch_warp import warps_on
    from ghost_core.knobs import ShotSettings
    from ghost_core.swappers.ghost import GhostSwapper
    from tests.shots import ASSETS, bits, frame

    swapper = _ghost(_Identity())
    monkeypatch.setattr(GhostSwapper, "from_settings", classmethod(lambda cls, settings: swapper))
    calls: list[int] = []
    generator = swapper.generator  # type: ignore[attr-defined]
    real = generator.call_tensors
    generator.call_tensors = lambda *t: (calls.append(len(t[0])), real(*t))[1]
    settings = ShotSettings(
        plate=short_plate, sources=[[str(ASSETS / "faces" / "mark.jpg")]], swapper="ghost",
        backend="torch", detector="retinaface", landmarker="mesh", batch=2,
        overwrite=True, device="cpu", frames="1001-1003",
    )  # fmt: skip
    shot = Shot(settings)
    tf = shot.analyse()  # on the host: no device warper yet

    def no_host(*_: object) -> None:
        raise AssertionError("the device path sent the generator's input through the host")

    generator._run = no_host

    def run(out: str, spec: str | None = None) -> str:
        s = replace(settings, out=str(tmp_path / out / "g.####.exr"))
        render(shot.renderer(s, tf), requested_frames(s, spec))
        return s.out  # type: ignore[return-value]

    with warps_on(torch.device("cpu")):
        whole = run("device")
        run("chunks", "1001")  # batches [1001] [1002, 1003], the whole render's [1001, 1002] [1003]
        chunks = run("chunks", "1002-1003")
    changed = 0
    for f in (1001, 1002, 1003):
        ours, parts = frame(whole, f), frame(chunks, f)
        plate = frame(short_plate, f)
        for name in ("R", "G", "B", "ghost.matte"):
            assert np.array_equal(bits(ours, name), bits(parts, name)), (f, name)
        matte = ours.plane("ghost.matte").astype(np.float32)
        for name in ("R", "G", "B"):
            outside = matte == 0
            assert np.array_equal(bits(ours, name)[outside], bits(plate, name)[outside]), (f, name)
            assert np.isfinite(ours.plane(name)).all(), (f, name)
        changed += int(matte.max() > 0.5 and not np.array_equal(bits(ours, "R"), bits(plate, "R")))
    assert changed == 3, "a frame was not swapped: the comparison would prove little"
    assert len(calls) >= 4, "the generator's input did not come from the device"
