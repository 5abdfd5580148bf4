"""Counting NaN, Inf and negative pixels: plates carry them, and GhostSwap reports rather than hides them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

COUNTS = ("nan", "inf", "negative")


def _half_counts(values: np.ndarray) -> dict[str, int]:
    """Same counts on the raw bits of a half array (numpy's float16 maths is slow on 4K frames)."""
    magnitude = values.view(np.uint16) & np.uint16(0x7FFF)
    sign = values.view(np.uint16) >= np.uint16(0x8000)
    nan = int(np.count_nonzero(magnitude > 0x7C00))
    inf = int(np.count_nonzero(magnitude == 0x7C00))
    negative = int(np.count_nonzero(sign & (magnitude != 0) & (magnitude <= 0x7C00)))
    return {"nan": nan, "inf": inf, "negative": negative}


def value_counts(values: np.ndarray) -> dict[str, int]:
    """NaN, ±Inf and negative (< 0, -Inf included, -0 not) counts of a float array."""
    values = np.asarray(values)
    if values.dtype.kind != "f":
        return dict.fromkeys(COUNTS, 0)
    if values.dtype == np.float16:
        return _half_counts(values)
    finite = np.isfinite(values)
    nonfinite = values.size - int(np.count_nonzero(finite))
    nan = int(np.count_nonzero(np.isnan(values))) if nonfinite else 0
    return {"nan": nan, "inf": nonfinite - nan, "negative": int(np.count_nonzero(values < 0))}


def channel_counts(names: Iterable[str], planes: Iterable[np.ndarray]) -> dict[str, dict[str, int]]:
    """Counts per half/float channel (uint channels hold IDs, not light)."""
    return {
        name: value_counts(plane)
        for name, plane in zip(names, planes, strict=True)
        if plane.dtype.kind == "f"
    }


def add_counts(total: dict[str, dict[str, int]], more: dict[str, dict[str, int]]) -> None:
    for name, counts in more.items():
        slot = total.setdefault(name, dict.fromkeys(COUNTS, 0))
        for key, value in counts.items():
            slot[key] += value


def has_nonfinite(counts: dict[str, dict[str, int]]) -> bool:
    return any(c["nan"] or c["inf"] for c in counts.values())
