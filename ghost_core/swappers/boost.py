"""Pixel boost: a face larger than the generator runs as 2×2 sub-pixel phases of a 2× crop.

The generator sees 256 px. A face that covers more plate pixels than that loses detail in the
224 → 256 crop. Boost cuts the same aligned crop (same framing) straight at 512, with no resize,
splits it into four 256 phases (every second pixel, starting at (0,0), (0,1), (1,0), (1,1): each
phase is the whole face sampled one 512-pixel, half a 256-pixel, off the others), swaps every
phase as an ordinary 256 face and interleaves the four results back into one 512 swap.
"""

from __future__ import annotations

import numpy as np

from ghost_core.faces.align import GENERATOR_SIZE, Alignment

FACTOR = 2  # phases per axis: 512 = 2 × 256
BOOST_SIZE = GENERATOR_SIZE * FACTOR  # the detail crop (512): the 224 crop's framing at 512 px
BOOSTS = ("off", "tiles")


def phase_tiles(batch: np.ndarray, factor: int = FACTOR) -> np.ndarray:
    """N×(fS)×(fS)×C → (N·f²)×S×S×C: phase (dy, dx) of image n is item n·f² + dy·f + dx."""
    n, h, w = batch.shape[:3]
    if h % factor or w % factor:
        raise ValueError(f"phase_tiles: {h}×{w} is not a multiple of {factor}")
    tiles = [batch[:, dy::factor, dx::factor] for dy in range(factor) for dx in range(factor)]
    return np.ascontiguousarray(np.stack(tiles, axis=1).reshape(n * factor * factor, *tiles[0].shape[1:]))


def interleave(tiles: np.ndarray, factor: int = FACTOR) -> np.ndarray:
    """Inverse of `phase_tiles`: (N·f²)×S×S×C → N×(fS)×(fS)×C, phase (dy, dx) to pixels [dy::f, dx::f]."""
    count, s = tiles.shape[0], tiles.shape[1]
    if count % (factor * factor):
        raise ValueError(f"interleave: {count} tiles is not a multiple of {factor * factor}")
    n = count // (factor * factor)
    grouped = tiles.reshape(n, factor, factor, s, s, *tiles.shape[3:])
    out = np.empty((n, s * factor, s * factor, *tiles.shape[3:]), tiles.dtype)
    for dy in range(factor):
        for dx in range(factor):
            out[:, dy::factor, dx::factor] = grouped[:, dy, dx]
    return out


def plate_size(alignment: Alignment) -> float:
    """Plate pixels across the aligned crop's side (the crop matrix is a similarity)."""
    scale = float(np.hypot(alignment.matrix[0, 0], alignment.matrix[1, 0]))
    return alignment.size / max(scale, 1e-12)


def wants_boost(alignment: Alignment) -> bool:
    """True when the face's 224 crop spans more plate pixels than the generator's 256."""
    return plate_size(alignment) > GENERATOR_SIZE
