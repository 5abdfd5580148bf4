"""Run by .venv-blender/bin/python with BLENDER_USER_RESOURCES set to an empty folder: install the
extension zip the way a user does (Install from Disk), enable it, and report what Blender registered.

argv: ZIP EXE REPORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy

zip_path, exe, report_path = sys.argv[1:4]
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
