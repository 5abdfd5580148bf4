"""Per-scene GhostSwap settings (`scene.ghostswap`) and the add-on preferences."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

SWAPPERS = (
    ("auto", "Auto", "GHOST when its weights are installed, else the offline morph swapper"),
    ("ghost", "GHOST", "The GHOST network (needs its weights: ghostswap models install)"),
    ("morph", "Morph", "Offline landmark morph, no downloads (previews and tests)"),
)

FARM_MANAGERS = (
    ("openjd", "Open Job Description", "OpenJD template (openjd run locally, AWS Deadline Cloud)"),
    ("deadline", "Deadline 10", "Thinkbox Deadline 10 job files"),
    ("opencue", "OpenCue", "OpenCue outline"),
    ("tractor", "Tractor", "Pixar Tractor job"),
)


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
        description="Folder for plates, job files and baked EXRs (empty: //ghostswap_cache by the .blend)",
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
    source: StringProperty(name="Source photo", subtype="FILE_PATH", description="Photo of the new face")
    more_sources: StringProperty(
        name="More photos", default="", description="More photos of the same person, separated by ';'"
    )
    swapper: EnumProperty(name="Swapper", items=SWAPPERS, default="auto")
    use_scene_range: BoolProperty(name="Scene frame range", default=True)
    frame_first: IntProperty(name="First", default=1001)
    frame_last: IntProperty(name="Last", default=1100)
    use_erode: BoolProperty(name="Erode", default=False, description="Override GHOST's matte erosion")
    erode: IntProperty(name="Erode", default=0, description="Erode (negative: dilate), crop pixels")
    use_feather: BoolProperty(name="Feather", default=False, description="Override GHOST's matte blur")
    feather: FloatProperty(name="Feather", default=1.0, min=0.0, description="Multiplier of GHOST's blur")
    use_brow_lift: BoolProperty(name="Brow lift", default=False)
    brow_lift: FloatProperty(name="Brow lift", default=1.0, min=0.0)
    farm_manager: EnumProperty(
        name="Farm manager",
        items=FARM_MANAGERS,
        default="openjd",
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
