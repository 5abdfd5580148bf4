"""Which colour space footage arrives in: the flag, else the file's own colour tags, else sRGB/Rec.709.

Video carries ITU-T H.273 tags (colour primaries, transfer characteristics); stills carry what
OpenImageIO reports (`oiio:ColorSpace`, DPX transfer). Tags are turned into Color Interop Forum
IDs (`g24_rec709_scene`, `lin_rec2020_scene`, ...), which OCIO 2.5+ configs list as aliases or
interop IDs, so the match does not depend on a config's display names. Display-referred tags
with no scene-referred equivalent (PQ, HLG) are not guessed at: the default is used and the
user is told to pass --colorspace.
"""

from __future__ import annotations

from collections.abc import Mapping

import OpenImageIO as oiio
import PyOpenColorIO as ocio

from ghost_core.color import PLATE_ROLE, ChosenSpace, model_colorspace, resolve_colorspace
from ghost_core.console import log
from ghost_core.errors import UsageError

# H.273 colour primaries -> interop gamut. SD primaries (470BG, 170M, 240M) are within a few
# thousandths of Rec.709 in xy, the usual treatment for SD sources.
PRIMARIES = {1: "rec709", 5: "rec709", 6: "rec709", 7: "rec709", 9: "rec2020", 12: "p3d65"}
# H.273 transfer -> interop curve. BT.709/601/2020 video is viewed on a BT.1886 (gamma 2.4) display.
TRANSFERS = {1: "g24", 6: "g24", 14: "g24", 15: "g24", 4: "g22", 8: "lin", 13: "srgb"}
DISPLAY_ONLY_TRANSFERS = {16: "PQ (SMPTE ST 2084)", 18: "HLG (ARIB STD-B67)"}
UNSPECIFIED = 2
DPX_TRANSFERS = {"linear": "lin_rec709_scene"}


def find_space(config: ocio.Config, interop_id: str) -> str | None:
    """The config's colour space for a Color Interop Forum ID (alias or interop ID), if it has one."""
    cs = config.getColorSpace(interop_id)
    if cs is not None:
        return cs.getName()
    for cs in config.getColorSpaces():
        if getattr(cs, "getInteropID", lambda: "")() == interop_id:
            return cs.getName()
    return None


def default_space(config: ocio.Config) -> ChosenSpace:
    """sRGB-encoded Rec.709: what a clip without colour tags almost always is."""
    name = find_space(config, "srgb_rec709_scene")
    if name is not None:
        return ChosenSpace(name, "default sRGB/Rec.709 (no usable colour tags)")
    found = model_colorspace(config)
    return ChosenSpace(found.name, f"default sRGB/Rec.709 ({found.source})")


def output_space(config: ocio.Config) -> ChosenSpace:
    """The config's scene_linear role: what `track` and `render` expect plates in."""
    if not config.hasRole(PLATE_ROLE):
        raise UsageError(f"OCIO config {config.getName()!r} has no {PLATE_ROLE} role; use a config with one")
    return ChosenSpace(config.getColorSpace(PLATE_ROLE).getName(), f"role {PLATE_ROLE}")


def video_space(config: ocio.Config, primaries: int, transfer: int) -> ChosenSpace:
    """Map H.273 tags to a config colour space; unknown or missing tags fall back to the default."""
    described = f"primaries {primaries}, transfer {transfer}"
    if transfer in DISPLAY_ONLY_TRANSFERS:
        log.warning(
            "transfer %s is display-referred and has no scene-referred space; pass --colorspace "
            "(using the sRGB/Rec.709 default, which is wrong for this clip)",
            DISPLAY_ONLY_TRANSFERS[transfer],
        )
        return default_space(config)
    if transfer == UNSPECIFIED and primaries == UNSPECIFIED:
        return default_space(config)
    gamut = PRIMARIES.get(primaries, "rec709" if primaries == UNSPECIFIED else None)
    curve = TRANSFERS.get(transfer, "srgb" if transfer == UNSPECIFIED else None)
    if gamut is None or curve is None:
        log.warning("colour tags (%s) are not mapped; using the sRGB/Rec.709 default", described)
        return default_space(config)
    interop = f"{curve}_{gamut}_scene"
    name = find_space(config, interop)
    if name is None:
        log.warning("no %s colour space in the OCIO config; using the sRGB/Rec.709 default", interop)
        return default_space(config)
    return ChosenSpace(name, f"stream tags {described} -> {interop}")


def still_space(config: ocio.Config, spec: oiio.ImageSpec) -> ChosenSpace:
    """A still's colour space from what OpenImageIO read in its header (PNG sRGB/gAMA/cICP, DPX transfer)."""
    value = spec.get_string_attribute("oiio:ColorSpace", "")
    if value:
        cs = config.getColorSpace(value)
        name = cs.getName() if cs is not None else find_space(config, value)
        if name is not None:
            return ChosenSpace(name, f"metadata oiio:ColorSpace={value}")
        log.warning("metadata oiio:ColorSpace=%r is not in the OCIO config; using the default", value)
    transfer = spec.get_string_attribute("dpx:Transfer", "")
    if transfer:
        interop = DPX_TRANSFERS.get(transfer.lower())
        name = find_space(config, interop) if interop else None
        if name is not None:
            return ChosenSpace(name, f"metadata dpx:Transfer={transfer}")
        log.warning("DPX transfer %r is not mapped (log DPX needs --colorspace); using the default", transfer)
    return default_space(config)


def choose_input_space(
    config: ocio.Config,
    flag: str | None,
    tags: Mapping[str, int] | None = None,
    spec: oiio.ImageSpec | None = None,
) -> ChosenSpace:
    """--colorspace, else the video tags or still metadata, else sRGB/Rec.709."""
    if flag:
        return ChosenSpace(resolve_colorspace(config, flag), "--colorspace")
    if tags is not None:
        return video_space(config, tags.get("primaries", UNSPECIFIED), tags.get("transfer", UNSPECIFIED))
    if spec is not None:
        return still_space(config, spec)
    return default_space(config)
