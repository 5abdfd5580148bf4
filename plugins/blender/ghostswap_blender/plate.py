"""Writing the plate frames the engine reads: a Blender Image (sequence, movie or still) as EXR.

A throw-away scene renders the image through the compositor to 32-bit float EXR, so what the
engine sees is exactly Blender's scene-linear pixels (the image's own colour space converted by
Blender, no view transform). Frames are rewritten only when the source changed, because a newer
plate makes the engine track the shot again.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import bpy

from . import compat

STAMP = "source.json"


def _file_first_frame(image: bpy.types.Image) -> int:
    """The frame number in a sequence's file name (`plate.1001.exr` -> 1001)."""
    digits = re.findall(r"\d+", Path(image.filepath).name)
    return int(digits[-1]) if digits else 1


def image_user_settings(
    scene: bpy.types.Scene, image: bpy.types.Image, first: int, last: int
) -> dict[str, int]:
    """How scene frames map to the image's frames: an Image node showing it in the comp, else a guess.

    The guess lines the first file of a sequence (or the first movie frame) up with `first`.
    """
    tree = getattr(scene, "compositing_node_group", None) if compat.IS_5 else scene.node_tree
    for node in getattr(tree, "nodes", []):
        if node.bl_idname == "CompositorNodeImage" and node.image == image:
            return {
                "frame_start": node.frame_start,
                "frame_offset": node.frame_offset,
                "frame_duration": node.frame_duration,
            }
    offset = _file_first_frame(image) - 1 if image.source == "SEQUENCE" else 0
    return {"frame_start": first, "frame_offset": offset, "frame_duration": last - first + 1}


def _mtime(image: bpy.types.Image) -> int:
    path = bpy.path.abspath(image.filepath)
    folder = Path(path).parent
    try:
        if image.source == "SEQUENCE":
            return max((p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()), default=0)
        return Path(path).stat().st_mtime_ns
    except OSError:
        return 0


def _stamp(image: bpy.types.Image, mapping: dict[str, int], first: int, last: int) -> dict:
    return {
        "source": bpy.path.abspath(image.filepath),
        "kind": image.source,
        "colorspace": image.colorspace_settings.name,
        "working_space": compat.working_space(),
        "mapping": mapping,
        "frames": [first, last],
        "source_mtime_ns": _mtime(image),
    }


def image_size(image: bpy.types.Image) -> tuple[int, int]:
    """Pixel size; a sequence reports 0x0 until a frame is shown, so read the file it names."""
    width, height = image.size[:]
    if (width and height) or image.source != "SEQUENCE":
        return width, height
    probe = bpy.data.images.load(bpy.path.abspath(image.filepath), check_existing=False)
    try:
        probe.reload()
        return probe.size[0], probe.size[1]
    finally:
        bpy.data.images.remove(probe)


def plate_is_current(folder: Path, stamp: dict, first: int, last: int) -> bool:
    try:
        old = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    have = all((folder / f"plate.{f:04d}.exr").is_file() for f in range(first, last + 1))
    return have and old == stamp


def write_plate(scene: bpy.types.Scene, image: bpy.types.Image, pattern: Path, first: int, last: int) -> bool:
    """Render `image` to `pattern` (`.../plate.####.exr`) for frames first..last; False if already current."""
    folder = pattern.parent
    mapping = image_user_settings(scene, image, first, last)
    stamp = _stamp(image, mapping, first, last)
    if plate_is_current(folder, stamp, first, last):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STAMP).unlink(missing_ok=True)
    width, height = image_size(image)
    if not width or not height:
        raise RuntimeError(f"{image.name}: cannot read the plate image ({bpy.path.abspath(image.filepath)})")
    temp = bpy.data.scenes.new("GhostSwap plate export")
    try:
        _setup_render(temp, width, height, first, last, str(folder / "plate.####"))
        tree = compat.scene_tree(temp)
        tree.nodes.clear()  # 4.x starts with Render Layers, which would need a camera
        node = tree.nodes.new("CompositorNodeImage")
        node.image = image
        for key, value in mapping.items():
            setattr(node, key, value)
        tree.links.new(node.outputs[0], compat.scene_output(tree))
        compat.render_animation(temp)
    finally:
        tree = temp.compositing_node_group if compat.IS_5 else None
        bpy.data.scenes.remove(temp)
        if tree is not None and tree.users == 0:
            bpy.data.node_groups.remove(tree)
    missing = [f for f in range(first, last + 1) if not (folder / f"plate.{f:04d}.exr").is_file()]
    if missing:
        raise RuntimeError(f"Blender did not write plate frames {missing[0]}-{missing[-1]} to {folder}")
    tmp = folder / f".{STAMP}.tmp"
    tmp.write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    os.replace(tmp, folder / STAMP)
    return True


def _setup_render(scene: bpy.types.Scene, width: int, height: int, first: int, last: int, path: str) -> None:
    render = scene.render
    render.resolution_x, render.resolution_y, render.resolution_percentage = width, height, 100
    render.pixel_aspect_x = render.pixel_aspect_y = 1.0
    render.use_compositing = True
    render.use_sequencer = False
    render.compositor_device = "CPU"
    render.filepath = path
    render.use_file_extension = True
    settings = render.image_settings
    settings.file_format = "OPEN_EXR"
    settings.color_mode = "RGBA"
    settings.color_depth = "32"
    settings.exr_codec = "ZIP"
    scene.frame_start, scene.frame_end = first, last
