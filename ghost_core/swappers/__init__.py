"""Face swappers behind one small interface (`base.Swapper`): `ghost` (AEI-Net) and `morph` (offline).

`SWAPPERS` is the one list of swapper names: the `--swapper` choices, the job schema's check and
the hosts' menu all come from it. Entries are strings, so this file imports no swapper code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ghost_core.registry import Registry

if TYPE_CHECKING:
    import numpy as np


class FaceSwapper(Protocol):
    """What the engine asks of a swapper (see `base.Swapper`, the base class to start from)."""

    name: str

    def prepare(self, photos: Sequence[np.ndarray]) -> Any: ...

    def swap(self, crops: np.ndarray, identity: Any) -> np.ndarray: ...

    def describe(self) -> dict[str, Any]: ...


# Factories take the shot's ShotSettings (model, enhance, backend, device, batch...).
SWAPPERS: Registry[FaceSwapper] = Registry("swapper", FaceSwapper)
SWAPPERS.add("auto", "ghost_core.swappers.auto:open_auto", "ghost when its weights are installed, else morph")
SWAPPERS.add(
    "ghost",
    "ghost_core.swappers.ghost:GhostSwapper.from_settings",
    "GHOST's AEI-Net (`ghostswap models install ghost_unet_2blocks arcface_backbone`)",
)
SWAPPERS.add(
    "morph",
    "ghost_core.swappers.morph:MorphSwapper.from_settings",
    "offline dense-landmark morph, no downloads (previews and tests)",
)

#: What each swapper does with several photos of one person (`--source A.jpg B.jpg`): the
#: `--source` help and the knob table say it per swapper, so no one expects morph to blend photos.
#: A new swapper adds its line here (tests/robustness/test_source_photos_help.py checks every name has one).
SEVERAL_PHOTOS = {
    "auto": "as the swapper it picks",
    "ghost": "averages their ArcFace identities, each photo weighing the same",
    "morph": "keeps one, the clearest and most frontal face, and ignores the others",
}


def several_photos_help() -> str:
    """`name: rule; ...` for every registered swapper, in registry order."""
    unknown = "see the swapper's documentation"  # a plugin swapper that did not add its line
    return "; ".join(f"{name}: {SEVERAL_PHOTOS.get(name, unknown)}" for name in SWAPPERS.names())
