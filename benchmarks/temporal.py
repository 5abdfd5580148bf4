"""Every Done-when figure of stable output (issue #14, item 4), on material the filter was not tuned on.

    python benchmarks/temporal.py [--clip FILE] [--start N] [--hold N] [--frames N] [--ghost] [--json F]

The plate is N frames of a clip from ../shared/assets/video (default dance.mp4 frames 4-26; the
filter's knobs and the detail match's band sigmas were tuned on frames 36-58) made scene-linear
(ACEScg half EXR) with one frame repeated exactly (a held frame, as frame-rate conversion makes
them). It is tracked once and rendered by the real engine (`ghostswap render`, offline detector,
face mesh and `morph` swapper, source ../shared/assets/faces/elon_musk.jpg), in these variants:
  - old:            GHOST's key-point smoothing (a held frame is averaged with different
                    neighbours), no holds, no filter, no detail match: the behaviour before issue 14;
  - no detail:      holds (smoothing and swaps keep held frames), filter off, `--detail-match 0`:
                    the defaults before the detail match;
  - filter:         that plus the temporal filter (`--temporal-strength 1`, window 2);
  - filter w4:      the same with window 4;
  - detail only:    holds and the detail match, filter off (`--temporal-strength 0`): the
                    defaults before the filter was turned on for morph;
  - default:        the engine's defaults (for morph: holds, detail match, filter at window 2);
  - detail+filt w4: the defaults with window 4.
With `--ghost` it also renders the `ghost` swapper with deterministic random weights (the real
ones are never downloaded here) with the detail match at its default (off for ghost) and at 1: the
only GHOST-path check possible offline, so read it as "what the match does to a generator's
output", not as GHOST's own figures.
On the sRGB view of plate and output it reports:
  - kps jitter: mean |second difference| of the 5 key points RetinaFace finds on each output
    frame, over the same on the plate (1.0: the swapped face moves exactly as steadily as the plate);
  - flicker: motion-compensated residual inside the face (matte >= 0.99): optical flow of the
    plate (Farneback) warps frame t-1 onto t, for the plate and for the output alike; the ratio
    is the output's residual over the plate's (1.0: the swap adds no frame-to-frame change;
    target <= 1.1). The held pair is left out (the plate's residual there is 0);
  - sharpness: mean gradient magnitude inside the face, output over plate (a filter that blurs
    or smears lowers it; the swapped face is more detailed than the plate's, so a perfectly
    stable swap still leaves a flicker residual where the flow is off);
  - repeat: max |output change| inside the matte between the held frame and its twin (target 0);
  - near: mean change between the two most similar distinct frames (output, plate), for scale.
Then the rows of benchmarks/temporal_tracks.py: tracks before and actors after identity linking
across a spliced cut (target one actor), and frames lost to detection gaps before and after
bridging (target 0 for gaps of up to 3 frames).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from temporal_tracks import cut_linking_rows, gap_rows  # noqa: E402  (benchmarks/temporal_tracks.py)

from ghost_core.cli import main as ghostswap  # noqa: E402
from ghost_core.color import ColorPath, load_config, model_colorspace  # noqa: E402
from ghost_core.evaluation.clips import read_clip  # noqa: E402
from ghost_core.io.exr import read_frame  # noqa: E402

ASSETS = REPO.parent / "shared" / "assets"
CLIP = ASSETS / "video" / "dance.mp4"
SOURCE = ASSETS / "faces" / "elon_musk.jpg"
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]
FIRST = 1001
SKIN = 0.99  # matte value from which a pixel is inside the face


def _view() -> ColorPath:
    config = load_config("ocio://studio-config-latest")
    return ColorPath(config, "ACEScg", model_colorspace(config).name)


def _write_exr(path: Path, linear: np.ndarray) -> None:
    data = np.dstack([linear, np.ones(linear.shape[:2], np.float32)]).astype(np.float16)
    spec = oiio.ImageSpec(data.shape[1], data.shape[0], 4, oiio.HALF)
    spec.attribute("oiio:ColorSpace", "ACEScg")
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    out.write_image(data)
    out.close()


def make_plate(
    folder: Path, start: int, count: int, hold: int, view: ColorPath, clip: Path = CLIP
) -> tuple[str, int]:
    """`count` frames of `clip` from `start`, clip frame `hold` shown twice; (pattern, twin)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = read_clip(clip, start=start, limit=count - 1).images
    if len(frames) < 4 or not start < hold < start + len(frames):
        raise SystemExit(f"{clip}: need 4+ frames from {start} with the held frame {hold} inside")
    held = hold - start
    for i, rgb in enumerate(frames):
        _write_exr(
            folder / f"plate.{FIRST + i + (i > held):04d}.exr", view.from_model(np.ascontiguousarray(rgb))
        )
    twin = FIRST + held + 1
    shutil.copyfile(folder / f"plate.{twin - 1:04d}.exr", folder / f"plate.{twin:04d}.exr")
    return str(folder / "plate.####.exr"), twin


def _run(*argv: str) -> None:
    code = ghostswap(["-q", *argv])
    if code != 0:
        raise SystemExit(f"ghostswap {argv[0]} failed ({code})")


def ghost_smoothing(track: Path, out: Path) -> None:
    """The track file with GHOST's plain smoothing (no holds): the old behaviour, for 'before'."""
    from ghost_core.faces.smoothing import smooth_keypoints
    from ghost_core.faces.trackfile import load_trackfile, save_trackfile

    tf = load_trackfile(str(track))
    for t in tf.tracks:
        position = {f: i for i, f in enumerate(tf.frames)}
        series: list[np.ndarray | None] = [None] * len(tf.frames)
        for f, k in zip(t.frames, t.kps, strict=True):
            series[position[f]] = k
        smoothed, _ = smooth_keypoints(series, holds=False)
        t.smoothed_kps = np.stack([smoothed[position[f]] for f in t.frames])
    save_trackfile(str(out), tf)


def _load(pattern: str, frames: list[int], view: ColorPath) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rgb, mattes = [], []
    for f in frames:
        frame = read_frame(Path(pattern.replace("####", f"{f:04d}")))
        rgb.append(np.clip(view.to_model(np.ascontiguousarray(frame.rgba()[..., :3])), 0, 1))
        names = frame.channel_names
        mattes.append(frame.plane("ghost.matte").astype(np.float32) if "ghost.matte" in names else None)
    return rgb, mattes


def _kps_series(images: list[np.ndarray], detector: Any) -> np.ndarray:
    out = []
    for image in images:
        faces = detector.detect(image)
        best = max(faces, key=lambda d: d.score) if faces else None
        out.append(best.kps if best is not None else np.full((5, 2), np.nan))
    return np.asarray(out, np.float64)


def _jitter(kps: np.ndarray) -> float:
    second = kps[2:] - 2 * kps[1:-1] + kps[:-2]
    return float(np.nanmean(np.linalg.norm(second, axis=-1)))


def _flow_back(now: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Remap grids that carry frame t-1 onto frame t along the plate's own optical flow."""
    a = cv2.cvtColor((now * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    b = cv2.cvtColor((before * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    flow = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)
    h, w = a.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return gx + flow[..., 0], gy + flow[..., 1]


def _texture(image: np.ndarray) -> np.ndarray:
    """Per-pixel gradient magnitude (Sobel, mean over RGB): what a flow error turns into residual."""
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3) / 8
    return np.sqrt(gx * gx + gy * gy).mean(axis=2)


def measure(plate: list[np.ndarray], out: list[np.ndarray], mattes: list[Any], twin: int, detector: Any):
    """Figures of one rendered variant (frames in order, `twin` the index of the held frame)."""
    residual_plate = residual_out = texture_plate = texture_out = 0.0
    for t in range(1, len(plate)):
        if t == twin or mattes[t] is None or mattes[t - 1] is None:
            continue
        face = mattes[t] >= SKIN
        mx, my = _flow_back(plate[t], plate[t - 1])
        before_plate = cv2.remap(plate[t - 1], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        before_out = cv2.remap(out[t - 1], mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        residual_plate += float(np.abs(plate[t] - before_plate)[face].mean())
        residual_out += float(np.abs(out[t] - before_out)[face].mean())
        texture_plate += float(_texture(plate[t])[face].mean())
        texture_out += float(_texture(out[t])[face].mean())
    inside = (mattes[twin] > 0) | (mattes[twin - 1] > 0)
    steps = [
        float(np.abs(plate[t] - plate[t - 1]).mean()) if t != twin else np.inf for t in range(1, len(plate))
    ]
    near = 1 + int(np.argmin(steps))
    near_inside = (mattes[near] > 0) | (mattes[near - 1] > 0)
    return {
        "kps_jitter": _jitter(_kps_series(out, detector)) / _jitter(_kps_series(plate, detector)),
        "flicker": residual_out / residual_plate,
        "texture": texture_out / texture_plate,
        "flicker_texture": (residual_out / texture_out) / (residual_plate / texture_plate),
        "repeat": float(np.abs(out[twin] - out[twin - 1])[inside].max()),
        "repeat_plate": float(np.abs(plate[twin] - plate[twin - 1]).max()),
        "near": float(np.abs(out[near] - out[near - 1])[near_inside].mean()),
        "near_plate": float(np.abs(plate[near] - plate[near - 1])[near_inside].mean()),
    }


FILTER_W4 = ["--temporal-strength", "1", "--temporal-window", "4"]
VARIANTS = (
    ("old", "ghost", ["--temporal-strength", "0", "--temporal-hold", "0", "--detail-match", "0"]),
    ("no detail", "engine", ["--detail-match", "0", "--temporal-strength", "0"]),
    ("filter", "engine", ["--detail-match", "0", "--temporal-strength", "1"]),
    ("filter w4", "engine", ["--detail-match", "0", *FILTER_W4]),
    ("detail only", "engine", ["--temporal-strength", "0"]),
    ("default", "engine", []),
    ("detail+filt w4", "engine", FILTER_W4),
)
GHOST = ["--swapper", "ghost", "--model", "ghost_unet_1block", *OFFLINE[2:]]
GHOST_VARIANTS = (
    ("ghost default", "engine", []),
    ("ghost detail 1", "engine", ["--detail-match", "1"]),
)


def stability_rows(
    work: Path, start: int, count: int, hold: int, clip: Path = CLIP, ghost: bool = False
) -> list[dict[str, Any]]:
    from ghost_core.faces.detectors import open_detector

    view = _view()
    pattern, twin = make_plate(work / "plate", start, count, hold, view, clip)
    frames = list(range(FIRST, FIRST + count))
    tracks = {"engine": work / "engine.track.json", "ghost": work / "ghost.track.json"}
    _run("track", "--plate", pattern, "--source", str(SOURCE), "--out", str(tracks["engine"]), *OFFLINE)
    ghost_smoothing(tracks["engine"], tracks["ghost"])
    plate, _ = _load(pattern, frames, view)
    detector = open_detector("retinaface")
    rows = []
    variants = [(label, track, [*OFFLINE, *extra]) for label, track, extra in VARIANTS]
    if ghost:
        from quality import _random_ghost_home  # benchmarks/quality.py: random weights, installed

        _random_ghost_home(work / "ghost")
        variants += [(label, track, [*GHOST, *extra]) for label, track, extra in GHOST_VARIANTS]
    for label, track, extra in variants:
        out = str(work / label.replace(" ", "_").replace("+", "_") / "swap.####.exr")
        _run("render", "--plate", pattern, "--source", str(SOURCE), "--track", str(tracks[track]),
             "--out", out, *extra)  # fmt: skip
        images, mattes = _load(out, frames, view)
        rows.append({"variant": label, **measure(plate, images, mattes, twin - FIRST, detector)})
    return rows


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    for row in rows:
        print(
            "  " + "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=CLIP, help="clip to make the plate of (video or webp)")
    parser.add_argument("--start", type=int, default=4, help="first clip frame (4: not the tuning stretch)")
    parser.add_argument("--hold", type=int, default=10, help="clip frame shown twice (10: mid slow move)")
    parser.add_argument("--frames", type=int, default=24, help="plate length (one of them is the held frame)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--ghost", action="store_true", help="also render the ghost swapper (random weights)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ghostswap-temporal-") as tmp:
        rows = stability_rows(Path(tmp), args.start, args.frames, args.hold, args.clip, args.ghost)
    print(f"stability ({args.clip.name} frames {args.start}+, {args.frames} frames, {args.hold} held; morph"
          + (", ghost with random weights)" if args.ghost else ")"))
    heads = (
        ("kps jitter", 11),
        ("flicker", 8),
        ("sharpness", 10),
        ("repeat max", 11),
        ("(plate)", 8),
        ("near mean", 10),
        ("(plate)", 8),
    )
    print(f"{'variant':<15} " + " ".join(f"{h:>{w}}" for h, w in heads))
    for r in rows:
        print(
            f"{r['variant']:<15} {r['kps_jitter']:11.3f} {r['flicker']:8.3f} {r['texture']:10.3f} "
            f"{r['repeat']:11.5f} {r['repeat_plate']:8.5f} {r['near']:10.5f} {r['near_plate']:8.5f}"
        )
    sections = {"cut_linking_rows": cut_linking_rows(), "gap_rows": gap_rows()}
    _print_rows("cuts and linking (benchmarks/temporal_tracks.py)", sections["cut_linking_rows"])
    _print_rows("detection gaps (benchmarks/temporal_tracks.py)", sections["gap_rows"])
    if args.json:
        Path(args.json).write_text(json.dumps({"stability": rows, **sections}, indent=2, default=str))


if __name__ == "__main__":
    main()
