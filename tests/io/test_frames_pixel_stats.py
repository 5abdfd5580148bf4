"""NaN/Inf/negative counts: the fast half path agrees with plain float maths."""

from __future__ import annotations

import numpy as np

from ghost_core.io.pixel_stats import channel_counts, value_counts


def test_half_bit_counts_match_float_counts() -> None:
    every_half = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    as_float = every_half.astype(np.float32)
    expected = {
        "nan": int(np.isnan(as_float).sum()),
        "inf": int(np.isinf(as_float).sum()),
        "negative": int((as_float < 0).sum()),
    }
    assert value_counts(every_half) == expected
    assert value_counts(as_float) == expected
    assert expected == {"nan": 2046, "inf": 2, "negative": 31744}


def test_uint_channels_are_not_counted() -> None:
    counts = channel_counts(["R", "id"], [np.array([-1.0, np.nan], np.float32), np.array([1, 2], np.uint32)])
    assert counts == {"R": {"nan": 1, "inf": 0, "negative": 1}}
