"""Scene-linear plate pixels to what a review monitor shows: one OCIO display/view transform.

Review copies are display-referred (the config's default display and view unless given, e.g.
"sRGB - Display" / "ACES 2.0 - SDR 100 nits"), so the flipbook, the proxy and the contact sheet
show the plate as Nuke's viewer does with the same config, not GHOST's model-space encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import PyOpenColorIO as ocio

from ghost_core.color import OCIO_OPTIMIZATION, _by_rows, resolve_colorspace
from ghost_core.errors import UsageError

MATTE_COLOUR = np.array([1.0, 0.2, 0.2], np.float32)  # the overlay red, as in the demo's contact sheet
MATTE_OPACITY = 0.5


@dataclass
class Display:
    """One display/view transform from the plate's colour space; calls return 0..1 float32 RGB."""

    config: ocio.Config
    source: str
    display: str
    view: str
    _cpu: ocio.CPUProcessor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        transform = ocio.DisplayViewTransform(src=self.source, display=self.display, view=self.view)
        self._cpu = self.config.getProcessor(transform).getOptimizedCPUProcessor(OCIO_OPTIMIZATION)

    def __call__(self, linear: np.ndarray) -> np.ndarray:
        rgb = np.ascontiguousarray(linear[..., :3], np.float32).copy()

        def work(rows: slice) -> None:
            chunk = rgb[rows]
            self._cpu.applyRGB(chunk)

        _by_rows(work, rgb.shape[0], rgb.size)  # ACES 2.0 views cost ~1 s per HD frame on one core
        return np.clip(np.nan_to_num(rgb, nan=0.0), 0.0, 1.0)

    def changed(self, linear: np.ndarray, base: np.ndarray, base_view: np.ndarray) -> np.ndarray:
        """The view of `linear`, converting only the pixels that differ from `base` (shown as `base_view`).

        A swap equals its plate bit for bit outside the face, so this converts a few percent of a frame.
        """
        differs = np.any(linear[..., :3] != base[..., :3], axis=-1)
        out = base_view.copy()
        if differs.any():
            pixels = np.ascontiguousarray(linear[..., :3][differs], np.float32)
            self._cpu.applyRGB(pixels)
            out[differs] = np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0)
        return out

    def describe(self) -> dict[str, str]:
        return {"colorspace": self.source, "display": self.display, "view": self.view}


def open_display(config: ocio.Config, source: str, display: str | None, view: str | None) -> Display:
    """The named (or the config's default) display and view; UsageError naming the choices."""
    source = resolve_colorspace(config, source)
    displays = list(config.getDisplays())
    display = display or config.getDefaultDisplay()
    if display not in displays:
        raise UsageError(f"unknown display {display!r}; the OCIO config has: {', '.join(displays)}")
    views = list(config.getViews(display))
    view = view or config.getDefaultView(display)
    if view not in views:
        raise UsageError(f"unknown view {view!r} for {display!r}; choose one of: {', '.join(views)}")
    return Display(config, source, display, view)


def to_8bit(rgb: np.ndarray) -> np.ndarray:
    """0..1 float → uint8 with rounding (the stills, the proxy and the test reference agree)."""
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def matte_overlay(view: np.ndarray, matte: np.ndarray) -> np.ndarray:
    """The swap with the matte tinted red over it (the page draws the same with its overlay PNG)."""
    alpha = (MATTE_OPACITY * np.clip(matte, 0.0, 1.0))[..., None]
    return view * (1 - alpha) + MATTE_COLOUR * alpha
