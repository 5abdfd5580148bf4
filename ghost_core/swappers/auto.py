"""The `auto` swapper choice: GHOST when its generator and ArcFace are installed, else the offline morph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ghost_core.console import log
from ghost_core.errors import ModelError
from ghost_core.swappers import SWAPPERS, FaceSwapper

if TYPE_CHECKING:
    from ghost_core.knobs import ShotSettings

_warned = False


def open_auto(settings: ShotSettings) -> FaceSwapper:
    """`ghost` if its weights resolve, else `morph`, warning once per process (the demo opens twice)."""
    global _warned
    try:
        from ghost_core.models_store import load_manifest, resolve

        manifest = load_manifest()
        resolve(settings.model or manifest.default("generator").name)
        resolve(manifest.default("arcface").name)
    except ModelError as exc:
        if not _warned:
            _warned = True
            log.warning(
                "GHOST weights are not installed (%s); using the offline morph swapper. "
                "Install GHOST with `ghostswap models install ghost_unet_2blocks arcface_backbone`",
                exc,
            )
        return SWAPPERS.create("morph", settings)
    return SWAPPERS.create("ghost", settings)
