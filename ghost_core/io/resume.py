"""Resume: decide whether an output frame is already finished, so a rerun skips it.

A frame counts as finished only if it opens as an EXR, carries every expected channel, has the
`ghost:complete` marker GhostSwap writes, and its last chunk decodes. Files from other tools, a
different layout or a copy cut short are rendered again. Callers can also demand header values
(`attributes`: render passes its settings digest, so a changed knob re-renders) and inputs the
output must be newer than (`newer_than`: a re-rendered upstream plate or a re-drawn holdout roto
makes the frame stale; a missing one too, so the render reports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from ghost_core.errors import InputError
from ghost_core.io.exr import check_pixels_present, open_exr
from ghost_core.io.exr_write import COMPLETE_MARKER


def is_complete(
    path: Path,
    expected_channels: Iterable[str],
    attributes: Mapping[str, str] | None = None,
    newer_than: Path | Sequence[Path] = (),
) -> bool:
    """True if `path` is a finished GhostSwap frame with all `expected_channels` (and `attributes`),
    written after every file in `newer_than`."""
    path = Path(path)
    if not path.is_file():
        return False
    inputs = [newer_than] if isinstance(newer_than, (str, Path)) else list(newer_than)
    written = path.stat().st_mtime_ns
    for source in map(Path, inputs):
        if not source.is_file() or source.stat().st_mtime_ns > written:
            return False
    try:
        with open_exr(path) as inp:
            spec = inp.spec()
            if not set(expected_channels) <= set(spec.channelnames):
                return False
            if spec.get_int_attribute(COMPLETE_MARKER, 0) != 1:
                return False
            for name, value in (attributes or {}).items():
                if spec.get_string_attribute(name, "") != value:
                    return False
            check_pixels_present(inp, path)
    except InputError:
        return False
    return True


def should_write(path: Path, expected_channels: Iterable[str], overwrite: bool = False) -> bool:
    """Render the frame unless it is already complete; `overwrite` always renders."""
    return overwrite or not is_complete(path, expected_channels)
