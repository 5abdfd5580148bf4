"""The GhostSwap node's layout in one table: knobs, inputs and internal nodes.

Both the Group that `create_node()` builds and the shipped `GhostSwap.gizmo` text come from
this table, so the Python that reads knobs and the gizmo can never disagree (a test compares the
checked-in gizmo with `gizmo_text()` and lints it). Pure Python: no `nuke` import.

The engine's own knobs (swapper, model, matte erode ...) are not written here: they come from the
vendored knob table `knobs.json` (`ghost_core.knobs`, copied by scripts/vendor_hostkit.py), with
their label, default, range and help. Only Nuke's own knobs (inputs, target choice, colour, cache,
buttons) are declared below.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ghostswap_nuke import ghostswap_hostkit as hostkit

NODE_CLASS = "GhostSwap"
# input 0, 1, 2: source is optional when photos are given; holdout (a roto in alpha) is optional
INPUTS = ("plate", "source", "holdout")
SOURCE_PHOTO_KNOBS = ("source_photo1", "source_photo2", "source_photo3")
TARGET_MODES = ("only face", "by track id", "all faces", "reference photo")
COLORSPACES = ("scene_linear", "ACEScg", "lin_rec709", "Linear Rec.709 (sRGB)", "ACES2065-1")
DATATYPES = ("16 bit half", "32 bit float")
MATTE_LAYER = "ghost.matte"
NOT_BAKED = "GhostSwap: not baked"

# Internal node names the Python looks up.
WRITE_PLATE = "Write_plate"
WRITE_SOURCE = "Write_source"
WRITE_HOLDOUT = "Write_holdout"
READ_CACHE = "Read_cache"
SHUFFLE_MATTE = "Shuffle_matte"
SWITCH_BAKED = "Switch_baked"
OUTPUT = "Output1"
# The Read follows this hidden knob until a bake sets its file; the template every host shares.
READ_TEMPLATE = "[value parent.ghost_output]"
CACHE_TEMPLATE = "{cache_root}/{node}/{params_hash}/swap.####.exr"
PLATE_TEMPLATE = "{cache_root}/{node}/plate/plate.####.exr"
SOURCE_TEMPLATE = "{cache_root}/{node}/source/source.exr"
HOLDOUT_TEMPLATE = "{cache_root}/{node}/holdout/holdout.####.exr"

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
    minimum: Optional[float] = None  # slider range (both ends, or none)
    maximum: Optional[float] = None


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

# Nuke's knob class for each kind of engine knob (ghostswap_hostkit.HOST_KINDS).
KNOB_CLASSES = {
    "str": "String_Knob",
    "path": "File_Knob",
    "int": "Int_Knob",
    "float": "Double_Knob",
    "bool": "Boolean_Knob",
    "choice": "Enumeration_Knob",
}

KNOBS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), hostkit.KNOBS_FILE)
KNOB_TABLE = hostkit.load_knobs(KNOBS_PATH)

# Nuke's own knobs before the engine knobs ...
HEAD_KNOBS: List[Knob] = [
    Knob("Tab_Knob", "ghostswap_tab", "GhostSwap"),
    Knob("Text_Knob", "status", "status", NOT_BAKED),
    Knob("File_Knob", "source_photo1", "source photo", "", tooltip="photo of the new face (overrides input)"),
    Knob("File_Knob", "source_photo2", "source photo 2", ""),
    Knob("File_Knob", "source_photo3", "source photo 3", ""),
    Knob("Enumeration_Knob", "target_mode", "replace", "only face", TARGET_MODES),
    Knob("String_Knob", "track_ids", "track ids", "", tooltip="space separated, from `ghostswap track`"),
    Knob("File_Knob", "target_photo", "reference photo", "", tooltip="photo of the face to replace"),
]
# ... and after them.
TAIL_KNOBS: List[Knob] = [
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
# Nuke's own knobs that decide the pixels (the engine's come from the table).
HAND_PIXEL_KNOBS = (
    *SOURCE_PHOTO_KNOBS,
    "target_mode",
    "track_ids",
    "target_photo",
    "colorspace",
    "ocio",
    "frame_first",
    "frame_last",
    "cache_root",
    "matte_to_alpha",
)
# Knobs of Nuke's own the engine table must not reuse.
RESERVED_NAMES = ("name", "label", "help", "disable", "knobChanged", "onCreate", "tile_color")


def override_knob(section: str) -> str:
    """The toggle in front of a section's nullable knobs: "matte_override" for the matte."""
    return section + "_override"


def engine_knobs(table: Mapping[str, Any]) -> List[Knob]:
    """The Nuke knobs of the table's host knobs, each section's override toggle first."""
    knobs: List[Knob] = []
    for row in hostkit.host_knobs(table):
        section = hostkit.section(row)
        if hostkit.is_override(row) and override_knob(section) not in [k.name for k in knobs]:
            tip = "off: the engine chooses the " + section + " per track; on: the values below"
            knobs.append(
                Knob("Boolean_Knob", override_knob(section), "override " + section, False, tooltip=tip)
            )
        both = row["minimum"] is not None and row["maximum"] is not None
        knobs.append(
            Knob(
                KNOB_CLASSES[row["kind"]],
                row["name"],
                row["label"],
                hostkit.shown_default(row),
                tuple(row["choices"]) if row["kind"] == "choice" else (),
                tooltip=row["help"],
                minimum=row["minimum"] if both else None,
                maximum=row["maximum"] if both else None,
            )
        )
    return knobs


def build_knobs(table: Mapping[str, Any]) -> List[Knob]:
    """Every knob of the node, in panel order, for a knob table."""
    knobs = [*HEAD_KNOBS, *engine_knobs(table), *TAIL_KNOBS]
    names = [k.name for k in knobs]
    clash = sorted({n for n in names if names.count(n) > 1 or n in RESERVED_NAMES})
    if clash:
        raise hostkit.GhostSwapError("engine knobs clash with the Nuke node's own knobs: " + ", ".join(clash))
    return knobs


def pixel_knobs(table: Mapping[str, Any]) -> Tuple[str, ...]:
    """Knobs whose change may point at another cache folder (knobChanged re-checks on these)."""
    rows = hostkit.host_knobs(table)
    toggles = [override_knob(hostkit.section(r)) for r in rows if hostkit.is_override(r)]
    engine = [r["name"] for r in rows if r["pixels"]]
    return (*HAND_PIXEL_KNOBS, *sorted(set(toggles)), *engine)


ENGINE_KNOBS: List[Dict[str, Any]] = hostkit.host_knobs(KNOB_TABLE)  # the rows jobfile writes to the job
KNOBS: List[Knob] = build_knobs(KNOB_TABLE)
KNOB_NAMES = tuple(k.name for k in KNOBS)
PIXEL_KNOBS = pixel_knobs(KNOB_TABLE)


def _nk_string(value: object) -> str:
    """A value as .nk text: bare when safe, otherwise double-quoted with escapes."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text and all(c.isalnum() or c in "._-" for c in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("[", "\\[").replace("\n", "\\n")
    escaped = escaped.replace("$", "\\$")  # Tcl would substitute $VAR inside the quotes
    return '"' + escaped + '"'


def _nk_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _user_knob(knob: Knob) -> str:
    parts = [str(KNOB_TYPE_IDS[knob.kind]), knob.name, "l", _nk_string(knob.label)]
    if knob.tooltip:
        parts.append("t " + _nk_string(knob.tooltip))
    if knob.kind == "Enumeration_Knob":
        parts.append("M {" + " ".join(_nk_string(v) for v in knob.values) + "}")
    if knob.kind in ("PyScript_Knob", "Text_Knob"):
        parts.append("T " + _nk_string(knob.default))
    if knob.minimum is not None and knob.maximum is not None:
        parts.append("R " + _nk_number(knob.minimum) + " " + _nk_number(knob.maximum))
    if "invisible" in knob.flags:
        parts.append("+INVISIBLE")
    return " addUserKnob {" + " ".join(parts) + "}"


def _knob_value(knob: Knob) -> Optional[str]:
    if knob.kind in ("Tab_Knob", "PyScript_Knob", "Text_Knob") or knob.default in ("", None):
        return None
    return " " + knob.name + " " + _nk_string(knob.default)


def gizmo_text(version: str = "13.0 v1", knobs: Optional[List[Knob]] = None) -> str:
    """The `.gizmo` text for this layout (plugins/nuke/gizmos/GhostSwap.gizmo is this, checked in).

    `knobs` defaults to KNOBS; scripts/vendor_hostkit.py passes `build_knobs(table)`.
    """
    knobs = KNOBS if knobs is None else knobs
    lines = ["version " + version, "Gizmo {", " inputs 3", " tile_color 0x7f3fbfff"]
    lines.append(" knobChanged " + _nk_string(KNOB_CHANGED))
    lines += [_user_knob(k) for k in knobs]
    lines += [v for v in (_knob_value(k) for k in knobs) if v]
    lines.append("}")
    body = [
        ("Input", [("inputs", "0"), ("name", INPUTS[2]), ("number", "2")]),
        ("Write", [("file", '""'), ("file_type", "exr"), ("channels", "rgba"), ("name", WRITE_HOLDOUT)]),
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
