"""The "GhostSwap" compositor node group and the Image nodes that feed it from the bake cache.

Only built-in nodes go into scenes: a plain CompositorNodeGroup datablock reopens and renders on
a farm without this add-on, whereas a Python-defined node class becomes an undefined node (and
crashed bpy 5.0.1 on render). The group blends the baked swap over the plate by `Mix` and passes
the matte through, so at Mix = 1 its outputs are the engine's pixels unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import bpy

from . import compat
from .jobfile import MATTE_LAYER

GROUP_NAME = "GhostSwap"
# (name, in_out, socket type, default)
INTERFACE = (
    ("Plate", "INPUT", "NodeSocketColor", None),
    ("Swap", "INPUT", "NodeSocketColor", None),
    ("Matte", "INPUT", "NodeSocketFloat", 0.0),
    ("Mix", "INPUT", "NodeSocketFloat", 1.0),
    ("Swapped", "OUTPUT", "NodeSocketColor", None),
    ("Matte", "OUTPUT", "NodeSocketFloat", None),
)


def _ensure_interface(group: bpy.types.NodeTree) -> None:
    have = {(i.name, i.in_out) for i in group.interface.items_tree if i.item_type == "SOCKET"}
    for name, in_out, socket_type, default in INTERFACE:
        if (name, in_out) in have:
            continue
        item = group.interface.new_socket(name, in_out=in_out, socket_type=socket_type)
        if default is not None:
            item.default_value = default
        if name == "Mix":
            item.min_value, item.max_value = 0.0, 1.0


def _socket(sockets: bpy.types.bpy_prop_collection, name: str) -> bpy.types.NodeSocket:
    return next(s for s in sockets if s.name == name)


def build_group() -> bpy.types.NodeTree:
    """Create or update the "GhostSwap" group: Swapped = mix(Plate, Swap, Mix), Matte = Matte x Mix."""
    group = bpy.data.node_groups.get(GROUP_NAME)
    if group is None or group.bl_idname != "CompositorNodeTree":
        group = bpy.data.node_groups.new(GROUP_NAME, "CompositorNodeTree")
    _ensure_interface(group)
    group.nodes.clear()
    inputs = group.nodes.new("NodeGroupInput")
    outputs = group.nodes.new("NodeGroupOutput")
    inputs.location, outputs.location = (-400, 0), (400, 0)
    mix, (factor, a, b), mixed = compat.new_mix(group)
    mix.name = mix.label = "Swap over plate"
    mix.location = (0, 120)
    multiply, (m_a, m_b), matte = compat.new_multiply(group)
    multiply.name = multiply.label = "Matte x Mix"
    multiply.location = (0, -160)
    links = group.links
    links.new(_socket(inputs.outputs, "Mix"), factor)
    links.new(_socket(inputs.outputs, "Plate"), a)
    links.new(_socket(inputs.outputs, "Swap"), b)
    links.new(mixed, _socket(outputs.inputs, "Swapped"))
    links.new(_socket(inputs.outputs, "Matte"), m_a)
    links.new(_socket(inputs.outputs, "Mix"), m_b)
    links.new(matte, _socket(outputs.inputs, "Matte"))
    return group


def _first_frame_path(pattern: str, first: int) -> str:
    """`swap.####.exr` -> `swap.1001.exr`: Blender finds a sequence from one of its files."""
    return re.sub(r"#+", lambda m: f"{first:0{len(m.group())}d}", pattern)


def sequence_image(name: str, pattern: str, first: int, colorspace: str) -> bpy.types.Image:
    """An Image datablock for a baked EXR sequence, reused (and repointed) across bakes."""
    path = _first_frame_path(pattern, first)
    image = bpy.data.images.get(name)
    if image is None:
        image = bpy.data.images.load(path, check_existing=False)
        image.name = name
    elif bpy.path.abspath(image.filepath) != path:
        image.filepath = path
    image.source = "SEQUENCE"
    set_colorspace(image, colorspace)
    image.reload()
    return image


def set_colorspace(image: bpy.types.Image, name: str) -> None:
    """Tag the image as already scene-linear, so Blender applies no conversion to the engine's pixels."""
    try:
        image.colorspace_settings.name = name
    except TypeError:
        image.colorspace_settings.name = "Linear Rec.709"


def _image_node(
    tree: bpy.types.NodeTree,
    name: str,
    image: bpy.types.Image,
    first: int,
    count: int,
    location: tuple[float, float],
) -> bpy.types.Node:
    node = tree.nodes.get(name)
    if node is None or node.bl_idname != "CompositorNodeImage":
        node = tree.nodes.new("CompositorNodeImage")
        node.name = name
        node.location = location
    node.label = name
    node.image = image
    # Scene frame `first` shows file number `first`: file = (frame - start + 1) + offset.
    node.frame_start = first
    node.frame_offset = first - 1
    node.frame_duration = count
    node.use_cyclic = False
    node.use_auto_refresh = True
    return node


def colour_output(node: bpy.types.Node) -> bpy.types.NodeSocket:
    """RGBA of an Image node: `Image` for plain EXRs, `Combined` when extra channels make it multilayer."""
    for name in ("Image", "Combined"):
        socket = node.outputs.get(name)
        if socket is not None:
            return socket
    return node.outputs[0]


def matte_output(node: bpy.types.Node, layer: str = MATTE_LAYER) -> bpy.types.NodeSocket:
    """The `ghost.matte` channel: Blender lists a channel `pass.chan` as an output named `pass`."""
    candidates = (layer, layer.rsplit(".", 1)[0])
    for name in candidates:
        socket = node.outputs.get(name)
        if socket is not None and socket.type == "VALUE":
            return socket
    raise RuntimeError(
        f"the baked EXR {node.image.filepath if node.image else '?'} shows no {layer} channel "
        f"(outputs: {', '.join(s.name for s in node.outputs)}); bake again"
    )


def wire_scene(
    scene: bpy.types.Scene,
    node_name: str,
    plate_pattern: str,
    swap_pattern: str,
    first: int,
    last: int,
    colorspace: str,
) -> bpy.types.Node:
    """Put the group in the scene's compositor, fed by the plate and swap sequences of the cache.

    The group's Swapped output goes to the render output only when nothing else is connected
    there, so an existing comp is not rewired.
    """
    tree = compat.scene_tree(scene)
    group = build_group()
    count = last - first + 1
    plate = _image_node(
        tree,
        f"{node_name} Plate",
        sequence_image(f"{node_name}.plate", plate_pattern, first, colorspace),
        first,
        count,
        (-500, 200),
    )
    swap = _image_node(
        tree,
        f"{node_name} Swap",
        sequence_image(f"{node_name}.swap", swap_pattern, first, colorspace),
        first,
        count,
        (-500, -150),
    )
    node = tree.nodes.get(node_name)
    if node is None or node.bl_idname != "CompositorNodeGroup":
        node = tree.nodes.new("CompositorNodeGroup")
        node.name = node_name
        node.location = (0, 0)
    node.node_tree = group
    node.label = node_name
    links = tree.links
    links.new(colour_output(plate), node.inputs["Plate"])
    links.new(colour_output(swap), node.inputs["Swap"])
    links.new(matte_output(swap), node.inputs["Matte"])
    out = compat.scene_output(tree)
    if not out.is_linked:
        links.new(node.outputs["Swapped"], out)
    return node


def cache_paths(node: bpy.types.Node) -> dict[str, str]:
    """Where the wired Image nodes read from (for the panel and for checks)."""
    tree = node.id_data
    result = {}
    for role in ("Plate", "Swap"):
        image_node = tree.nodes.get(f"{node.name} {role}")
        if image_node is not None and image_node.image is not None:
            result[role.lower()] = str(Path(bpy.path.abspath(image_node.image.filepath)))
    return result
