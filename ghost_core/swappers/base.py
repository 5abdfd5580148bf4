"""The one interface every swapper implements, so the engine never knows which one runs.

Crops are GHOST-aligned 224×224 float32 RGB in model space (sRGB-encoded, 0..1), batched N×224×224×3.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np


class Swapper(ABC):
    """Turns target crops into crops showing the source person, same framing and size."""

    name: str = "swapper"
    boosts: bool = False  # True when `swap_detail` exists (pixel boost for faces above generator size)

    @abstractmethod
    def prepare(self, photos: Sequence[np.ndarray]) -> Any:
        """One source person from one or more aligned 224 crops → an identity this swapper understands."""

    @abstractmethod
    def swap(self, crops: np.ndarray, identity: Any) -> np.ndarray:
        """N×224×224×3 target crops → N×224×224×3 swapped crops in 0..1 (model space)."""

    def swap_detail(self, crops: np.ndarray, identity: Any) -> np.ndarray:
        """N×512×512×3 crops (the 224 crop's framing at 512) → N×512×512×3 swaps; only when `boosts`."""
        raise NotImplementedError(f"the {self.name} swapper has no pixel boost")

    def describe(self) -> dict[str, Any]:
        """What ran, for the output's metadata and `--json` reports."""
        return {"swapper": self.name}

    def model_sha256(self) -> str | None:
        """sha256 of the weights that made the face, stamped on outputs for content credentials."""
        return None
