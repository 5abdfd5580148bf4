"""Run by .venv-blender/bin/python: install the GhostSwap extension zip, bake a plate, render, save.

argv: ZIP PLATE_FIRST_FILE PHOTO EXE CACHE_ROOT OUT_DIR BLEND REPORT
(BLENDER_USER_RESOURCES must point at an empty folder: the extension is installed there like a user
would, and the executable and cache root are set in its preferences, not via environment variables.)
Renders frames 1001-1004 twice through the wired "GhostSwap" group: Swapped -> OUT_DIR/swapped,
Matte -> OUT_DIR/matte (32-bit float EXR), saves the scene as BLEND, and writes a JSON report.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import bpy

zip_path, plate_file, photo, exe, cache_root, out_dir, blend, report_path = sys.argv[1:9]
MODULE = "bl_ext.user_default.ghostswap"
FIRST, LAST = 1001, 1004

bpy.ops.wm.read_factory_settings(use_empty=True)
installed = bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True
)
prefs = bpy.context.preferences.addons[MODULE].preferences
prefs.executable, prefs.cache_root = exe, cache_root
compat = importlib.import_module(f"{MODULE}.compat")
plate_module = importlib.import_module(f"{MODULE}.plate")
try:
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = FIRST, LAST
    plate = bpy.data.images.load(plate_file)
    plate.source = "SEQUENCE"
    plate.colorspace_settings.name = "ACEScg"
    settings = scene.ghostswap
    settings.node_name = "GhostSwap"
    settings.plate = plate
    if os.environ.get("GHOSTSWAP_TEST_HOLDOUT"):  # a roto sequence for the holdout input
        holdout = bpy.data.images.load(os.environ["GHOSTSWAP_TEST_HOLDOUT"])
        holdout.source = "SEQUENCE"
        holdout.colorspace_settings.name = "Non-Color"
        settings.holdout_image = holdout
    settings.source = photo
    settings.swapper = "morph"
    result = bpy.ops.ghostswap.bake()
    if result != {"FINISHED"}:
        raise SystemExit(f"bake operator: {result}: {settings.status}")

    tree = compat.scene_tree(scene)
    # A compositor-only test scene has no camera: drop 4.x's default Render Layers node.
    for node in [n for n in tree.nodes if n.bl_idname == "CompositorNodeRLayers"]:
        tree.nodes.remove(node)
    width, height = plate_module.image_size(plate)
    render = scene.render
    render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
    render.compositor_device = "CPU"
    render.image_settings.file_format = "OPEN_EXR"
    render.image_settings.color_mode = "RGBA"
    render.image_settings.color_depth = "32"
    tree = compat.scene_tree(scene)
    group_node = tree.nodes["GhostSwap"]
    output = compat.scene_output(tree)
    linked_to_output = [link.from_socket.name for link in output.links]

    for name in ("Swapped", "Matte"):
        tree.links.new(group_node.outputs[name], output)
        render.filepath = str(Path(out_dir) / name.lower() / "####")
        bpy.ops.render.render(animation=True)
    tree.links.new(group_node.outputs["Swapped"], output)

    swap_node, plate_node = tree.nodes["GhostSwap Swap"], tree.nodes["GhostSwap Plate"]
    group = group_node.node_tree
    report = {
        "blender": bpy.app.version_string,
        "last_command": json.loads(settings.last_command),
        "last_output": settings.last_output,
        "status": settings.status,
        "linked_to_output": linked_to_output,
        "group": {
            "name": group.name,
            "node_idname": group_node.bl_idname,
            "tree_idname": group.bl_idname,
            "interface": [[i.name, i.in_out] for i in group.interface.items_tree if i.item_type == "SOCKET"],
            "nodes": sorted(n.bl_idname for n in group.nodes),
        },
        "inputs_from": {
            s.name: [link.from_node.name, link.from_socket.name]
            for s in group_node.inputs
            for link in s.links
        },
        "images": {
            n.name: {
                "path": bpy.path.abspath(n.image.filepath),
                "source": n.image.source,
                "colorspace": n.image.colorspace_settings.name,
                "frames": [n.frame_start, n.frame_offset, n.frame_duration],
            }
            for n in (swap_node, plate_node)
        },
        "working_space": compat.working_space(),
        "installed": sorted(installed),
        "engine_modules_imported": [m for m in ("torch", "ghost_core") if m in sys.modules],
    }
    bpy.ops.wm.save_as_mainfile(filepath=blend)
finally:
    bpy.ops.preferences.addon_disable(module=MODULE)
Path(report_path).write_text(json.dumps(report, indent=2))
