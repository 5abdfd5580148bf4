"""A shot's OCIO colour path (color.ColorPath) on a torch device, for renders whose warps run there.

The CPU path converts a crop's plate footprint to model space with OCIO's CPU processor (then
clips 0..1 and sets NaN to 0), and the network's crops back to scene-linear for paste-back. On a
GPU those conversions would cost a round trip per face, so each direction is rebuilt on torch:

- analytic, when OCIO's optimised chain is only matrices, `ExponentWithLinearTransform` (the
  sRGB/Rec.709 curves) and `ExponentTransform` (pure gammas): the same formulas in float32, so
  the result is OCIO's up to float rounding (NaN and Inf behave as on the CPU too);
- otherwise (log plates: LogCamera, Lut1D, ...) the CPU processor baked once per shot into a
  1D shaper and a LUT_SIZE³ 3D LUT, applied with trilinear interpolation (`grid_sample`).
  Forward: over the plate-space range of the probe (model space −0.1..12 mapped back: linear
  to ~340), asinh spaced when that range is wide (linear plates), inputs outside it clamped to
  it; a pixel with
  a NaN channel gives 0. Inverse: the model space's 0..1 cube, inputs clamped to it (crops are
  0..1 by construction). Far less exact than the other two (see `error`), and only met for
  chains with channel-mixing transforms beyond matrices (e.g. FixedFunction, Lut3D).

An analytic chain is accepted only if it matches the CPU processor on a probe set within
ANALYTIC_TOLERANCE, so a misread transform falls back to the LUT instead of shifting colours.
`kind` and `error` (max abs difference from OCIO on the probe set) say which path a direction
took and how close it is; tests/engine/test_torch_colour.py measures them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import PyOpenColorIO as ocio

from ghost_core.color import OCIO_OPTIMIZATION, ColorPath

if TYPE_CHECKING:
    import torch

LUT_SIZE = 65
SHAPER_SOFTNESS = 1.0 / 16.0  # asinh knee of a wide forward 3D LUT: linear below ~1/16, logarithmic above
CURVE_SHAPER = (-64.0, 65504.0, 1.0 / 1024.0)
ANALYTIC_TOLERANCE = 1e-4  # formulas only: float rounding (≤ 3.2e-5 on the studio config, most 1e-7)
CURVE_TOLERANCE = 1e-3  # with sampled curves (≤ 1.4e-4 on the studio config's log plates, CanonLog3 6e-4)

Op = Callable[["torch.Tensor"], "torch.Tensor"]


def _matrix_op(transform: ocio.MatrixTransform, inverse: bool) -> Op | None:
    m = np.asarray(transform.getMatrix(), np.float64).reshape(4, 4)
    offset = np.asarray(transform.getOffset(), np.float64)[:3]
    if np.any(m[3, :3] != 0) or np.any(m[:3, 3] != 0):
        return None  # alpha feeds colour: not representable on RGB alone
    m3 = m[:3, :3]
    if inverse:
        if abs(np.linalg.det(m3)) < 1e-12:
            return None
        m3 = np.linalg.inv(m3)
        offset = -m3 @ offset
    rows = [tuple(float(v) for v in row) for row in m3]
    shift = [float(v) for v in offset]

    def apply(x: torch.Tensor) -> torch.Tensor:
        import torch

        r, g, b = x[..., 0], x[..., 1], x[..., 2]
        # OCIO's CPU order: m0·r + m1·g + m2·b (+ offset), one channel at a time.
        out = [row[0] * r + row[1] * g + row[2] * b for row in rows]
        if any(shift):
            out = [c + s for c, s in zip(out, shift, strict=True)]
        return torch.stack(out, -1)

    return apply


def _per_channel(functions: list[Callable[[torch.Tensor], torch.Tensor]]) -> Op:
    def apply(x: torch.Tensor) -> torch.Tensor:
        import torch

        return torch.stack([f(x[..., c]) for c, f in enumerate(functions)], -1)

    return apply


Curve = Callable[["torch.Tensor"], "torch.Tensor"]


def _styled(curve: Curve, style: Any) -> Curve:
    """`curve` for x ≥ 0 extended to negatives as OCIO's NegativeStyle says."""
    import torch

    if style == ocio.NEGATIVE_MIRROR:
        return lambda x: torch.sign(x) * curve(torch.abs(x))
    if style == ocio.NEGATIVE_PASS_THRU:
        return lambda x: torch.where(x < 0, x, curve(torch.clamp(x, min=0.0)))
    return lambda x: curve(torch.clamp(x, min=0.0))  # NEGATIVE_CLAMP: negatives become curve(0)


def _moncurve_op(transform: ocio.ExponentWithLinearTransform, inverse: bool) -> Op | None:
    """OCIO's ExponentWithLinear: forward decodes ((x + o)/(1 + o))^g above the break, x/slope below."""
    import torch

    style = transform.getNegativeStyle()
    if style not in (ocio.NEGATIVE_LINEAR, ocio.NEGATIVE_MIRROR):
        return None
    functions = []
    for g, o in zip(transform.getGamma()[:3], transform.getOffset()[:3], strict=True):
        if not (g > 1.0 and o > 0.0):
            return None
        encoded_break = o / (g - 1.0)
        linear_break = ((encoded_break + o) / (1.0 + o)) ** g
        slope = encoded_break / linear_break

        def decode(x: torch.Tensor, g: float = g, o: float = o, xb: float = encoded_break, s: float = slope):
            power = torch.pow((torch.clamp(x, min=xb) + o) / (1.0 + o), g)
            return torch.where(x > xb, power, x / s)

        def encode(y: torch.Tensor, g: float = g, o: float = o, yb: float = linear_break, s: float = slope):
            power = (1.0 + o) * torch.pow(torch.clamp(y, min=yb), 1.0 / g) - o
            return torch.where(y > yb, power, y * s)

        curve = encode if inverse else decode
        if style == ocio.NEGATIVE_MIRROR:
            curve = _styled(curve, style)
        functions.append(curve)
    return _per_channel(functions)


def _exponent_op(transform: ocio.ExponentTransform, inverse: bool) -> Op | None:
    import torch

    values = transform.getValue()[:3]
    if any(v <= 0 for v in values):
        return None
    style = transform.getNegativeStyle()
    if style == ocio.NEGATIVE_LINEAR:
        return None
    functions = []
    for v in values:
        exponent = 1.0 / v if inverse else v

        def power(x: torch.Tensor, e: float = exponent) -> torch.Tensor:
            return torch.pow(x, e)

        functions.append(_styled(power, style))
    return _per_channel(functions)


# Per-channel transforms without a formula here are resampled into a CURVE_SIZE 1D table over
# CURVE_SHAPER (asinh spacing: ~1e-7 apart near 0, ~1e-4 at 1, still covering half-float range);
# positions are computed in float64 (float32 would misplace a sample by ~1% of a step).
CURVE_SIZE = 1 << 18
PER_CHANNEL = (
    "LogCameraTransform",
    "LogAffineTransform",
    "LogTransform",
    "RangeTransform",
    "Lut1DTransform",
    "ExponentWithLinearTransform",  # the negative styles without a formula here
    "ExponentTransform",
)


def _curve_op(config: ocio.Config, transform: ocio.Transform) -> Op | None:
    """A per-channel transform as three sampled curves (linear interpolation in shaper space)."""
    import torch

    if isinstance(transform, ocio.Lut1DTransform) and transform.getHueAdjust() != ocio.HUE_NONE:
        return None  # hue-preserving 1D LUTs mix channels
    shaper = Shaper(*CURVE_SHAPER)
    xs = shaper.inverse(np.linspace(0.0, 1.0, CURVE_SIZE))
    rgba = np.ascontiguousarray(np.repeat(xs[:, None], 4, 1), np.float32)
    config.getProcessor(transform).getOptimizedCPUProcessor(OCIO_OPTIMIZATION).applyRGBA(rgba)
    big = float(np.finfo(np.float32).max)
    table = np.nan_to_num(rgba[:, :3].T, nan=0.0, posinf=big, neginf=-big)
    tables: dict[Any, torch.Tensor] = {}

    def apply(x: torch.Tensor) -> torch.Tensor:
        if x.device not in tables:
            tables[x.device] = torch.from_numpy(np.ascontiguousarray(table, np.float32)).to(x.device)
        values = tables[x.device]
        position = shaper.forward(torch.nan_to_num(x.double(), nan=0.0), torch) * (CURVE_SIZE - 1)
        lower = position.floor().clamp(0, CURVE_SIZE - 2)
        weight = (position - lower).float()
        index = lower.long()
        out = []
        for c in range(3):
            lo = values[c][index[..., c]]
            hi = values[c][index[..., c] + 1]
            out.append(lo + weight[..., c] * (hi - lo))
        return torch.where(torch.isnan(x), x, torch.stack(out, -1))

    return apply


@dataclass
class Step:
    """One transform of the optimised chain: its torch op (None: must be baked), sampled or not."""

    transform: ocio.Transform
    op: Op | None
    sampled: bool = False


def chain_steps(processor: ocio.Processor, config: ocio.Config, bake_matrices: bool = False) -> list[Step]:
    """The processor's optimised chain, each transform as a formula, a sampled per-channel curve,
    or None where it mixes channels in a way only a 3D LUT can stand for (`bake_matrices`: treat
    matrices so too, to measure the LUT path on plates that never need it)."""
    steps: list[Step] = []
    for transform in processor.getOptimizedProcessor(OCIO_OPTIMIZATION).createGroupTransform():
        inverse = transform.getDirection() == ocio.TRANSFORM_DIR_INVERSE
        op: Op | None = None
        if isinstance(transform, ocio.MatrixTransform):
            op = None if bake_matrices else _matrix_op(transform, inverse)
        elif isinstance(transform, ocio.ExponentWithLinearTransform):
            op = _moncurve_op(transform, inverse)
        elif isinstance(transform, ocio.ExponentTransform):
            op = _exponent_op(transform, inverse)
        if op is None and type(transform).__name__ in PER_CHANNEL:
            steps.append(Step(transform, _curve_op(config, transform), sampled=True))
            continue
        steps.append(Step(transform, op))
    return steps


@dataclass(frozen=True)
class Shaper:
    """Per-channel map of the LUT's input range onto 0..1: asinh(x / k) rescaled (k = 0: linear)."""

    low: float
    high: float
    softness: float

    def forward(self, x: Any, lib: Any) -> Any:
        """`lib` is numpy or torch: the bake (numpy, float64) and the lookup (torch) share the formula."""
        x = lib.clip(x, self.low, self.high) if lib is np else x.clamp(self.low, self.high)
        if self.softness == 0:
            return (x - self.low) / (self.high - self.low)
        k = self.softness
        a, b = np.arcsinh(self.low / k), np.arcsinh(self.high / k)
        return (lib.arcsinh(x / k) - a) / (b - a)

    def inverse(self, s: np.ndarray) -> np.ndarray:
        if self.softness == 0:
            return self.low + s * (self.high - self.low)
        k = self.softness
        a, b = np.arcsinh(self.low / k), np.arcsinh(self.high / k)
        return k * np.sinh(a + s * (b - a))


class Lut3D:
    """A baked colour transform: shaper, then trilinear lookup in a size³ table (on `device`)."""

    def __init__(
        self, apply_cpu: Callable[[np.ndarray], np.ndarray], shaper: Shaper, size: int, device: Any
    ) -> None:
        import torch

        axis = shaper.inverse(np.linspace(0.0, 1.0, size))
        r, g, b = np.meshgrid(axis, axis, axis, indexing="ij")
        grid = np.ascontiguousarray(np.stack([r, g, b], -1).reshape(-1, 3), np.float32)
        table = np.asarray(apply_cpu(grid), np.float32).reshape(size, size, size, 3)
        # Inf or NaN corners would poison every sample of their cells; far-off values only steepen them.
        table = np.clip(np.nan_to_num(table, nan=0.0), -65504.0, 65504.0)
        # grid_sample's 3D layout: N×C×D×H×W with D ← red, H ← green, W ← blue
        self.table = torch.from_numpy(np.ascontiguousarray(table.transpose(3, 0, 1, 2)))[None].to(device)
        self.shaper = shaper

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        import torch
        import torch.nn.functional as functional

        shape = x.shape
        flat = x.reshape(-1, 3)
        nan = torch.isnan(flat).any(-1, keepdim=True)
        s = self.shaper.forward(torch.nan_to_num(flat, nan=0.0), torch) * 2.0 - 1.0
        grid = s[:, [2, 1, 0]].reshape(1, -1, 1, 1, 3).to(self.table.dtype)
        out = functional.grid_sample(
            self.table, grid, mode="bilinear", padding_mode="border", align_corners=True
        )  # 1×3×P×1×1
        out = out.reshape(3, -1).t()
        return torch.where(nan, torch.zeros_like(out), out).reshape(shape)


def _probe_model() -> np.ndarray:
    """Model-space test pixels: the 0..1 cube, a little below it, and greys and colours far above it.

    Mapped to the plate's space by OCIO, they give the forward probe in whatever encoding the plate
    has (a log plate's code values, a linear plate's −0.1..64), never values a camera cannot make.
    """
    rng = np.random.default_rng(17)
    grey = np.repeat(np.concatenate([np.linspace(-0.1, 6.0, 1024), [8.0, 10.0, 12.0]])[:, None], 3, 1)
    cube = rng.uniform(0.0, 1.0, (4096, 3))
    wide = rng.uniform(-0.1, 1.5, (2048, 3))
    bright = rng.uniform(0.0, 1.0, (1024, 3)) * rng.uniform(1.0, 6.0, (1024, 1))
    return np.ascontiguousarray(np.concatenate([grey, cube, wide, bright]), np.float32)


def _bake(config: ocio.Config, transforms: list[ocio.Transform]) -> Callable[[np.ndarray], np.ndarray]:
    """N×3 float32 → N×3 through `transforms` on OCIO's CPU (the exact processor of that part)."""
    group = ocio.GroupTransform()
    for transform in transforms:
        group.appendTransform(transform)
    cpu = config.getProcessor(group).getOptimizedCPUProcessor(OCIO_OPTIMIZATION)

    def apply(values: np.ndarray) -> np.ndarray:
        rgba = np.ones((len(values), 4), np.float32)
        rgba[:, :3] = values
        cpu.applyRGBA(rgba)
        return rgba[:, :3]

    return apply


class _Direction:
    """One direction of a ColorPath on the device, with its max abs error from OCIO on a probe set.

    `kind`: "analytic" (formulas), "curves" (formulas and sampled per-channel curves) or "lut": the
    channel-mixing part of the chain (from its first to its last transform without a formula here)
    baked into a 3D LUT, with the per-channel ops before it as its shaper and those after it
    applied exactly (so an sRGB encode at the end is not interpolated). Tried in that order: the
    first within its tolerance is kept (a chain that misses it, e.g. a misread transform, has its
    matrices baked next, then the whole chain), else the closest, with a warning.
    """

    def __init__(
        self,
        processor: ocio.Processor,
        config: ocio.Config,
        apply_cpu: Callable[[np.ndarray], np.ndarray],
        probe: np.ndarray,
        post: Callable[[Any], Any],
        device: Any,
        lut_size: int,
        force_lut: bool,
    ) -> None:
        import torch

        self.config, self.device, self.lut_size, self.post = config, device, lut_size, post
        self.expected = post(np.asarray(apply_cpu(probe), np.float32))
        self.probe = torch.from_numpy(probe).to(device)
        steps = chain_steps(processor, config)
        candidates: list[tuple[list[Step], float]] = []
        if not force_lut and all(step.op is not None for step in steps):
            sampled = any(step.sampled for step in steps)
            candidates.append((steps, CURVE_TOLERANCE if sampled else ANALYTIC_TOLERANCE))
        candidates.append((chain_steps(processor, config, bake_matrices=True), CURVE_TOLERANCE))
        candidates.append(([Step(step.transform, None) for step in steps], CURVE_TOLERANCE))
        best: tuple[float, tuple[Any, ...]] | None = None
        for chain, tolerance in candidates:
            self._build(chain)
            if self.error <= tolerance:
                return
            if best is None or self.error < best[0]:
                best = (self.error, (self.kind, self.before, self.lut, self.after))
        assert best is not None
        self.error, (self.kind, self.before, self.lut, self.after) = best
        from ghost_core.console import log

        log.warning("device colour conversion differs from OCIO by up to %.2g (%s)", self.error, self.kind)

    def _build(self, steps: list[Step]) -> None:
        """Ops (and LUT) for `steps`; sets kind and error."""
        self.lut: Lut3D | None = None
        baked = [k for k, step in enumerate(steps) if step.op is None]
        if not baked:
            self.before: list[Op] = [step.op for step in steps]  # type: ignore[misc]
            self.after: list[Op] = []
            self.kind = "curves" if any(step.sampled for step in steps) else "analytic"
            self.error = self._error(self.probe, self.expected, self.post)
            return
        first, last = baked[0], baked[-1]
        self.kind = "lut"
        self.before = [step.op for step in steps[:first]]  # type: ignore[misc]
        self.after = [step.op for step in steps[last + 1 :]]  # type: ignore[misc]
        inputs = self._run(self.before, self.probe).cpu().numpy()
        low, high = float(np.nanmin(inputs)), float(np.nanmax(inputs))
        low, high = low - 0.05 * (high - low), high + 0.05 * (high - low)
        bake = _bake(self.config, [step.transform for step in steps[first : last + 1]])
        # Even spacing is exact for matrices, asinh spacing better for curves over a wide range:
        # both are baked and the one closer to OCIO on the probe kept.
        best: tuple[float, Lut3D] | None = None
        for softness in (0.0, SHAPER_SOFTNESS) if high - low > 8.0 else (0.0,):
            self.lut = Lut3D(bake, Shaper(low, high, softness), self.lut_size, self.device)
            error = self._error(self.probe, self.expected, self.post)
            if best is None or error < best[0]:
                best = (error, self.lut)
        assert best is not None
        self.error, self.lut = best

    def _error(self, probe: torch.Tensor, expected: np.ndarray, post: Callable[[Any], Any]) -> float:
        got = post(self(probe).cpu().numpy())
        both = np.isfinite(got) & np.isfinite(expected)
        if not np.array_equal(both, np.isfinite(expected)):
            return float("inf")
        return float(np.abs(got[both] - expected[both]).max())

    @staticmethod
    def _run(ops: list[Op], x: torch.Tensor) -> torch.Tensor:
        for op in ops:
            x = op(x)
        return x

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = self._run(self.before, x)
        if self.lut is not None:
            x = self.lut(x)
        return self._run(self.after, x)


def _clip01(values: Any) -> Any:
    return np.clip(values, 0.0, 1.0) if isinstance(values, np.ndarray) else values.clamp(0.0, 1.0)


class DeviceColour:
    """`ColorPath.to_model(…, clip=True)` + NaN → 0 and `ColorPath.from_model` on a torch device."""

    def __init__(self, path: ColorPath, device: Any, lut_size: int = LUT_SIZE, force_lut: bool = False):
        config = path.config
        forward = config.getProcessor(path.plate_space, path.model_space)
        back = config.getProcessor(path.model_space, path.plate_space)
        self.forward = _Direction(
            forward,
            config,
            lambda v: path.to_model(v, clip=False),
            path.from_model(_probe_model()),
            _clip01,
            device,
            lut_size,
            force_lut,
        )
        self.inverse = _Direction(
            back, config, path.from_model, np.clip(_probe_model(), 0.0, 1.0), lambda v: v, device, lut_size,
            force_lut,
        )  # fmt: skip

    def to_model(self, rgb: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        """…×3 scene-linear → model space clipped 0..1, NaN → 0 (what `crops.cut_face` feeds the network)."""
        import torch

        if gain != 1.0:
            rgb = rgb * float(np.float32(gain))
        out = self.forward(rgb).clamp(0.0, 1.0)
        return torch.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0)

    def from_model(self, rgb: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        """…×3 model space → scene-linear, the exposure gain undone (`ColorPath.from_model`)."""
        out = self.inverse(rgb)
        return out / float(np.float32(gain)) if gain != 1.0 else out
