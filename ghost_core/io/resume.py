"""Resume: decide whether an output frame is already finished, so a rerun skips it.

A frame counts as finished only if it opens as an EXR, carries every expected channel, has the
`ghost:complete` marker GhostSwap writes, and its last chunk decodes. Files from other tools, a
different layout or a copy cut short are rendered again.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ghost_core.errors import InputError
from ghost_core.io.exr import check_pixels_present, open_exr
from ghost_core.io.exr_write import COMPLETE_MARKER


def is_complete(path: Path, expected_channels: Iterable[str]) -> bool:
    """True if `path` is a finished GhostSwap frame with all `expected_channels`."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with open_exr(path) as inp:
            spec = inp.spec()
            if not set(expected_channels) <= set(spec.channelnames):
                return False
            if spec.get_int_attribute(COMPLETE_MARKER, 0) != 1:
                return False
            check_pixels_present(inp, path)
    except InputError:
        return False
    return True


def should_write(path: Path, expected_channels: Iterable[str], overwrite: bool = False) -> bool:
    """Render the frame unless it is already complete; `overwrite` always renders."""
    return overwrite or not is_complete(path, expected_channels)
