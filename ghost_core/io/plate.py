"""The plate as a whole, checked before any model loads: every frame opens as an RGB(A) EXR.

Tracking reads every frame and only then does the render write one, so a frame that cannot be
read (cut short by a copy, damaged, renamed from a PNG) or a sequence in a layout GhostSwap does
not render (luminance/chroma) is found up front, in a fraction of a second per hundred frames,
instead of minutes into a shot. A problem every frame shares is said once for the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import OpenImageIO as oiio

from ghost_core.errors import GhostSwapError, InputError
from ghost_core.io.exr import layout_problem, read_header
from ghost_core.io.sequence import FramePattern, compact_frames, resolve_frames

Frame = int | None


@dataclass
class HeaderScan:
    """What opening each frame's header found."""

    specs: dict[Frame, oiio.ImageSpec] = field(default_factory=dict)  # every header that opened
    unreadable: dict[Frame, str] = field(default_factory=dict)  # frame -> one-line reason (names the file)
    layout_problem: str | None = None  # a layout problem every opened frame shares (said once)

    def usable(self) -> list[Frame]:
        """Frames whose header opened with a layout GhostSwap renders."""
        if self.layout_problem:
            return []
        return [f for f in self.specs if f not in self.unreadable]


def scan_headers(pattern: FramePattern, frames: list[Frame], check_pixels: bool = True) -> HeaderScan:
    """Open every frame's header (and, with `check_pixels`, decode its last chunk)."""
    scan = HeaderScan()
    problems: dict[Frame, str] = {}
    for frame in frames:
        path = pattern.path(frame)
        try:
            spec = read_header(path, check_pixels=check_pixels, check_layout=False)
        except GhostSwapError as exc:
            scan.unreadable[frame] = str(exc)
            continue
        scan.specs[frame] = spec
        problem = layout_problem(spec)
        if problem:
            problems[frame] = problem
    shared = set(problems.values())
    if problems and len(problems) == len(scan.specs) and len(shared) == 1:
        scan.layout_problem = shared.pop()
    else:
        for frame, problem in problems.items():
            scan.unreadable[frame] = f"{pattern.path(frame)}: {problem}"
    return scan


def _frames_text(frames: list[Frame]) -> str:
    return compact_frames(f for f in frames if f is not None)


def scan_error(pattern: FramePattern, scan: HeaderScan) -> InputError | None:
    """One error for the whole sequence (naming the first bad file), or None when every frame is usable."""
    if scan.layout_problem:
        where = pattern.text
        if pattern.is_sequence:
            where = f"{pattern.display()} (frames {_frames_text(list(scan.specs))})"
        return InputError(f"{where}: {scan.layout_problem}")
    if not scan.unreadable:
        return None
    bad = list(scan.unreadable)
    first = scan.unreadable[bad[0]]
    if len(bad) == 1:
        return InputError(first)
    total = len(set(scan.specs) | set(bad))
    return InputError(
        f"{pattern.display()}: {len(bad)} of {total} frames cannot be used ({_frames_text(bad)}); "
        f"first: {first}"
    )


def plate_headers(
    pattern: FramePattern, frames: list[Frame], check_pixels: bool = True
) -> dict[Frame, oiio.ImageSpec]:
    """Every frame's header; InputError (one message for the sequence) if any frame cannot be used."""
    scan = scan_headers(pattern, frames, check_pixels)
    error = scan_error(pattern, scan)
    if error is not None:
        raise error
    return scan.specs


def check_plate(plate: str, frames: str | None = None, check_pixels: bool = True) -> list[Frame]:
    """The frames of `frames` (default: all on disk), each present and usable; call before loading models."""
    pattern = FramePattern.parse(plate)
    wanted = resolve_frames(pattern, frames)
    plate_headers(pattern, wanted, check_pixels)
    return wanted
