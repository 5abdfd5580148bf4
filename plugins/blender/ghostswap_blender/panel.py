"""The GhostSwap panel in the compositor's sidebar (N panel, "GhostSwap" tab)."""

from __future__ import annotations

import bpy

from . import engine_knobs
from .props import ENGINE_KNOBS


class GHOSTSWAP_PT_panel(bpy.types.Panel):
    bl_label = "GhostSwap"
    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_category = "GhostSwap"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        space = context.space_data
        return getattr(space, "tree_type", "") == "CompositorNodeTree" and hasattr(context.scene, "ghostswap")

    def draw(self, context: bpy.types.Context) -> None:
        settings = context.scene.ghostswap
        layout = self.layout
        layout.prop(settings, "node_name")
        layout.template_ID(settings, "plate", open="image.open")
        layout.template_ID(settings, "holdout_image", open="image.open")
        layout.prop(settings, "source")
        layout.prop(settings, "more_sources")
        rows = engine_knobs.panel_rows(ENGINE_KNOBS)
        for title, names in rows:  # the engine's plain knobs (swapper, model, ...)
            if not title:
                for name in names:
                    layout.prop(settings, name)
        layout.prop(settings, "use_scene_range")
        if not settings.use_scene_range:
            row = layout.row(align=True)
            row.prop(settings, "frame_first")
            row.prop(settings, "frame_last")
        for title, names in rows:  # nullable knobs: a toggle each, off = the engine chooses per track
            if not title:
                continue
            box = layout.box()
            box.label(text=title)
            for name in names:
                row = box.row(align=True)
                row.prop(settings, f"use_{name}", text="")
                sub = row.row()
                sub.enabled = getattr(settings, f"use_{name}")
                sub.prop(settings, name)
        layout.operator("ghostswap.bake", icon="RENDER_ANIMATION")
        row = layout.row(align=True)
        row.prop(settings, "farm_manager", text="")
        row.operator("ghostswap.farm_bake", text="Farm bake")
        layout.operator("ghostswap.load", icon="FILE_REFRESH")
        layout.operator("ghostswap.build_group", icon="NODETREE")
        if settings.status:
            layout.label(text=settings.status)
        if settings.last_output:
            layout.label(text=settings.last_output)


CLASSES = (GHOSTSWAP_PT_panel,)
