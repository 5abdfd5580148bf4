"""The GhostSwap node's layout in one table: knobs, inputs and internal nodes.

Both the Group that `create_node()` builds and the shipped `GhostSwap.gizmo` text come from
this table, so the Python that reads knobs and the gizmo can never disagree (a test compares the
checked-in gizmo with `gizmo_text()` and lints it). Pure Python: no `nuke` import.
"""

from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

from ghostswap_nuke import ghostswap_hostkit as hostkit

NODE_CLASS = "GhostSwap"
INPUTS = ("plate", "source")  # input 0, input 1 (source is optional when photos are given)
SOURCE_PHOTO_KNOBS = ("source_photo1", "source_photo2", "source_photo3")
TARGET_MODES = ("only face", "by track id", "all faces", "reference photo")
SWAPPERS = ("auto", "ghost", "morph")
COLORSPACES = ("scene_linear", "ACEScg", "lin_rec709", "Linear Rec.709 (sRGB)", "ACES2065-1")
DATATYPES = ("16 bit half", "32 bit float")
MATTE_LAYER = "ghost.matte"
NOT_BAKED = "GhostSwap: not baked"

# Internal node names the Python looks up.
WRITE_PLATE = "Write_plate"
WRITE_SOURCE = "Write_source"
READ_CACHE = "Read_cache"
SHUFFLE_MATTE = "Shuffle_matte"
SWITCH_BAKED = "Switch_baked"
OUTPUT = "Output1"
# The Read follows this hidden knob until a bake sets its file; the template every host shares.
READ_TEMPLATE = "[value parent.ghost_output]"
CACHE_TEMPLATE = "{cache_root}/{node}/{params_hash}/swap.####.exr"
PLATE_TEMPLATE = "{cache_root}/{node}/plate/plate.####.exr"
SOURCE_TEMPLATE = "{cache_root}/{node}/source/source.exr"

BAKE_SCRIPT = "import ghostswap_nuke; ghostswap_nuke.bake(nuke.thisNode())"
FARM_SCRIPT = "import ghostswap_nuke; ghostswap_nuke.farm_bake(nuke.thisNode())"
KNOB_CHANGED = (
    "try:\n    import ghostswap_nuke\nexcept ImportError:\n    pass\n"
    "else:\n    ghostswap_nuke.knob_changed(nuke.thisNode(), nuke.thisKnob())"
)


class Knob(NamedTuple):
    kind: str  # nuke knob class name
    name: str
    label: str
    default: object = None
    values: Tuple[str, ...] = ()
    flags: Tuple[str, ...] = ()  # "invisible", "new_line" handled by both builders
    tooltip: str = ""


# Nuke's .nk type ids for addUserKnob {<id> name l label}.
KNOB_TYPE_IDS = {
    "Tab_Knob": 20,
    "Text_Knob": 26,
    "String_Knob": 1,
    "File_Knob": 2,
    "Int_Knob": 3,
    "Enumeration_Knob": 4,
    "Boolean_Knob": 6,
    "Double_Knob": 7,
    "PyScript_Knob": 22,
}

KNOBS: List[Knob] = [
    Knob("Tab_Knob", "ghostswap_tab", "GhostSwap"),
    Knob("Text_Knob", "status", "status", NOT_BAKED),
    Knob("File_Knob", "source_photo1", "source photo", "", tooltip="photo of the new face (overrides input)"),
    Knob("File_Knob", "source_photo2", "source photo 2", ""),
    Knob("File_Knob", "source_photo3", "source photo 3", ""),
    Knob("Enumeration_Knob", "target_mode", "replace", "only face", TARGET_MODES),
    Knob("String_Knob", "track_ids", "track ids", "", tooltip="space separated, from `ghostswap track`"),
    Knob("File_Knob", "target_photo", "reference photo", "", tooltip="photo of the face to replace"),
    Knob("Enumeration_Knob", "swapper", "swapper", "auto", SWAPPERS),
    Knob("String_Knob", "model", "model", "", tooltip="generator from `ghostswap models list`"),
    Knob("Boolean_Knob", "matte_override", "override matte", False),
    Knob("Int_Knob", "erode", "matte erode", 0),
    Knob("Double_Knob", "feather", "matte feather", 1.0),
    Knob("Double_Knob", "brow_lift", "brow lift", 1.0),
    Knob("Boolean_Knob", "matte_to_alpha", "matte to alpha", True),
    Knob("Enumeration_Knob", "colorspace", "plate colour space", "scene_linear", COLORSPACES),
    Knob("File_Knob", "ocio", "OCIO config", "", tooltip="empty: $OCIO, else GhostSwap's built-in"),
    Knob("Enumeration_Knob", "datatype", "cache precision", "16 bit half", DATATYPES),
    Knob("Int_Knob", "frame_first", "first frame", 1001),
    Knob("Int_Knob", "frame_last", "last frame", 1100),
    Knob(
        "File_Knob",
        "cache_root",
        "cache root",
        "",
        tooltip="empty: $" + hostkit.CACHE_ENV + ", else by the script",
    ),
    Knob("File_Knob", "ghostswap_exe", "ghostswap", "", tooltip="empty: $" + hostkit.EXE_ENV + ", else PATH"),
    Knob("PyScript_Knob", "bake", "Bake", BAKE_SCRIPT),
    Knob("PyScript_Knob", "farm_bake", "Farm bake", FARM_SCRIPT),
    Knob("String_Knob", "ghost_output", "output", "", flags=("invisible",)),
]

KNOB_NAMES = tuple(k.name for k in KNOBS)
# Knobs whose change may point at another cache folder (knobChanged re-checks on these).
PIXEL_KNOBS = (
    *SOURCE_PHOTO_KNOBS,
    "target_mode",
    "track_ids",
    "target_photo",
    "swapper",
    "model",
    "matte_override",
    "erode",
    "feather",
    "brow_lift",
    "colorspace",
    "ocio",
    "frame_first",
    "frame_last",
    "cache_root",
    "matte_to_alpha",
)


def _nk_string(value: object) -> str:
    """A value as .nk text: bare when safe, otherwise double-quoted with escapes."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text and all(c.isalnum() or c in "._-" for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("[", "\\[").replace("\n", "\\n")
    return '"' + escaped + '"'


def _user_knob(knob: Knob) -> str:
    parts = [str(KNOB_TYPE_IDS[knob.kind]), knob.name, "l", _nk_string(knob.label)]
    if knob.kind == "Enumeration_Knob":
        parts.append("M {" + " ".join(_nk_string(v) for v in knob.values) + "}")
    if knob.kind in ("PyScript_Knob", "Text_Knob"):
        parts.append("T " + _nk_string(knob.default))
    if "invisible" in knob.flags:
        parts.append("+INVISIBLE")
    return " addUserKnob {" + " ".join(parts) + "}"


def _knob_value(knob: Knob) -> Optional[str]:
    if knob.kind in ("Tab_Knob", "PyScript_Knob", "Text_Knob") or knob.default in ("", None):
        return None
    return " " + knob.name + " " + _nk_string(knob.default)


def gizmo_text(version: str = "13.0 v1") -> str:
    """The `.gizmo` text for this layout (plugins/nuke/gizmos/GhostSwap.gizmo is this, checked in)."""
    lines = ["version " + version, "Gizmo {", " inputs 2", " tile_color 0x7f3fbfff"]
    lines.append(" knobChanged " + _nk_string(KNOB_CHANGED))
    lines += [_user_knob(k) for k in KNOBS]
    lines += [v for v in (_knob_value(k) for k in KNOBS) if v]
    lines.append("}")
    body = [
        ("Input", [("inputs", "0"), ("name", INPUTS[1]), ("number", "1")]),
        ("Write", [("file", '""'), ("file_type", "exr"), ("channels", "rgb"), ("name", WRITE_SOURCE)]),
        ("Input", [("inputs", "0"), ("name", INPUTS[0]), ("number", "0")]),
        ("set", "Nplate [stack 0]"),
        (
            "Write",
            [
                ("file", '""'),
                ("file_type", "exr"),
                ("channels", "rgba"),
                ("datatype", '"16 bit half"'),
                ("colorspace", "scene_linear"),
                ("name", WRITE_PLATE),
            ],
        ),
        (
            "Read",
            [
                ("inputs", "0"),
                ("file", _nk_string(READ_TEMPLATE)),
                ("on_error", "black"),
                ("raw", "true"),
                ("name", READ_CACHE),
            ],
        ),
        (
            "Shuffle",
            [
                ("in", "rgba"),
                ("in2", "ghost"),
                ("alpha", "red2"),
                ("name", SHUFFLE_MATTE),
            ],
        ),
        ("push", "$Nplate"),
        ("Switch", [("inputs", "2"), ("which", "0"), ("name", SWITCH_BAKED)]),
        ("Output", [("name", OUTPUT)]),
    ]
    for cls, knobs in body:
        if isinstance(knobs, str):
            lines.append(cls + " " + knobs)
            continue
        lines.append(" " + cls + " {")
        lines += ["  " + key + " " + value for key, value in knobs]
        lines.append(" }")
    lines.append("end_group")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate the shipped gizmo: python -m ghostswap_nuke.spec > GhostSwap.gizmo
    import sys

    sys.stdout.write(gizmo_text())
