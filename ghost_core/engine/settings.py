"""What a shot job asks for: the one settings object `track`, `render`, the CLI and hosts share."""

from __future__ import annotations

from dataclasses import dataclass, field

SWAPPERS = ("auto", "ghost", "morph")


@dataclass
class ShotSettings:
    """Inputs, target selection, swapper and matte controls of one shot.

    `sources` holds one group of photos per person (averaged); `targets` are reference photos of
    the faces to replace, paired with `sources` by position; `track_ids` pick tracks directly;
    `all_tracks` gives every track the first source.
    """

    plate: str
    sources: list[list[str]]
    out: str | None = None
    frames: str | None = None
    track: str | None = None
    targets: list[str] = field(default_factory=list)
    track_ids: list[int] = field(default_factory=list)
    all_tracks: bool = False
    swapper: str = "auto"
    model: str | None = None
    enhance: bool = False
    detector: str = "auto"
    landmarker: str = "auto"
    colorspace: str | None = None
    ocio: str | None = None
    erode: int | None = None
    feather: float | None = None
    brow_lift: float | None = None
    matte_name: str = "ghost.matte"
    batch: int = 8
    backend: str = "auto"
    device: str = "auto"
    overwrite: bool = False
