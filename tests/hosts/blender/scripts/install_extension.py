"""Run by .venv-blender/bin/python with BLENDER_USER_RESOURCES set to an empty folder: install the
extension zip the way a user does (Install from Disk), enable it, and report what Blender registered.

argv: ZIP EXE REPORT
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from pathlib import Path

import bpy

zip_path, exe, report_path = sys.argv[1:4]


def cache_root_from_env() -> list:
    """bake.cache_root with an empty preference: $GHOSTSWAP_CACHE, then the deprecated
    $GHOSTSWAP_CACHE_ROOT (and the console message it prints, once)."""
    bake = importlib.import_module("bl_ext.user_default.ghostswap.bake")
    saved, console = dict(os.environ), io.StringIO()
    try:
        os.environ["GHOSTSWAP_CACHE"], os.environ["GHOSTSWAP_CACHE_ROOT"] = "/new cache", "/old cache"
        new = bake.cache_root(bpy.context)
        del os.environ["GHOSTSWAP_CACHE"]
        with contextlib.redirect_stderr(console):
            old = [bake.cache_root(bpy.context), bake.cache_root(bpy.context)]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return [new, *old, console.getvalue().splitlines()]


def engine_properties(settings: bpy.types.PropertyGroup) -> dict[str, list]:
    """What Blender registered for each engine knob property (engine_knobs.property_specs)."""
    knobs = importlib.import_module("bl_ext.user_default.ghostswap.engine_knobs")
    out = {}
    for attr, _, _ in knobs.property_specs(knobs.host_knobs()):
        rna = settings.bl_rna.properties[attr]
        row = [rna.type, rna.name, rna.description, rna.default]
        if rna.type in ("INT", "FLOAT"):
            row += [rna.hard_min, rna.hard_max]
        row = [round(v, 6) if isinstance(v, float) else v for v in row]  # Blender keeps float32
        if rna.type == "ENUM":
            row += [[item.identifier for item in rna.enum_items]]
        out[attr] = row
    return out


bpy.ops.wm.read_factory_settings(use_empty=True)
result = bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True
)
module = "bl_ext.user_default.ghostswap"
addon = bpy.context.preferences.addons.get(module)
report = {"install": sorted(result), "enabled": addon is not None}
if addon is not None:
    addon.preferences.executable = exe
    scene = bpy.context.scene
    report.update(
        {
            "operators": [
                op for op in ("bake", "farm_bake", "load", "build_group") if hasattr(bpy.ops.ghostswap, op)
            ],
            "labels": [bpy.types.GHOSTSWAP_OT_bake.bl_label, bpy.types.GHOSTSWAP_OT_farm_bake.bl_label],
            "panel": [
                bpy.types.GHOSTSWAP_PT_panel.bl_space_type,
                bpy.types.GHOSTSWAP_PT_panel.bl_region_type,
            ],
            "scene_settings": hasattr(scene, "ghostswap"),
            "preferences": [addon.preferences.executable, addon.preferences.cache_root],
            "farm_manager": scene.ghostswap.farm_manager,
            "engine_properties": engine_properties(scene.ghostswap),
            "cache_root_from_env": cache_root_from_env(),
            "build_group": sorted(bpy.ops.ghostswap.build_group()),
            "group": bpy.data.node_groups["GhostSwap"].bl_idname
            if "GhostSwap" in bpy.data.node_groups
            else None,
        }
    )
    bpy.ops.preferences.addon_disable(module=module)
    report["disabled_cleanly"] = not hasattr(bpy.types.Scene, "ghostswap")
    report["torch_or_core_imported"] = [m for m in ("torch", "ghost_core") if m in sys.modules]
Path(report_path).write_text(json.dumps(report, indent=2))
