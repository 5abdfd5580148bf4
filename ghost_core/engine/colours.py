"""One OCIO colour path per plate colour space met in a shot, shared by track and render."""

from __future__ import annotations

from ghost_core.color import ColorPath, load_config, model_colorspace, plate_colorspace
from ghost_core.io.exr import Frame
from ghost_core.knobs import ShotSettings


class Colours:
    """Loads the OCIO config once; `colours(frame)` is the frame's plate → model-space path."""

    def __init__(self, settings: ShotSettings) -> None:
        self.config = load_config(settings.ocio)
        self.override = settings.colorspace
        self.model = model_colorspace(self.config).name
        self.paths: dict[str, ColorPath] = {}

    def __call__(self, frame: Frame) -> ColorPath:
        space = plate_colorspace(self.config, self.override, frame.spec).name
        if space not in self.paths:
            self.paths[space] = ColorPath(self.config, space, self.model)
        return self.paths[space]
