"""Run by .venv-blender/bin/python WITHOUT the GhostSwap extension: reopen a saved scene and render it.

argv: BLEND OUT_DIR REPORT. A farm node has no add-on; the built-in group must still render.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import bpy

blend, out_dir, report_path = sys.argv[1:4]
bpy.ops.wm.open_mainfile(filepath=blend)
scene = bpy.context.scene
tree = scene.compositing_node_group if bpy.app.version >= (5, 0, 0) else scene.node_tree
undefined = [n.name for g in bpy.data.node_groups for n in g.nodes if n.bl_idname == "NodeUndefined"]
scene.render.filepath = str(Path(out_dir) / "####")
bpy.ops.render.render(animation=True)
report = {
    "addon_loaded": "ghostswap_blender" in sys.modules or hasattr(bpy.types.Scene, "ghostswap"),
    "group_node": tree.nodes["GhostSwap"].bl_idname,
    "group_tree": tree.nodes["GhostSwap"].node_tree.name,
    "undefined_nodes": undefined,
    "frames": [scene.frame_start, scene.frame_end],
}
Path(report_path).write_text(json.dumps(report, indent=2))
