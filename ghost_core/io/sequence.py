"""Frame sequences: path patterns, frame specs, discovery on disk and missing-frame checks.

Pipelines name sequences in several dialects (Nuke `####`, printf `%04d`, Houdini `$F4`,
RV/Shake `@`), so all of them resolve to one `FramePattern`. Missing frames are found up front
so a render never stops half way through a shot because frame 1057 was never copied.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ghost_core.errors import InputError, UsageError

# One frame token per pattern: `####` / `@@@@` (one digit each), `%04d` / `%d`, `$F4` / `$F`.
_TOKEN = re.compile(r"(?P<hash>#+)|(?P<at>@+)|%(?P<printf>0\d+)?d|\$F(?P<houdini>\d*)")
# Steps: `x` (Nuke, Deadline, OpenCue) or `:` (Open Job Description chunks arrive as `1001-1009:2`).
_SPEC_ITEM = re.compile(r"^(?P<start>-?\d+)(?:-(?P<end>-?\d+)(?:[x:](?P<step>\d+))?)?$")
_MAX_LISTED = 12


@dataclass(frozen=True)
class FramePattern:
    """A path with at most one frame-number token; `padding` is None for a single plain file."""

    text: str
    prefix: str
    suffix: str
    padding: int | None

    @classmethod
    def parse(cls, text: str | os.PathLike[str]) -> FramePattern:
        text = os.fspath(text)
        tokens = list(_TOKEN.finditer(text))
        if not tokens:
            return cls(text, text, "", None)
        if len(tokens) > 1:
            raise UsageError(
                f"{text}: more than one frame token; use a single ####, %04d, $F4 or @@@@ in the file name"
            )
        token = tokens[0]
        if token["hash"] or token["at"]:
            padding = len(token[0])
        elif token["printf"]:
            padding = int(token["printf"])
        elif token["houdini"]:
            padding = int(token["houdini"])
        else:
            padding = 1
        return cls(text, text[: token.start()], text[token.end() :], padding)

    @property
    def is_sequence(self) -> bool:
        return self.padding is not None

    def path(self, frame: int | None) -> Path:
        """The file of `frame` (None for a plain path); negative frames keep the sign before the digits."""
        if self.padding is None:
            if frame is not None:
                raise UsageError(f"{self.text}: a plain path has no frame numbers; add #### to the name")
            return Path(self.text)
        if frame is None:
            raise UsageError(f"{self.text}: a sequence needs a frame number")
        return Path(f"{self.prefix}{frame:0{self.padding}d}{self.suffix}")

    def display(self) -> str:
        """The pattern in Nuke notation, one # per digit."""
        return self.text if self.padding is None else f"{self.prefix}{'#' * self.padding}{self.suffix}"

    def discover(self) -> list[int]:
        """Frame numbers whose files exist, sorted; exact padding only (shot.01001.exr is not ####)."""
        if self.padding is None:
            return []
        folder, name_prefix = os.path.split(self.prefix)
        if os.sep in self.suffix or (os.altsep and os.altsep in self.suffix):
            raise UsageError(f"{self.text}: the frame token must be in the file name, not in a folder name")
        matcher = re.compile(re.escape(name_prefix) + r"(-?\d+)" + re.escape(self.suffix) + r"\Z")
        try:
            entries = list(os.scandir(folder or "."))
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            return []
        frames = []
        for entry in entries:
            match = matcher.match(entry.name)
            if match and entry.is_file():
                frame = int(match[1])
                if self.path(frame).name == entry.name:
                    frames.append(frame)
        return sorted(frames)


def parse_frame_spec(spec: str) -> list[int]:
    """`1001-1100`, `1001-1100x2` (or `:2`), `1001,1005,1010-1012` (negatives allowed) -> sorted frames."""
    frames: set[int] = set()
    items = [item.strip() for item in spec.split(",")]
    if not spec.strip() or not all(items):
        raise UsageError(f"--frames {spec!r}: empty item; write e.g. 1001-1100, 1001-1100x2 or 1001,1005")
    for item in items:
        match = _SPEC_ITEM.match(item)
        if not match:
            raise UsageError(
                f"--frames {spec!r}: cannot read {item!r}; write e.g. 1001-1100, 1001-1100x2 or 1001,1005"
            )
        start = int(match["start"])
        end = int(match["end"]) if match["end"] is not None else start
        step = int(match["step"]) if match["step"] is not None else 1
        if end < start or step < 1:
            raise UsageError(f"--frames {spec!r}: {item!r} must run forwards with a step of 1 or more")
        frames.update(range(start, end + 1, step))
    return sorted(frames)


def compact_frames(frames: Iterable[int], limit: int = _MAX_LISTED) -> str:
    """`[1,2,3,7,9,10]` -> `1-3,7,9-10`; long lists end with `... (N more)` so messages stay one line."""
    runs: list[tuple[int, int]] = []
    for frame in sorted(set(frames)):
        if runs and frame == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], frame)
        else:
            runs.append((frame, frame))
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs]
    if len(parts) > limit:
        return ",".join(parts[:limit]) + f",... ({len(parts) - limit} more)"
    return ",".join(parts)


def gaps(frames: list[int]) -> list[int]:
    """Frames absent between the first and last of a sorted list whose steps are all 1 where present."""
    if len(frames) < 2:
        return []
    present = set(frames)
    step = min(b - a for a, b in itertools.pairwise(frames))
    return [f for f in range(frames[0], frames[-1] + 1, step) if f not in present]


def resolve_frames(pattern: FramePattern, spec: str | None) -> list[int | None]:
    """The frames to process: the spec if given, else what exists on disk; every one must exist."""
    if not pattern.is_sequence:
        if spec is not None:
            raise UsageError(f"{pattern.text}: --frames needs a sequence pattern such as shot.####.exr")
        if not pattern.path(None).is_file():
            raise InputError(f"{pattern.text}: file not found; check the path")
        return [None]
    if spec is None:
        found = pattern.discover()
        if not found:
            raise InputError(f"{pattern.display()}: no frames on disk match; check the folder and padding")
        return list(found)
    frames = parse_frame_spec(spec)
    missing = [f for f in frames if not pattern.path(f).is_file()]
    if missing:
        raise InputError(
            f"{pattern.display()}: {len(missing)} of {len(frames)} frames missing: "
            f"{compact_frames(missing)}; render or copy them, or narrow --frames"
        )
    return list(frames)
