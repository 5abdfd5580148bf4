"""The one table of shot knobs: every setting of `track`/`render` is declared here, once.

Each `ShotSettings` field carries a `Knob` in its dataclass metadata: CLI flag, job-file path,
help, type and range, and at which stage it changes pixels. The CLI options (`cli/shot.py`), the
job schema and its messages (`jobs/schema.py`), the cache-key and track-hash field lists
(`jobs/cache.py`), the render digest (`engine/render.py`), the docs table in docs/jobs.md and the
hosts' knob file (`ghostswap knobs --json`, vendored into each adapter) are all derived from it.
Adding a knob means adding one field here and using it where it acts.

Besides the standard library it imports only the registries of swappers, detectors and
landmarkers (their choices and help; strings, no model code), so every layer above those
(CLI, jobs, engine, service, executors) may depend on it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ghost_core.faces import LANDMARKERS
from ghost_core.faces.detectors import DETECTORS
from ghost_core.swappers import SWAPPERS as SWAPPER_REGISTRY
from ghost_core.swappers import several_photos_help

KNOBS_SCHEMA = "ghostswap.knobs"
KNOBS_VERSION = 1
# The job file's schema name and version (jobs/schema.py); here so the knob table can name them.
JOB_SCHEMA = "ghostswap.job"
JOB_VERSION = 1

# What a knob holds; the job schema and the CLI parse each kind the same way.
Kind = Literal["str", "path", "int", "float", "bool", "choice", "frames", "paths", "ints", "photo_groups"]
# Where a knob acts:
#   "track"  - decides the shot analysis: in the track-file hash, and recorded in the track file
#              (photos by sha256), so the render digest covers it through the track's own digest
#   "both"   - decides the analysis and the render (track hash and render digest)
#   "render" - render only (render digest, not the track hash: changing it never re-tracks)
#   None     - where or how the work runs, not what a finished frame looks like
Stage = Literal["track", "both", "render"] | None

SWAPPERS = SWAPPER_REGISTRY.names()
BACKENDS = ("auto", "onnxruntime", "torch")
PRECISIONS = ("fp32", "bf16")  # the generator's; "fp32" keeps the runtime's choice (fp16 on a GPU)


@dataclass(frozen=True)
class Knob:
    """How one `ShotSettings` field shows up in each layer."""

    job: str  # path in the job file: "plate" (top level) or "matte.erode" (section.key)
    kind: Kind
    help: str
    cli: str | None = None  # long option of `track`/`render`; None: job file (or a special option)
    metavar: str | None = None
    stage: Stage = None
    nullable: bool = False  # null / not given means "the engine chooses" (e.g. GHOST's per-track mask)
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # hard limits: the CLI and the job schema refuse values outside
    maximum: float | None = None
    soft_range: tuple[float, float] | None = None  # slider range a host shows (values outside still work)
    commands: tuple[str, ...] = ("track", "render")  # which commands take the CLI option
    host: bool = False  # offered as a control in the host adapters
    label: str = ""  # short UI label for hosts (default: the field name with spaces)
    host_default: Any = None  # what a host shows when it overrides a nullable knob

    @property
    def section(self) -> str:
        return self.job.rpartition(".")[0]

    @property
    def key(self) -> str:
        return self.job.rpartition(".")[2]

    @property
    def pixels(self) -> bool:
        """True when the knob changes a finished frame's pixels (it is in the cache key)."""
        return self.stage is not None


def knob(default: Any = dataclasses.MISSING, **spec: Any) -> Any:
    """A dataclass field whose metadata is its `Knob` (mutable defaults become factories)."""
    meta = {"knob": Knob(**spec)}
    if isinstance(default, list):
        return field(default_factory=list, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ShotSettings:
    """Inputs, target selection, swapper and matte controls of one shot.

    `sources` holds one group of photos per person; `targets` are reference photos of the faces
    to replace, paired with `sources` by position; `track_ids` pick tracks directly;
    `all_tracks` gives every track the first source.
    """

    plate: str = knob(
        job="plate", kind="path", cli="--plate", metavar="PATTERN", stage="track",
        help="plate EXRs: shot.####.exr (or one file)",
    )
    sources: list[list[str]] = knob(
        job="sources", kind="photo_groups", cli="--source", metavar="IMG", stage="track",
        help="photo(s) of one new face; repeat --source for more people. With several photos of one "
        f"person, {several_photos_help()}",
    )
    out: str | None = knob(
        None, job="output", kind="path", metavar="PATTERN", nullable=True,
        help="output EXRs: swap.####.exr (or give the job a cache folder)",
    )
    frames: str | None = knob(
        None, job="frames", kind="frames", cli="--frames", metavar="SPEC", nullable=True,
        help="1001-1100, 1001-1100x2, 1001,1005 (default: all)",
    )
    track: str | None = knob(
        None, job="track_file", kind="path", metavar="TRACKFILE", nullable=True,
        help="track file from `ghostswap track` (default: beside the output)",
    )
    targets: list[str] = knob(
        [], job="targets.reference_photos", kind="paths", cli="--target", metavar="REF_IMG",
        stage="track", help="photo of the face to replace (repeat, one per --source)",
    )
    track_ids: list[int] = knob(
        [], job="targets.track_ids", kind="ints", cli="--track-id", metavar="N", stage="track",
        help="track id from `ghostswap track` (repeat, one per --source)",
    )
    all_tracks: bool = knob(
        False, job="targets.all", kind="bool", cli="--all", stage="track",
        help="replace every face with the first source",
    )
    swapper: str = knob(
        "auto", job="swapper.name", kind="choice", cli="--swapper", stage="both", choices=SWAPPERS,
        host=True, help=SWAPPER_REGISTRY.help_text("auto"),
    )
    model: str | None = knob(
        None, job="swapper.model", kind="str", cli="--model", metavar="NAME", stage="both",
        nullable=True, host=True, help="generator from `ghostswap models list`",
    )
    enhance: bool = knob(
        False, job="swapper.enhance", kind="bool", cli="--enhance", stage="both", host=True,
        help="run GHOST's face enhancer after the swap",
    )
    boost: str = knob(
        "off", job="swapper.boost", kind="choice", cli="--boost", stage="render", choices=("off", "tiles"),
        commands=("render",),
        help="pixel boost for faces larger than the generator's 256 px: `tiles` swaps 2x2 sub-pixel "
        "phases of a 512 crop and interleaves them (ghost only; morph ignores it; needs --temporal-hold 0 "
        "and no temporal filter); combine with --enhance",
    )
    detector: str = knob(
        "auto", job="analysis.detector", kind="str", cli="--detector", stage="track",
        help=DETECTORS.help_text("auto"),
    )
    landmarker: str = knob(
        "auto", job="analysis.landmarker", kind="choice", cli="--landmarker", stage="track",
        choices=LANDMARKERS.names(), help=LANDMARKERS.help_text("auto"),
    )
    bridge_gap: int = knob(
        3, job="analysis.bridge_gap", kind="int", cli="--bridge-gap", metavar="FRAMES", stage="track",
        minimum=0, maximum=12,
        help="fill detection drop-outs of up to this many frames inside a track by interpolation (0 off)",
    )
    colorspace: str | None = knob(
        None, job="color.colorspace", kind="str", cli="--colorspace", metavar="NAME", stage="both",
        nullable=True, help="plate colour space (default: metadata, then the scene_linear role)",
    )
    ocio: str | None = knob(
        None, job="color.ocio", kind="path", cli="--ocio", metavar="CONFIG", stage="both",
        nullable=True, help="OCIO config (default: $OCIO, then built-in)",
    )
    color_match: float = knob(
        1.0, job="color.match", kind="float", cli="--color-match", metavar="AMOUNT", stage="render",
        minimum=0.0, maximum=1.0, host=True, label="colour match",
        help="match the swapped skin's colour to the plate face it replaces (0 off, 1 full)",
    )
    color_mode: str = knob(
        "global", job="color.mode", kind="choice", cli="--color-mode", stage="render",
        choices=("global", "local"), commands=("render",),
        help="colour match: `global` matches the skin's mean and spread, `local` its low-frequency field "
        "(follows the shot's light across the face to the matte's edge); see docs/matte.md",
    )
    detail_match: float | None = knob(
        None, job="detail.match", kind="float", cli="--detail-match", metavar="AMOUNT", stage="render",
        nullable=True, minimum=0.0, maximum=1.0,
        help="bring the swapped face's fine-detail bands to the plate face's energy on the skin, so a "
        "too-sharp swap is softened to the plate (0 off, 1 full; default: 1 for the morph swapper, 0 for "
        "ghost; docs/temporal.md)",
    )
    detail_max_gain: float = knob(
        1.0, job="detail.max_gain", kind="float", cli="--detail-max-gain", metavar="GAIN", stage="render",
        minimum=1.0, maximum=4.0,
        help="detail match: how far a band softer than the plate's may be raised (1: only attenuate, "
        "never add detail or noise)",
    )
    warn_yaw: float = knob(
        45.0, job="pose.warn_yaw", kind="float", cli="--warn-yaw", metavar="DEG", stage="render",
        minimum=0.0, maximum=90.0, host=True, label="warn yaw",
        help="swap faces turned further than this (degrees, from the key points) but name their frames",
    )
    max_yaw: float = knob(
        65.0, job="pose.max_yaw", kind="float", cli="--max-yaw", metavar="DEG", stage="render",
        minimum=0.0, maximum=90.0, host=True, label="max yaw",
        help="skip faces turned further than this (empty matte, reported as skipped); 90 never skips",
    )
    erode: int | None = knob(
        None, job="matte.erode", kind="int", cli="--erode", metavar="PX", stage="render",
        nullable=True, minimum=-64, maximum=64, soft_range=(-32, 32), host=True, label="matte erode",
        host_default=0,
        help="erode (negative: dilate) the matte, in crop pixels (default: GHOST's per track)",
    )
    feather: float | None = knob(
        None, job="matte.feather", kind="float", cli="--feather", metavar="SCALE", stage="render",
        nullable=True, minimum=0.0, maximum=16.0, soft_range=(0.0, 4.0), host=True,
        label="matte feather",
        host_default=1.0,
        help="multiply GHOST's matte blur sigmas (default: GHOST's per track)",
    )
    brow_lift: float | None = knob(
        None, job="matte.brow_lift", kind="float", cli="--brow-lift", metavar="FACTOR",
        stage="render", nullable=True, minimum=0.0, maximum=16.0, soft_range=(0.0, 3.0), host=True,
        label="brow lift",
        host_default=1.0, help="eyebrow expansion factor of the matte hull (default: GHOST's)",
    )
    temporal_strength: float | None = knob(
        None, job="temporal.strength", kind="float", cli="--temporal-strength", metavar="AMOUNT",
        stage="render", nullable=True, minimum=0.0, maximum=1.0,
        help="temporal filter: weight of earlier frames where the plate is still (0 off; default: 1 for "
        "the morph swapper, 0 for ghost; docs/temporal.md)",
    )
    temporal_window: int = knob(
        2, job="temporal.window", kind="int", cli="--temporal-window", metavar="N", stage="render",
        minimum=0, maximum=8,
        help="earlier frames the filter averages with (a chunk reads as many before it)",
    )
    temporal_motion: float = knob(
        0.02, job="temporal.motion", kind="float", cli="--temporal-motion", metavar="CHANGE",
        stage="render", minimum=0.0, soft_range=(0.005, 0.1),
        help="plate change (RMS, 0..1 model space) at which the filter lets go of a pixel",
    )
    temporal_hold: float = knob(
        0.002, job="temporal.hold", kind="float", cli="--temporal-hold", metavar="CHANGE",
        stage="render", minimum=0.0, maximum=0.05,
        help="mean plate change up to which a frame repeats the previous one and reuses its swap (0 off)",
    )
    matte_name: str = knob(
        "ghost.matte", job="matte.layer", kind="str", cli="--matte-name", metavar="LAYER",
        stage="render", commands=("render",), help="EXR channel of the feathered matte",
    )
    occlusion: str = knob(
        "off", job="matte.occlusion", kind="choice", cli="--occlusion", stage="render",
        choices=("off", "auto"), host=True, label="occlusion",
        help="keep occluders (hands, microphones, glasses) out of the matte: auto estimates them from "
        "the shot itself (no download), off uses the landmark hull only",
    )
    keep_expression: str = knob(
        "auto", job="matte.keep_expression", kind="choice", cli="--keep-expression", stage="render",
        choices=("auto", "on", "lips", "off"), commands=("render",), host=True, label="keep expression",
        help="keep the plate's own eye openings and inner mouth (teeth, tongue) out of the matte, so the "
        "target's expression survives: auto is on for the morph swapper, off for ghost; lips keeps the "
        "plate's whole lips too (its lip performance, at some of the source's likeness)",
    )
    layers: str = knob(
        "", job="matte.layers", kind="str", cli="--layers", metavar="LIST", stage="render",
        commands=("render",), host=True, label="matte layers",
        help="extra matte layers to write: comma list of occlusion, skin, brows, eyes, nose, mouth, "
        "expression or all; NAME=CHANNEL renames one (default: none, only the final matte)",
    )
    layer_prefix: str = knob(
        "ghost.", job="matte.layer_prefix", kind="str", cli="--layer-prefix", metavar="PREFIX",
        stage="render", commands=("render",), help="channel prefix of the --layers mattes",
    )
    holdout: str | None = knob(
        None, job="matte.holdout", kind="str", cli="--holdout", metavar="PATTERN|CHANNEL", stage="render",
        nullable=True, commands=("render",), host=True, label="holdout",
        help="matte subtracted from the final matte: an EXR sequence (holdout.####.exr, its A channel) "
        "or a channel of the plate (e.g. roto.A)",
    )
    batch: int = knob(
        8, job="runtime.batch", kind="int", cli="--batch", metavar="N", minimum=1,
        commands=("render",), help="frames per swapper call",
    )
    backend: str = knob(
        "auto", job="runtime.backend", kind="choice", cli="--backend", choices=BACKENDS,
        help="inference backend",
    )
    device: str = knob(
        "auto", job="runtime.device", kind="str", cli="--device", help="auto, cpu, cuda or cuda:N",
    )
    precision: str = knob(
        "fp32", job="runtime.precision", kind="choice", cli="--precision", stage="both",
        choices=PRECISIONS,
        help="generator arithmetic: fp32 (fp16 on a GPU, as GHOST) or bf16 (torch backend; faster on "
        "CPUs with AVX-512 BF16/AMX, about 50 dB PSNR from fp32; also used by track's mask settings)",
    )
    read_ahead: int = knob(
        1, job="runtime.read_ahead", kind="int", cli="--read-ahead", metavar="N", minimum=0, maximum=4,
        commands=("render",),
        help="batches of plates decoded ahead on a worker thread while the generator runs (0: read "
        "inline); same pixels either way, each adds one batch of plates to memory",
    )
    write_workers: int = knob(
        0, job="runtime.write_workers", kind="int", cli="--write-workers", metavar="N", minimum=0,
        maximum=16, commands=("render",),
        help="threads encoding output EXRs (0: one per core, at most 4); same files for any number",
    )
    overwrite: bool = knob(
        False, job="overwrite", kind="bool", cli="--overwrite", commands=("render",),
        help="re-render frames that are already complete",
    )


def out_of_range(knob: Knob, value: Any) -> str | None:
    """Why `value` is not allowed for `knob` (choices, hard limits), or None when it is."""
    if value is None:
        return None
    if knob.choices and value not in knob.choices:
        return f"must be one of {', '.join(knob.choices)}, not {value!r}"
    if knob.minimum is not None and value < knob.minimum:
        return f"must be at least {knob.minimum:g}, not {value!r}"
    if knob.maximum is not None and value > knob.maximum:
        return f"must be at most {knob.maximum:g}, not {value!r}"
    return None


def knob_fields() -> list[tuple[str, Knob]]:
    """(ShotSettings field name, Knob) in declaration order."""
    return [(f.name, f.metadata["knob"]) for f in dataclasses.fields(ShotSettings)]


def _field(name: str) -> dataclasses.Field[Any]:
    return next(f for f in dataclasses.fields(ShotSettings) if f.name == name)


def is_required(name: str) -> bool:
    """True for fields every shot must give (the plate and the source photos)."""
    f = _field(name)
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def field_default(name: str) -> Any:
    """The engine's default of a field (a fresh list for list fields; None when required)."""
    f = _field(name)
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def fields_at(*stages: str) -> tuple[str, ...]:
    """Field names whose knob acts at one of `stages` ("track", "both", "render")."""
    return tuple(name for name, k in knob_fields() if k.stage in stages)


# Field lists the caches and digests are keyed on: derived, never written by hand.
PIXEL_FIELDS = fields_at("track", "both", "render")  # the cache-folder hash
TRACK_FIELDS = fields_at("track", "both")  # the track-file hash (render-only knobs never re-track)
DIGEST_FIELDS = fields_at("both", "render")  # per-frame render digest, beside the track file's own


def knob_table() -> dict[str, Any]:
    """The versioned knob table hosts vendor (`ghostswap knobs --json`)."""
    rows = []
    for name, k in knob_fields():
        rows.append(
            {
                "name": name,
                "job": k.job,
                "cli": k.cli,
                "kind": k.kind,
                "default": field_default(name),
                "nullable": k.nullable,
                "choices": list(k.choices),
                "minimum": k.minimum,
                "maximum": k.maximum,
                "soft_range": list(k.soft_range) if k.soft_range else None,
                "stage": k.stage,
                "pixels": k.pixels,
                "host": k.host,
                "label": k.label or name.replace("_", " "),
                "host_default": k.host_default if k.host_default is not None else field_default(name),
                "help": k.help,
            }
        )
    return {
        "schema": KNOBS_SCHEMA,
        "version": KNOBS_VERSION,
        "job_schema": JOB_SCHEMA,
        "job_version": JOB_VERSION,
        "knobs": rows,
    }


_STAGE_WORDS = {"track": "re-tracks", "both": "re-tracks, re-renders", "render": "re-renders", None: "—"}


def knob_markdown() -> str:
    """The docs/jobs.md table of every knob (a test keeps the docs equal to this)."""
    lines = [
        "| job key | CLI | type | default | changing it | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, k in knob_fields():
        shown = "required" if is_required(name) else f"`{json.dumps(field_default(name))}`"
        kind = k.kind + (f" ({', '.join(k.choices)})" if k.choices else "")
        if k.minimum is not None or k.maximum is not None:
            low = "" if k.minimum is None else f"{k.minimum:g}"
            high = "" if k.maximum is None else f"{k.maximum:g}"
            kind += f" [{low}..{high}]"
        cli = f"`{k.cli}`" if k.cli else "—"
        lines.append(
            f"| `{k.job}` | {cli} | {kind} | {shown} | {_STAGE_WORDS[k.stage]} | {k.help} |"
        )
    return "\n".join(lines) + "\n"
