"""Per-scene GhostSwap settings (`scene.ghostswap`) and the add-on preferences.

The engine's knobs (swapper, model, enhance, matte erode/feather/brow lift, ...) are not written
here: `engine_knobs` declares them from the vendored knob table, so a knob the engine offers to
hosts appears in the panel and the job by re-running scripts/vendor_hostkit.py.
"""

from __future__ import annotations

import sys

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, PointerProperty, StringProperty

from . import engine_knobs
from . import ghostswap_hostkit as hostkit

ENGINE_KNOBS = engine_knobs.host_knobs()

FARM_MANAGER_ITEMS = {
    "openjd": ("Open Job Description", "OpenJD template (openjd run locally, AWS Deadline Cloud)"),
    "deadline": ("Deadline 10", "Thinkbox Deadline 10 job files"),
    "opencue": ("OpenCue", "OpenCue outline"),
    "tractor": ("Tractor", "Pixar Tractor job"),
}
FARM_MANAGERS = tuple(
    (m, *FARM_MANAGER_ITEMS.get(m, (m, m + " submission files"))) for m in hostkit.FARM_MANAGERS
)


def _default_farm_manager() -> str:
    """$GHOSTSWAP_FARM_MANAGER when it names a manager, else openjd (the same default as Nuke)."""
    try:
        return hostkit.farm_manager()
    except hostkit.GhostSwapError as exc:
        print(f"{exc}; using {hostkit.DEFAULT_FARM_MANAGER}", file=sys.stderr)
        return hostkit.DEFAULT_FARM_MANAGER


class GhostSwapPreferences(bpy.types.AddonPreferences):
    """Where the engine lives and where bakes go; shared by every scene."""

    bl_idname = __package__

    executable: StringProperty(
        name="ghostswap executable",
        description="Path to the ghostswap command (empty: $GHOSTSWAP_EXE, then PATH)",
        subtype="FILE_PATH",
        default="",
    )
    cache_root: StringProperty(
        name="Cache root",
        description="Folder for plates, job files and baked EXRs "
        "(empty: $GHOSTSWAP_CACHE, else //ghostswap_cache by the .blend)",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context: bpy.types.Context) -> None:
        self.layout.prop(self, "executable")
        self.layout.prop(self, "cache_root")


class GhostSwapSettings(bpy.types.PropertyGroup):
    """What one scene bakes: plate, photos, frames and the knobs that decide the pixels."""

    node_name: StringProperty(
        name="Node", default="GhostSwap", description="Name of the group node; also the cache folder name"
    )
    plate: PointerProperty(
        name="Plate",
        type=bpy.types.Image,
        description="The plate (image sequence, movie or still) whose face is replaced",
    )
    holdout_image: PointerProperty(
        name="Holdout image",
        type=bpy.types.Image,
        description="Optional roto (image sequence or still): its alpha is kept out of the face matte",
    )
    source: StringProperty(name="Source photo", subtype="FILE_PATH", description="Photo of the new face")
    more_sources: StringProperty(
        name="More photos", default="", description="More photos of the same person, separated by ';'"
    )
    use_scene_range: BoolProperty(name="Scene frame range", default=True)
    frame_first: IntProperty(name="First", default=1001)
    frame_last: IntProperty(name="Last", default=1100)
    farm_manager: EnumProperty(
        name="Farm manager",
        items=FARM_MANAGERS,
        default=_default_farm_manager(),
        description="Which manager's files ghostswap farm submit writes",
    )
    status: StringProperty(name="Status", default="")
    last_command: StringProperty(name="Last command", default="")
    last_output: StringProperty(name="Last output", default="")

    def photos(self) -> list[str]:
        paths = [self.source, *self.more_sources.split(";")]
        return [bpy.path.abspath(p.strip()) for p in paths if p.strip()]

    def frame_range(self, scene: bpy.types.Scene) -> tuple[int, int]:
        if self.use_scene_range:
            return scene.frame_start, scene.frame_end
        return self.frame_first, self.frame_last


# The engine knobs' properties, from the vendored table (see engine_knobs.property_specs).
engine_knobs.add_properties(GhostSwapSettings, ENGINE_KNOBS, bpy.props)


def preferences(context: bpy.types.Context) -> GhostSwapPreferences | None:
    """The add-on preferences, or None when the module runs without being enabled (bpy scripts, tests)."""
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon is not None else None


CLASSES = (GhostSwapPreferences, GhostSwapSettings)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.ghostswap = PointerProperty(type=GhostSwapSettings)


def unregister() -> None:
    del bpy.types.Scene.ghostswap
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
