"""The few compositor API differences between Blender 4.2-4.5 and 5.x, in one place.

4.x: the scene owns `scene.node_tree` (after `use_nodes = True`) and renders what reaches a
Composite node; mixing and maths are CompositorNodeMixRGB / CompositorNodeMath.
5.x: the compositor is a node-group datablock in `scene.compositing_node_group` whose Group
Output is the render result; mixing and maths are the shared ShaderNodeMix / ShaderNodeMath.
"""

from __future__ import annotations

import bpy

IS_5 = bpy.app.version >= (5, 0, 0)


def scene_tree(scene: bpy.types.Scene) -> bpy.types.NodeTree:
    """The scene's compositor tree, created (with an output) when the scene has none."""
    if IS_5:
        tree = scene.compositing_node_group
        if tree is None:
            tree = bpy.data.node_groups.new(f"{scene.name} Compositing", "CompositorNodeTree")
            scene.compositing_node_group = tree
        return tree
    if not scene.use_nodes:
        # Turning compositing on makes Blender's default Render Layers -> Composite tree; drop that
        # link so the bake can connect its result (the Render Layers node stays for the user).
        scene.use_nodes = True
        for link in list(scene.node_tree.links):
            if link.to_node.bl_idname == "CompositorNodeComposite":
                scene.node_tree.links.remove(link)
    return scene.node_tree


def scene_output(tree: bpy.types.NodeTree) -> bpy.types.NodeSocket:
    """The input socket whose image becomes the render result (made when missing)."""
    if IS_5:
        if not any(i.in_out == "OUTPUT" for i in tree.interface.items_tree if i.item_type == "SOCKET"):
            tree.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        node = next((n for n in tree.nodes if n.bl_idname == "NodeGroupOutput"), None)
        if node is None:
            node = tree.nodes.new("NodeGroupOutput")
            node.location = (600, 0)
        return node.inputs[0]
    node = next((n for n in tree.nodes if n.bl_idname == "CompositorNodeComposite"), None)
    if node is None:
        node = tree.nodes.new("CompositorNodeComposite")
        node.location = (600, 0)
    return node.inputs["Image"]


def new_mix(
    tree: bpy.types.NodeTree,
) -> tuple[bpy.types.Node, list[bpy.types.NodeSocket], bpy.types.NodeSocket]:
    """A colour Mix node: (node, [factor, A, B], result)."""
    if IS_5:
        node = tree.nodes.new("ShaderNodeMix")
        node.data_type = "RGBA"
        node.blend_type = "MIX"
        ins = {s.identifier: s for s in node.inputs}
        outs = {s.identifier: s for s in node.outputs}
        return node, [ins["Factor_Float"], ins["A_Color"], ins["B_Color"]], outs["Result_Color"]
    node = tree.nodes.new("CompositorNodeMixRGB")
    node.blend_type = "MIX"
    return node, [node.inputs[0], node.inputs[1], node.inputs[2]], node.outputs[0]


def new_multiply(
    tree: bpy.types.NodeTree,
) -> tuple[bpy.types.Node, list[bpy.types.NodeSocket], bpy.types.NodeSocket]:
    """A Math node set to multiply, unclamped: (node, [a, b], result)."""
    node = tree.nodes.new("ShaderNodeMath" if IS_5 else "CompositorNodeMath")
    node.operation = "MULTIPLY"
    node.use_clamp = False
    return node, [node.inputs[0], node.inputs[1]], node.outputs[0]


def working_space() -> str:
    """Blender's scene-linear colour space name (5.x lets each file choose; 4.x uses the config role)."""
    colorspace = getattr(bpy.data, "colorspace", None)
    name = getattr(colorspace, "working_space", "") if colorspace is not None else ""
    return name or _config_role("scene_linear") or "scene_linear"


def _config_role(role: str) -> str:
    """A role's colour space read from the config text (4.x has no API for it; OCIO YAML `roles:`)."""
    import re

    try:
        with open(ocio_config(), encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return ""
    roles = re.search(r"^roles:[ \t]*\n(.*?)(?=^\S|\Z)", text, re.MULTILINE | re.DOTALL)
    found = re.search(rf"^\s+{role}:\s*(.+?)\s*$", roles.group(1), re.MULTILINE) if roles else None
    return found.group(1).strip("'\"") if found else ""


def ocio_config() -> str:
    """The OCIO config Blender uses: $OCIO, else the one shipped with Blender."""
    import os

    env = os.environ.get("OCIO", "")
    if env:
        return env
    base = bpy.utils.resource_path("LOCAL")
    path = os.path.join(base, "datafiles", "colormanagement", "config.ocio")
    if not os.path.isfile(path):
        path = os.path.join(bpy.utils.resource_path("SYSTEM"), "datafiles", "colormanagement", "config.ocio")
    return path


def render_animation(scene: bpy.types.Scene) -> None:
    """Render the scene's frame range to its output path (works headless and from the UI)."""
    with bpy.context.temp_override(scene=scene):
        bpy.ops.render.render(animation=True, scene=scene.name)
