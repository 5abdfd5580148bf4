"""Colour path between scene-linear plates and GHOST's model space, on OpenColorIO.

GHOST was trained on ordinary photographs: sRGB-encoded Rec.709, 0..1. Plates arrive
scene-linear (ACEScg, linear Rec.709, ...) with values far above 1. The conversion uses only
OCIO processors from the studio's config, so it matches what Nuke shows for the same names, and
the way back is OCIO's exact inverse of the same transform.

Model space choice (documented in docs/frames.md): the config's colour space that OCIO
identifies as the built-in `srgb_tx` (sRGB Encoded Rec.709, i.e. the sRGB texture encoding, no
tone mapping: invertible above 1 too), found by comparing transforms, not names. Configs without
the interchange roles that identification needs fall back to the `color_picking`, then the
`texture_paint` role. A display view (ACES output transform) is not used: it tone-maps and
cannot be inverted exactly.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio

from ghost_core.console import log
from ghost_core.errors import UsageError

BUILTIN_CONFIG = "ocio://studio-config-latest"
# OpenImageIO reports an EXR's colour space (or its colorInteropID) as oiio:ColorSpace;
# ghost:colorspace is what GhostSwap stamps on its own outputs.
COLORSPACE_ATTRIBUTES = ("oiio:ColorSpace", "colorspace", "ColorSpace", "ghost:colorspace")
# OCIO's default CPU optimisation approximates pow/log (errors ~5e-4); lossless keeps the round trip
# at float32 precision for about 2x the (still small) cost.
OCIO_OPTIMIZATION = ocio.OPTIMIZATION_LOSSLESS
MODEL_SPACE_BUILTIN = ("ocio://cg-config-latest", "srgb_tx")
MODEL_SPACE_ROLES = ("color_picking", "texture_paint")
PLATE_ROLE = "scene_linear"
DEFAULT_GREY = 0.18

Region = tuple[int, int, int, int]  # x, y, width, height in array pixels (data window origin = 0, 0)


def load_config(path: str | None = None) -> ocio.Config:
    """The OCIO config: `path`, else $OCIO, else OCIO's built-in studio config (shared, do not edit)."""
    source = path or os.environ.get("OCIO") or BUILTIN_CONFIG
    try:
        stamp = os.stat(source).st_mtime_ns if not source.startswith("ocio://") else 0
        return _read_config(source, stamp)
    except Exception as exc:
        message = " ".join(str(exc).split())
        raise UsageError(f"{source}: cannot load the OCIO config ({message}); fix $OCIO or --ocio") from exc


@functools.lru_cache(maxsize=8)
def _read_config(source: str, stamp: int) -> ocio.Config:
    """Parsed once per file version (`stamp` is its mtime), so streaming renders do not re-read it."""
    config = ocio.Config.CreateFromFile(source)
    config.validate()
    return config


def _known_names(config: ocio.Config) -> list[str]:
    names: list[str] = []
    for cs in config.getColorSpaces():
        names.append(cs.getName())
        names.extend(cs.getAliases())
    names.extend(config.getRoleNames())
    return names


def resolve_colorspace(config: ocio.Config, name: str) -> str:
    """The canonical name of a colour space, alias or role; UsageError with close matches otherwise."""
    cs = config.getColorSpace(name)
    if cs is not None:
        return cs.getName()
    known = _known_names(config)
    lowered = {n.lower(): n for n in known}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.5)
    hint = f"close matches: {', '.join(lowered[c] for c in close)}" if close else "no close match"
    raise UsageError(
        f"unknown colour space {name!r} in OCIO config {config.getName()!r} ({hint}); "
        "pass a name or alias from that config"
    )


@dataclass(frozen=True)
class ChosenSpace:
    """A colour space and how it was chosen (shown by `frames info` and stamped in the output)."""

    name: str
    source: str


def plate_colorspace(
    config: ocio.Config, flag: str | None = None, spec: oiio.ImageSpec | None = None
) -> ChosenSpace:
    """The plate's space: the flag, else the file's colour-space metadata, else the scene_linear role."""
    if flag:
        return ChosenSpace(resolve_colorspace(config, flag), "--colorspace")
    if spec is not None:
        for attr in COLORSPACE_ATTRIBUTES:
            value = spec.get_string_attribute(attr, "")
            if not value:
                continue
            # OpenImageIO keeps bytes that are not UTF-8 as surrogates, which OCIO cannot take.
            cs = None if any("\udc80" <= ch <= "\udcff" for ch in value) else config.getColorSpace(value)
            if cs is not None:
                return ChosenSpace(cs.getName(), f"metadata {attr}={value}")
            log.warning("metadata %s=%r is not in the OCIO config; using role %s", attr, value, PLATE_ROLE)
    if not config.hasRole(PLATE_ROLE):
        raise UsageError(f"OCIO config {config.getName()!r} has no {PLATE_ROLE} role; pass --colorspace")
    return ChosenSpace(config.getColorSpace(PLATE_ROLE).getName(), f"role {PLATE_ROLE}")


def model_colorspace(config: ocio.Config, override: str | None = None) -> ChosenSpace:
    """GHOST's input space: sRGB-encoded Rec.709, identified in the config (see module docstring)."""
    if override:
        return ChosenSpace(resolve_colorspace(config, override), "--model-space")
    builtin_config, builtin_space = MODEL_SPACE_BUILTIN
    try:
        builtin = _read_config(builtin_config, 0)
        name = ocio.Config.IdentifyBuiltinColorSpace(config, builtin, builtin_space)
        if name:
            found = config.getColorSpace(name).getName()
            return ChosenSpace(found, f"identified as built-in {builtin_space}")
    except Exception as exc:  # configs without interchange roles cannot be compared
        log.debug("model space identification failed: %s", exc)
    for role in MODEL_SPACE_ROLES:
        if config.hasRole(role):
            return ChosenSpace(config.getColorSpace(role).getName(), f"role {role}")
    raise UsageError(
        f"OCIO config {config.getName()!r}: no sRGB-encoded texture space found; pass --model-space NAME"
    )


_MIN_PARALLEL_VALUES = 1 << 18


def _by_rows(work: Callable[[slice], None], rows: int, values: int) -> None:
    """Run `work` over row ranges on all cores: OCIO and numpy release the GIL on large arrays."""
    workers = min(os.cpu_count() or 1, 16)
    if workers == 1 or values < _MIN_PARALLEL_VALUES or rows < 2:
        work(slice(0, rows))
        return
    bounds = np.linspace(0, rows, min(rows, workers * 4) + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [slice(a, b) for a, b in itertools.pairwise(bounds)]))


def _rgba_like(pixels: np.ndarray) -> np.ndarray:
    if pixels.shape[-1] not in (3, 4) or pixels.ndim < 2:
        raise ValueError(f"expected H×W×3/4 or N×3/4 pixels, got shape {pixels.shape}")
    return np.empty((*pixels.shape[:-1], 4), np.float32)


def _fill(chunk: np.ndarray, source: np.ndarray) -> None:
    """Copy RGB or RGBA into a float32 RGBA chunk (alpha 1 when absent)."""
    if source.shape[-1] == 4:
        chunk[...] = source
    else:
        chunk[..., :3] = source
        chunk[..., 3] = 1.0


@dataclass
class ColorPath:
    """Scene-linear plate <-> GHOST model space, both directions from one OCIO config."""

    config: ocio.Config
    plate_space: str
    model_space: str
    _to_model: ocio.CPUProcessor = field(init=False, repr=False)
    _from_model: ocio.CPUProcessor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        forward = self.config.getProcessor(self.plate_space, self.model_space)
        back = self.config.getProcessor(self.model_space, self.plate_space)
        self._to_model = forward.getOptimizedCPUProcessor(OCIO_OPTIMIZATION)
        self._from_model = back.getOptimizedCPUProcessor(OCIO_OPTIMIZATION)

    @classmethod
    def create(
        cls,
        config: ocio.Config,
        plate: str | None = None,
        spec: oiio.ImageSpec | None = None,
        model: str | None = None,
    ) -> ColorPath:
        return cls(config, plate_colorspace(config, plate, spec).name, model_colorspace(config, model).name)

    @property
    def luma(self) -> np.ndarray:
        return np.asarray(self.config.getDefaultLumaCoefs(), np.float32)

    def to_model(self, pixels: np.ndarray, gain: float = 1.0, clip: bool = True) -> np.ndarray:
        """Scene-linear RGB(A) -> model space (new array). `gain` scales linear light first; alpha untouched.

        `clip` limits RGB to 0..1 for the network; the plate outside the face never takes this path.
        """
        out = _rgba_like(pixels)

        def work(rows: slice) -> None:
            chunk = out[rows]
            _fill(chunk, pixels[rows])
            alpha = chunk[..., 3].copy()
            if gain != 1.0:
                chunk[..., :3] *= np.float32(gain)
            self._to_model.applyRGBA(chunk)
            if clip:
                np.clip(chunk[..., :3], 0.0, 1.0, out=chunk[..., :3])
            chunk[..., 3] = alpha

        _by_rows(work, out.shape[0], out.size)
        return out if pixels.shape[-1] == 4 else out[..., :3]

    def from_model(self, pixels: np.ndarray, gain: float = 1.0, copy: bool = True) -> np.ndarray:
        """Model space -> scene-linear: OCIO's inverse, then the exposure gain undone (alpha untouched).

        `copy=False` converts a C-contiguous float32 RGBA array (e.g. the network output) in place.
        """
        in_place = (
            not copy
            and pixels.shape[-1] == 4
            and pixels.dtype == np.float32
            and pixels.flags.c_contiguous
            and pixels.flags.writeable
        )
        out = pixels if in_place else _rgba_like(pixels)

        def work(rows: slice) -> None:
            chunk = out[rows]
            if not in_place:
                _fill(chunk, pixels[rows])
            alpha = chunk[..., 3].copy()
            self._from_model.applyRGBA(chunk)
            if gain != 1.0:
                chunk[..., :3] /= np.float32(gain)
            chunk[..., 3] = alpha

        _by_rows(work, out.shape[0], out.size)
        return out if pixels.shape[-1] == 4 else out[..., :3]

    def exposure_gain(
        self,
        pixels: np.ndarray,
        region: Region | None = None,
        grey: float = DEFAULT_GREY,
        statistic: str = "median",
    ) -> float:
        """Gain that maps the region's median (or mean) luminance to `grey`; 1.0 if it has no usable light.

        Faces in dark or hot plates land where the network saw faces in training; pass the same
        gain to `from_model` to put the result back at the plate's exposure.
        """
        box = clip_region(region, pixels.shape[0], pixels.shape[1])
        x, y, w, h = box
        luminance = pixels[y : y + h, x : x + w, :3].reshape(-1, 3).astype(np.float32) @ self.luma
        luminance = luminance[np.isfinite(luminance)]
        if luminance.size == 0:
            return 1.0
        level = float(np.median(luminance) if statistic == "median" else np.mean(luminance))
        if not np.isfinite(level) or level <= 1e-8:
            log.debug("region %s has no usable luminance (%s); exposure gain 1", box, level)
            return 1.0
        return grey / level


def clip_region(region: Region | None, height: int, width: int) -> Region:
    """`region` limited to the image (the whole image when None); UsageError if nothing is left."""
    if region is None:
        return (0, 0, width, height)
    x, y, w, h = region
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    if x1 <= x0 or y1 <= y0:
        raise UsageError(f"region {region} lies outside the {width}x{height} image; give x,y,w,h inside it")
    return (x0, y0, x1 - x0, y1 - y0)


@functools.lru_cache(maxsize=1)
def texture_path() -> ColorPath:
    """Linear Rec.709 <-> the sRGB texture encoding (GHOST's model space), from the built-in config.

    For work that needs the light of a model-space crop whatever the plate's space is: the morph
    swapper's shading match and the skin colour match. Always available (no $OCIO needed).
    """
    source, texture = MODEL_SPACE_BUILTIN
    config = load_config(source)
    return ColorPath(config, resolve_colorspace(config, "lin_rec709"), resolve_colorspace(config, texture))

