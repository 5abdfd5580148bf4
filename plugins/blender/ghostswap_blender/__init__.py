"""GhostSwap for Blender: bake face swaps with the ghostswap command and composite them with built-in nodes.

The extension only writes EXR plates and a JSON job, runs `ghostswap bake`, and wires a built-in
"GhostSwap" CompositorNodeGroup to the baked EXR cache. It never imports torch or ghost_core, and
it leaves no Python-defined node in the scene, so .blend files render on farms without it.
"""

from __future__ import annotations

import bpy

from . import operators, panel, props


def register() -> None:
    props.register()
    for cls in (*operators.CLASSES, *panel.CLASSES):
        bpy.utils.register_class(cls)


def unregister() -> None:
    for cls in reversed((*operators.CLASSES, *panel.CLASSES)):
        bpy.utils.unregister_class(cls)
    props.unregister()
