"""Swap quality as a compositor judges it, before/after side by side, on held-out material.

    python benchmarks/quality.py [--json out.json]

Colour: each plate (held-out photos and a frame of the dance clip from ../shared/assets, made
scene-linear ACEScg EXRs) is swapped by the real engine (`ghostswap render`, offline `morph`
swapper) with a colour source and a greyscale copy of it, once with `--color-match 0` (before),
once with `--color-mode global` and once with `--color-mode local` (both at match 1). On the sRGB
view of plate and output it reports:
  - dE_ring: CIEDE2000 between the mean colour of the swapped skin (matte >= 0.99) and the mean
    of the plate's surrounding skin ring (the matte's outer feather band, 0.02 < matte < 0.5,
    outside the face only, kept where the plate is skin-like: within dE 15 of the plate face's
    own mean);
  - dE_face: the same against the plate's own face under that skin (what was replaced);
  - dE_plate: the plate's own face against the same ring: how far a perfect swap's skin may sit
    from the ring on this plate (skin under the face's light is not the skin at its border);
  - sat: mean chroma C* of the swapped skin over the ring's (1.0 = same saturation);
  - neg: output pixels below zero inside the matte where the plate was not negative;
  - seam: per angular sector around the face, CIEDE2000 between the output's mean in a thin band
    just inside the matte's solid part and the plate's just outside the matte (plate skin only),
    averaged over sectors (ghost_core/evaluation/seam.py); seam_plate is the plate scored against
    itself, the floor (about 0, not exactly: the bands lie a feather's width apart);
  - identity: the review's identity scorer (ArcFace when installed, else offline dlib) of the
    swapped face to the source photo (plate_identity: the plate's own face to it).
Targets (issue #13): dE_ring <= 3, sat 0.9-1.1, neg 0.

The other sections (`--only occlusion | expression | sharpness | pose | silhouette`) say what they
measure where they print.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.cli import main as ghostswap  # noqa: E402
from ghost_core.color import ColorPath, load_config, model_colorspace  # noqa: E402
from ghost_core.evaluation.clips import read_clip  # noqa: E402
from ghost_core.evaluation.colour import chroma, ciede2000, srgb_to_lab  # noqa: E402
from ghost_core.evaluation.green_screen import green_screened, screen_pixels  # noqa: E402
from ghost_core.evaluation.seam import seam_de  # noqa: E402
from ghost_core.review.identity import IdentityCheck  # noqa: E402

ASSETS = REPO.parent / "shared" / "assets"
PLATES = ("faces/obama.jpg", "faces/biden.jpg", "video/dance.mp4#30")
SOURCE = "faces/beckham.jpg"
RING_MATTE = (0.02, 0.5)  # matte values of the ring: mostly plate, just outside the swapped skin
SKIN_DE = 15.0
# (column, --color-match, --color-mode): no match, the global mean/spread match, the local field match
COLOUR_PHASES = (("before", "0", "global"), ("global", "1", "global"), ("local", "1", "local"))


def _view() -> ColorPath:
    config = load_config("ocio://studio-config-latest")
    return ColorPath(config, "ACEScg", model_colorspace(config).name)


def _load_model_space(name: str) -> np.ndarray:
    path, _, frame = name.partition("#")
    if frame:
        cap = cv2.VideoCapture(str(ASSETS / path))
        for _ in range(int(frame) + 1):  # decode up to it: seeking is silently ignored on animated WebP
            ok, bgr = cap.read()
        cap.release()
        if not ok:
            raise SystemExit(f"cannot decode {path} frame {frame}")
    else:
        bgr = cv2.imread(str(ASSETS / path), cv2.IMREAD_COLOR)
    return bgr[..., ::-1].astype(np.float32) / 255.0


def _write_plate(path: Path, model_rgb: np.ndarray, view: ColorPath) -> None:
    linear = view.from_model(model_rgb)
    data = np.dstack([linear, np.ones(linear.shape[:2], np.float32)]).astype(np.float16)
    spec = oiio.ImageSpec(data.shape[1], data.shape[0], 4, oiio.HALF)
    spec.attribute("oiio:ColorSpace", "ACEScg")
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    out.write_image(data)
    out.close()


def _read(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    buf = oiio.ImageBuf(str(path))
    pixels = buf.get_pixels(oiio.FLOAT)
    names = list(buf.spec().channelnames)
    matte = pixels[..., names.index("ghost.matte")] if "ghost.matte" in names else None
    return pixels[..., :3], matte


def _to_source(identity: Any, out_rgb: np.ndarray, plate_rgb: np.ndarray, matte: np.ndarray | None) -> float:
    """The identity score of the swapped face (model-space RGB) to the source; NaN without a scorer."""
    scores = [] if identity is None else identity.score(out_rgb, plate_rgb, matte)
    return scores[0].to_source if scores else float("nan")


def _ring(matte: np.ndarray) -> np.ndarray:
    """The matte's outer feather band: plate skin right around the swap, where a seam would show.

    Only the band outside the face: the feather around a hole (the eyes and mouth keep_expression
    holds out) lies on lids and lips, not on the skin that surrounds the face.
    """
    inside = (matte >= RING_MATTE[1]).astype(np.uint8)
    contours, _ = cv2.findContours(inside, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(inside)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return (matte > RING_MATTE[0]) & (matte < RING_MATTE[1]) & (filled == 0)


def measure(plate_exr: Path, out_exr: Path, view: ColorPath, identity: Any = None) -> dict[str, float]:
    plate, _ = _read(plate_exr)
    out, matte = _read(out_exr)
    assert matte is not None, f"{out_exr}: no ghost.matte layer"
    skin = matte >= 0.99
    if not skin.any():
        nan = float("nan")
        return {
            "dE_ring": nan,
            "dE_plate": nan,
            "dE_face": nan,
            "sat": nan,
            "neg": 0,
            "ring_px": 0,
            "seam": nan,
            "seam_plate": nan,
            "sectors": 0,
            "identity": nan,
            "plate_identity": nan,
        }
    plate_lab = srgb_to_lab(view.to_model(plate))
    out_lab = srgb_to_lab(view.to_model(out))
    face_mean = plate_lab[skin].mean(0)
    ring = _ring(matte)
    ring &= ciede2000(plate_lab, face_mean) < SKIN_DE
    ring_mean = plate_lab[ring].mean(0)
    swap_mean = out_lab[skin].mean(0)
    inside = matte > 0
    neg = int(((out < 0) & (plate >= 0) & inside[..., None]).any(-1).sum())
    scores = [] if identity is None else identity.score(view.to_model(out), view.to_model(plate), matte)
    return {
        **seam_de(plate_lab, out_lab, matte),
        "identity": scores[0].to_source if scores else float("nan"),
        "plate_identity": scores[0].plate_to_source if scores else float("nan"),
        "dE_ring": float(ciede2000(swap_mean, ring_mean)),
        "dE_plate": float(ciede2000(face_mean, ring_mean)),
        "dE_face": float(ciede2000(swap_mean, face_mean)),
        "sat": float(chroma(out_lab[skin]).mean() / max(chroma(plate_lab[ring]).mean(), 1e-6)),
        "neg": neg,
        "ring_px": int(ring.sum()),
    }


def colour_rows(work: Path) -> list[dict[str, Any]]:
    view = _view()
    colour_src = ASSETS / SOURCE
    grey_src = work / "grey_source.png"
    grey = cv2.cvtColor(cv2.imread(str(colour_src)), cv2.COLOR_BGR2GRAY)
    cv2.imwrite(str(grey_src), cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR))
    rows = []
    for name in PLATES:
        stem = Path(name.split("#")[0]).stem
        plate = work / f"{stem}.exr"
        _write_plate(plate, _load_model_space(name), view)
        for label, source in (("colour", colour_src), ("grey", grey_src)):
            row: dict[str, Any] = {"plate": name, "source": label}
            identity = IdentityCheck.open([source], rendered_from=[])
            for phase, amount, mode in COLOUR_PHASES:
                out = work / f"{stem}_{label}_{phase}.exr"
                code = ghostswap(
                    [
                        "-q",
                        "render",
                        "--plate",
                        str(plate),
                        "--source",
                        str(source),
                        "--out",
                        str(out),
                        "--swapper",
                        "morph",
                        "--color-match",
                        amount,
                        "--color-mode",
                        mode,
                        "--overwrite",
                    ]
                )
                if code != 0:
                    raise SystemExit(f"render failed ({code}) on {name} with the {label} source")
                row[phase] = measure(plate, out, view, identity)
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------- occlusion

# (clip, first frame, frames, role): the shots the occluders are pasted on. The estimate's
# constants were tuned on the first; the second and third were held out and then looked at for
# later changes (the spread cap on elon's hand, the edge and growth work on all three); the
# fourth was never looked at; the last four are other stretches of the same clips. ../shared's
# clips are one performance with different people swapped in, so these are other faces on other
# stretches.
OCC_SHOTS = (
    ("video/dance.mp4", 0, 18, "tuning"),
    ("video/elon.webp", 36, 18, "held out, then looked at"),
    ("video/orig.webp", 46, 18, "held out, then looked at"),
    ("video/mark.webp", 24, 18, "held out"),
    # Other stretches of the same four clips, first measured after every change above (never tuned on).
    ("video/dance.mp4", 44, 18, "second stretch"),
    ("video/elon.webp", 0, 18, "second stretch"),
    ("video/orig.webp", 0, 18, "second stretch"),
    ("video/mark.webp", 0, 18, "second stretch"),
)
OCC_HAND_TEXTURE = "faces/aligned224/source2.png"  # the hand's skin comes from another photo
# occluder -> frames (0-based) it covers; glasses are on every frame (a static occluder)
OCCLUDERS = {"bar": (4, 5, 6), "disc": (9, 10, 11), "hand": (13, 14, 15), "glasses": tuple(range(18))}
OFFLINE = ["--swapper", "morph", "--detector", "retinaface", "--landmarker", "mesh"]


def _hand_mask(size: int) -> np.ndarray:
    """A hand silhouette (palm, four fingers, thumb) on a size×size canvas, fingers up."""
    canvas = np.zeros((100, 100), np.uint8)
    cv2.ellipse(canvas, (50, 68), (24, 26), 0, 0, 360, 1, -1)
    for x, top in ((31, 18), (44, 8), (57, 10), (69, 22)):
        cv2.rectangle(canvas, (x - 5, top + 5), (x + 5, 62), 1, -1)
        cv2.circle(canvas, (x, top + 5), 5, 1, -1)
    cv2.line(canvas, (30, 72), (10, 48), 1, 11)
    return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_NEAREST).astype(bool)


def _occluder(
    name: str, kps: np.ndarray, shape: tuple[int, int], texture: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(mask, model-space colour image) of one occluder placed by the face's key points."""
    eyes, mouth = kps[:2], kps[3:]
    eye_dist = float(np.linalg.norm(eyes[1] - eyes[0]))
    centre = kps.mean(0)
    mask = np.zeros(shape, np.uint8)
    colour = np.zeros((*shape, 3), np.float32)
    if name == "bar":
        half = np.array([1.6, 1.3]) * eye_dist
        cv2.line(
            mask,
            tuple((centre - half).astype(int)),
            tuple((centre + half).astype(int)),
            1,
            int(0.45 * eye_dist),
        )
        colour[:] = (0.15, 0.35, 0.75)
    elif name == "disc":
        cv2.circle(mask, tuple(mouth.mean(0).astype(int)), int(0.55 * eye_dist), 1, -1)
        colour[:] = (0.12, 0.12, 0.12)
    elif name == "hand":
        size = int(2.0 * eye_dist)
        hand = _hand_mask(size)
        x0, y0 = (mouth.mean(0) - (0.7 * size, 0.45 * size)).astype(int)
        ys, xs = np.nonzero(hand)
        ok = (ys + y0 >= 0) & (ys + y0 < shape[0]) & (xs + x0 >= 0) & (xs + x0 < shape[1])
        mask[ys[ok] + y0, xs[ok] + x0] = 1
        colour[:] = cv2.resize(texture, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    else:  # glasses: two dark rims and a bridge that follow the eyes
        r = int(0.38 * eye_dist)
        for eye in eyes:
            cv2.circle(mask, tuple(eye.astype(int)), r, 1, max(2, int(0.1 * eye_dist)))
        cv2.line(
            mask,
            tuple((eyes[0] + (r, 0)).astype(int)),
            tuple((eyes[1] - (r, 0)).astype(int)),
            1,
            max(2, int(0.08 * eye_dist)),
        )
        colour[:] = (0.05, 0.04, 0.04)
    return mask.astype(bool), colour


def _render(plate: str, track: str, out: str, occlusion: str) -> None:
    code = ghostswap(
        ["-q", "render", "--plate", plate, "--source", str(ASSETS / SOURCE), "--track", track, "--out", out,
         "--occlusion", occlusion, "--layers", "occlusion", "--overwrite", *OFFLINE]
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"render failed ({code}) on {plate}")


def _track(plate: str, track: str) -> dict[int, np.ndarray]:
    code = ghostswap(
        ["-q", "track", "--plate", plate, "--source", str(ASSETS / SOURCE), "--out", track, *OFFLINE]
    )
    if code != 0:
        raise SystemExit(f"track failed ({code}) on {plate}")
    doc = json.loads(Path(track).read_text())
    first = doc["tracks"][0]
    return {f: np.array(k, np.float32) for f, k in zip(first["frames"], first["smoothed_kps"], strict=True)}


def _planes(path: Path, *names: str) -> list[np.ndarray]:
    buf = oiio.ImageBuf(str(path))
    pixels = buf.get_pixels(oiio.FLOAT)
    channels = list(buf.spec().channelnames)
    return [pixels[..., channels.index(n)] for n in names]


def occlusion_rows(work: Path) -> list[dict[str, Any]]:
    """Per shot of OCC_SHOTS: IoU of ghost.occlusion with pasted occluders, their pixels kept, matte lost."""
    rows = []
    for clip, start, count, role in OCC_SHOTS:
        shot = work / f"{Path(clip).stem}_{start}"
        shot.mkdir()
        row = occlusion_shot(shot, read_clip(ASSETS / clip, start=start, limit=count).images)
        rows.append({"shot": f"{clip} {start}-{start + count - 1}", "role": role, **row})
    return rows


def occlusion_shot(work: Path, frames: list[np.ndarray]) -> dict[str, Any]:
    """The occlusion figures of one shot (model-space frames): each occluder, and the clean shot."""
    view = _view()
    texture = _load_model_space(OCC_HAND_TEXTURE)[120:190, 50:174]  # cheeks and chin of another face
    clean = work / "clean"
    clean.mkdir()
    for i, rgb in enumerate(frames):
        _write_plate(clean / f"plate.{1001 + i:04d}.exr", rgb, view)
    kps = _track(str(clean / "plate.####.exr"), str(clean / "track.json"))
    renders = {}
    for occ in ("off", "auto"):
        _render(
            str(clean / "plate.####.exr"), str(clean / "track.json"), str(clean / occ / "o.####.exr"), occ
        )
        renders[occ] = sum(float(_planes(clean / occ / f"o.{f}.exr", "ghost.matte")[0].sum()) for f in kps)
    rows: dict[str, Any] = {"clean_matte_lost": 1.0 - renders["auto"] / renders["off"], "occluders": []}
    for name, on in OCCLUDERS.items():
        shot = work / name
        shot.mkdir()
        masks = {}
        for i, rgb in enumerate(frames):
            f = 1001 + i
            if i in on and f in kps:
                mask, colour = _occluder(name, kps[f], rgb.shape[:2], texture)
                rgb = np.where(mask[..., None], colour, rgb)
                masks[f] = mask
            _write_plate(shot / f"plate.{f:04d}.exr", rgb, view)
        plate, track = str(shot / "plate.####.exr"), str(shot / "track.json")
        _track(plate, track)
        row: dict[str, Any] = {"occluder": name, "frames": len(masks)}
        for phase, occ in (("before", "off"), ("after", "auto")):
            out = shot / occ / "o.####.exr"
            _render(plate, track, str(out), occ)
            inter = union = kept = over = 0
            for f, mask in masks.items():
                (occlusion,) = _planes(shot / occ / f"o.{f}.exr", "ghost.occlusion")
                hull = _planes(shot / "off" / f"o.{f}.exr", "ghost.matte")[0] > 0  # where the swap paints
                found = (occlusion > 0.5) & hull if occ == "auto" else np.zeros_like(hull)
                truth = mask & hull
                inter += int((found & truth).sum())
                union += int((found | truth).sum())
                a = oiio.ImageBuf(str(shot / occ / f"o.{f}.exr")).get_pixels(oiio.HALF)[..., :3]
                b = oiio.ImageBuf(str(shot / f"plate.{f}.exr")).get_pixels(oiio.HALF)[..., :3]
                same = (a.view(np.uint16) == b.view(np.uint16)).all(-1)
                kept += int((same & truth).sum())
                over += int(truth.sum())
            row[phase] = {"iou": inter / max(union, 1), "kept": kept / max(over, 1), "pixels": over}
        rows["occluders"].append(row)
    return rows


# --------------------------------------------------------------------------------------- expression

EXPR_PLATES = ("faces/obama2.jpg", "faces/obama.jpg", "faces/mark.jpg", "faces/alex_lacamoire1.jpg",
               "video/dance.mp4#35")  # fmt: skip
# Open mouths (mesh ratio >= 0.15) first measured when the mouth's margin was chosen (3, 5, 6, 7 px
# were compared on these and the five above), so they are not fully held out; the first face of each.
EXPR_MORE = ("faces/alex_lacamoire2.png", "faces/biden2.jpg", "faces/obama3.jpg", "faces/two_people.jpg",
             "video/elon.webp#0", "video/elon.webp#27", "video/mark.webp#27")  # fmt: skip
# Held out from the margin: every other elon.webp frame with a mesh ratio >= 0.15 (orig.webp and
# dance.mp4 have none; mark.webp's best other frame reads 0.128), first measured after it was chosen.
# Their pictures were looked at before `lips` was added (its one number, LIPS_GROW, was set once).
EXPR_HELD = tuple(f"video/elon.webp#{i}" for i in (3, 8, 11, 18, 19, 23, 30, 31, 32))
EXPR_GROUPS = (("first five", EXPR_PLATES), ("seven more", EXPR_MORE), ("held out", EXPR_HELD))
EXPR_PHASES = (("before", "off"), ("after", "on"), ("lips", "lips"))
EXPR_TARGET = 0.15  # largest relative error of an opening ratio, output vs plate


def openings(rgb: np.ndarray, kps: np.ndarray, landmarker: Any) -> dict[str, float]:
    """Mouth and eye opening ratios of the face at `kps` (model-space RGB), from its 468-point mesh."""
    from ghost_core.faces.align import estimate_norm, warp_crop

    crop = warp_crop(np.clip(rgb, 0.0, 1.0).astype(np.float32), estimate_norm(kps))
    p = landmarker.landmarks(crop[None])[0].points

    def gap(a: int, b: int) -> float:
        return float(np.linalg.norm(p[a] - p[b]))

    eyes = 0.5 * (gap(159, 145) / gap(33, 133) + gap(386, 374) / gap(362, 263))
    return {"mouth": gap(13, 14) / gap(78, 308), "eyes": eyes}


def expression_rows(work: Path) -> list[dict[str, Any]]:
    from ghost_core.faces.detectors import open_detector
    from ghost_core.faces.landmarks import open_landmarker

    view = _view()
    detector, landmarker = open_detector("retinaface"), open_landmarker("mesh")
    identity = IdentityCheck.open([ASSETS / SOURCE], rendered_from=[])
    rows = []
    for name in EXPR_PLATES + EXPR_MORE + EXPR_HELD:
        stem = Path(name.split("#")[0]).stem + name.partition("#")[2]
        plate = work / f"{stem}.exr"
        model = _load_model_space(name)
        _write_plate(plate, model, view)
        plate_rgb = view.to_model(_read(plate)[0])
        faces = detector.detect(plate_rgb)
        if not faces:
            raise SystemExit(f"no face on {name}")
        kps = faces[0].kps
        row: dict[str, Any] = {"plate": name, "plate_ratios": openings(plate_rgb, kps, landmarker)}
        for phase, keep in EXPR_PHASES:
            out = work / f"{stem}_{keep}.exr"
            code = ghostswap(
                ["-q", "render", "--plate", str(plate), "--source", str(ASSETS / SOURCE), "--out", str(out),
                 "--keep-expression", keep, "--overwrite", *OFFLINE]
            )  # fmt: skip
            if code != 0:
                raise SystemExit(f"render failed ({code}) on {name}")
            out_rgb, matte = _read(out)
            got = openings(view.to_model(out_rgb), kps, landmarker)
            row[phase] = {
                "ratios": got,
                "error": {k: abs(got[k] / row["plate_ratios"][k] - 1.0) for k in got},
                "identity": _to_source(identity, view.to_model(out_rgb), plate_rgb, matte),
            }
        rows.append(row)
    return rows


def _print_expression(rows: list[dict[str, Any]]) -> None:
    print(
        f"expression (morph, source {SOURCE}; before = --keep-expression off, after = on, lips = lips;"
        " error = |output / plate - 1|; id = identity score to the source)"
    )
    print(
        f"{'plate':<26} {'mouth':>6} {'off':>14} {'on':>14} {'lips':>14}   {'eyes':>5} {'off':>14} "
        f"{'on':>14} {'lips':>14}   id off / on / lips"
    )
    for r in rows:
        cells = []
        for k in ("mouth", "eyes"):
            cells.append(
                f"{r['plate_ratios'][k]:6.3f} "
                + " ".join(f"{r[p]['ratios'][k]:.3f} ({r[p]['error'][k]:5.1%})" for p, _ in EXPR_PHASES)
            )
        ids = " / ".join(f"{r[p]['identity']:.3f}" for p, _ in EXPR_PHASES)
        print(f"{r['plate']:<26} " + "   ".join(cells) + f"   {ids}")
    for label, names in EXPR_GROUPS:
        chosen = [r for r in rows if r["plate"] in names]
        parts = []
        for phase, keep in EXPR_PHASES[1:]:
            worst = max(max(r[phase]["error"].values()) for r in chosen)
            within = sum(max(r[phase]["error"].values()) <= EXPR_TARGET for r in chosen)
            ident = float(np.nanmean([r[phase]["identity"] for r in chosen]))
            parts.append(
                f"{keep}: {within}/{len(chosen)} within {EXPR_TARGET:.0%}, worst {worst:.1%}, id {ident:.3f}"
            )
        base = float(np.nanmean([r["before"]["identity"] for r in chosen]))
        print(f"{label}: " + "; ".join(parts) + f" (off: id {base:.3f})")


# ---------------------------------------------------------------------------------------- sharpness

SHARP_PLATE = ("faces/biden2.jpg", 2.0, 2048, 1536)  # photo, upscale, plate width, height
GHOST = ["--swapper", "ghost", "--model", "ghost_unet_1block"]
SHARP_ROWS = (
    ("morph (offline)", ["--swapper", "morph"]),
    ("ghost plain", GHOST),
    ("ghost tiles", [*GHOST, "--boost", "tiles"]),
    ("ghost enhancer", [*GHOST, "--enhance"]),
    ("ghost tiles+enh", [*GHOST, "--boost", "tiles", "--enhance"]),
)


def _laplacian_energy(srgb: np.ndarray, where: np.ndarray) -> float:
    lap = cv2.Laplacian(np.ascontiguousarray(srgb.mean(-1), np.float32), cv2.CV_32F, ksize=3)
    return float(np.mean(lap[where] ** 2))


def _random_ghost_home(home: Path) -> None:
    """Deterministic random GHOST weights in the official layout, installed like the real files."""
    import os

    from ghost_core.models_store import install
    from ghost_core.nets.random_weights import save_random_checkpoint

    os.environ["GHOSTSWAP_HOME"] = str(home / "home")
    save_random_checkpoint("generator", home / "w" / "G_unet_1block.pth", num_blocks=1)
    save_random_checkpoint("arcface", home / "w" / "backbone.pth")
    save_random_checkpoint("enhancer", home / "w" / "10_net_G.pth")
    for name in ("ghost_unet_1block", "arcface_backbone", "ghost_enhancer"):
        install(name, from_dir=home / "w")


def sharpness_rows(work: Path) -> dict[str, Any]:
    """High-frequency energy of a large swapped face relative to the plate's: plain, tiles, enhancer."""
    view = _view()
    photo, scale, width, height = SHARP_PLATE
    rgb = _load_model_space(photo)
    rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)
    rgb = np.ascontiguousarray(rgb[:height, (rgb.shape[1] - width) // 2 :][:, :width])
    plate, track = work / "plate.exr", str(work / "track.json")
    _write_plate(plate, rgb, view)
    _random_ghost_home(work)
    common = ["--source", str(ASSETS / SOURCE), "--detector", "retinaface", "--landmarker", "mesh"]
    held = ["--temporal-hold", "0"]  # boost runs only with holds and the temporal filter off
    if ghostswap(["-q", "track", "--plate", str(plate), "--out", track, *common]) != 0:
        raise SystemExit("track failed on the sharpness plate")
    from ghost_core.faces.align import estimate_norm
    from ghost_core.swappers.boost import plate_size

    kps = np.array(json.loads(Path(track).read_text())["tracks"][0]["smoothed_kps"][0], np.float32)
    span = plate_size(estimate_norm(kps))
    rows: dict[str, Any] = {"plate": photo, "size": [width, height], "crop_span_px": span}
    plate_srgb = view.to_model(_read(plate)[0]).clip(0.0, 1.0)
    rows["rows"] = []
    solid = np.zeros(plate_srgb.shape[:2], bool)
    for label, flags in SHARP_ROWS:
        out = work / label.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "_")
        code = ghostswap(
            ["-q", "render", "--plate", str(plate), "--track", track, "--out", str(out / "s.exr"), *common,
             *held, *flags]
        )  # fmt: skip
        if code != 0:
            raise SystemExit(f"render failed ({code}): {label}")
        result, matte = _read(out / "s.exr")
        assert matte is not None
        if label == "ghost plain":
            solid = matte >= 0.99  # the resolution rows below measure inside this face
        srgb = view.to_model(result).clip(0.0, 1.0)
        inside = matte >= 0.99
        rows["rows"].append({
            "swap": label, "hf": _laplacian_energy(srgb, inside) / _laplacian_energy(plate_srgb, inside),
            "face_px": int(inside.sum()),
        })  # fmt: skip
    rows["resolution"] = resolution_rows(plate, kps, solid, plate_srgb, view)
    return rows


def resolution_rows(
    plate: Path, kps: np.ndarray, solid: np.ndarray, plate_srgb: np.ndarray, view: ColorPath
) -> list[dict[str, Any]]:
    """The resolution path alone: a pass-through generator (swap = its input), plain 256 vs tiles.

    The face is replaced by the warped swap alone (plate and seen crop taken as 0, so none of the
    plate's own detail is kept by the difference paste): what a perfect, shift-equivariant
    generator would bring of the plate's detail through 224 -> 256 -> 224, or 512 -> 4 x 256 -> 512.
    """
    import torch
    from torch import nn

    from ghost_core.composite import paste_face
    from ghost_core.engine.crops import cut_face, with_detail
    from ghost_core.runtime.backends import TorchBackend
    from ghost_core.swappers.ghost import GhostSwapper

    class PassThrough(nn.Module):
        def forward(self, target: torch.Tensor, z_id: torch.Tensor) -> torch.Tensor:
            return target + 0.0 * z_id.sum(dim=1).view(-1, 1, 1, 1)

    linear = _read(plate)[0]
    rgba = np.dstack([linear, np.ones(linear.shape[:2], np.float32)])
    crop = cut_face(rgba, view, kps)
    assert crop is not None
    detail = with_detail(crop, rgba, view, kps).detail
    assert detail is not None, "the sharpness plate's face must be large enough to boost"
    backend = TorchBackend("generator", PassThrough(), device=torch.device("cpu"), precision="fp32")
    swapper = GhostSwapper(backend, arcface=None)  # type: ignore[arg-type]
    z_id = np.zeros(512, np.float32)
    out_rows = []
    for label, used, swap in (
        ("plain 256", crop, swapper.swap(crop.seen[None], z_id)[0]),
        ("tiles 2x2", detail, swapper.swap_detail(detail.seen[None], z_id)[0]),
    ):
        size = used.seen.shape[0]
        blank = np.zeros_like(used.seen)
        full = np.ones((size, size), np.float32)
        pasted = paste_face(np.zeros_like(linear), swap, blank, used.alignment, full, view)
        bx, by, bw, bh = pasted.box
        result = np.array(linear, copy=True)
        result[by : by + bh, bx : bx + bw] = pasted.rgb
        srgb = view.to_model(result).clip(0.0, 1.0)
        hf = _laplacian_energy(srgb, solid) / _laplacian_energy(plate_srgb, solid)
        out_rows.append({"path": label, "hf": hf})
    return out_rows


# --------------------------------------------------------------------------------------------- pose

POSE_PHOTOS = ("faces/obama.jpg",)  # held out: the clip builder was developed on elon_musk.jpg, biden.jpg
POSE_ANGLES = list(range(-90, 91, 10))  # built turn per frame, degrees: profile to profile
POSE_BEFORE = ["--max-yaw", "90", "--warn-yaw", "90"]  # the gate off: every tracked face is swapped


def _pose_render(plate: str, track: str, out: str, flags: list[str]) -> dict[str, Any]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = ghostswap(
            ["--json", "-q", "render", "--plate", plate, "--source", str(ASSETS / SOURCE), "--track", track,
             "--out", out, "--overwrite", *OFFLINE, *flags]
        )  # fmt: skip
    if code != 0:
        raise SystemExit(f"render failed ({code}) on {plate}")
    return json.loads(buffer.getvalue())


def _pose_frame(plate: Path, out: Path, frame: int, summary: dict[str, Any]) -> dict[str, Any]:
    """Decision and honesty check of one frame: a replaced face changed pixels, a skipped one none."""
    buf = oiio.ImageBuf(str(out))
    replaced = int(buf.spec().getattribute("ghost:faces") or 0)
    (matte,) = _planes(out, "ghost.matte")
    a = buf.get_pixels(oiio.HALF)[..., :3]
    b = oiio.ImageBuf(str(plate)).get_pixels(oiio.HALF)[..., :3]
    change = float(np.abs(a.astype(np.float32) - b.astype(np.float32)).max(-1)[matte > 0].max(initial=0.0))
    identical = bool((a.view(np.uint16) == b.view(np.uint16)).all())
    skipped = [s["reason"] for s in summary["skipped_faces"] if s["frame"] == frame]
    warned = [s["reason"] for s in summary["warned_faces"] if s["frame"] == frame]
    decision = (
        "skipped"
        if skipped
        else ("warned" if warned and replaced else ("swapped" if replaced else "no face"))
    )
    honest = change > 0 if replaced else (not matte.any() and identical)
    return {"decision": decision, "reason": (skipped or warned or [""])[0], "change": change,
            "honest": honest, "unchanged_replaced": bool(replaced and change == 0)}  # fmt: skip


def pose_rows(work: Path) -> list[dict[str, Any]]:
    from ghost_core.evaluation.head_turn import head_turn_clip
    from ghost_core.faces.pose import frontal_ratio, turn_degrees

    view = _view()
    clips = []
    for photo in POSE_PHOTOS:
        shot = work / Path(photo).stem
        shot.mkdir()
        for i, rgb in enumerate(head_turn_clip(_load_model_space(photo), POSE_ANGLES)):
            _write_plate(shot / f"plate.{1001 + i:04d}.exr", rgb, view)
        plate, track = str(shot / "plate.####.exr"), str(shot / "track.json")
        if ghostswap(["-q", "track", "--plate", plate, "--source", str(ASSETS / SOURCE), "--out", track,
                      *OFFLINE]) != 0:  # fmt: skip
            raise SystemExit(f"track failed on {photo}")
        kps = {}
        for t in json.loads(Path(track).read_text())["tracks"]:
            frontal = frontal_ratio([np.array(k) for k in t["smoothed_kps"]])
            for f, k in zip(t["frames"], t["smoothed_kps"], strict=True):
                kps.setdefault(f, turn_degrees(np.array(k), frontal))
        summaries = {phase: _pose_render(plate, track, str(shot / phase / "o.####.exr"), flags)
                     for phase, flags in (("before", POSE_BEFORE), ("after", []))}  # fmt: skip
        frames = []
        for i, angle in enumerate(POSE_ANGLES):
            f = 1001 + i
            row: dict[str, Any] = {"frame": f, "built": angle, "yaw": kps.get(f)}
            for phase, summary in summaries.items():
                row[phase] = _pose_frame(shot / f"plate.{f}.exr", shot / phase / f"o.{f}.exr", f, summary)
            frames.append(row)
        clips.append({"photo": photo, "frames": frames,
                      "summary": {p: {k: s[k] for k in ("faces_replaced", "faces_skipped")}
                                  for p, s in summaries.items()}})  # fmt: skip
    return clips


def _reason_kind(reason: str) -> str:
    """A reason without its numbers: "head turned 61° (limit 65°, ...)" -> "head turned"."""
    return reason.split(" (")[0].rstrip("0123456789°. ")


def _print_pose(clips: list[dict[str, Any]]) -> None:
    print("pose (head-turn clip from a photo, morph; before = --max-yaw 90 --warn-yaw 90, after = default)")
    for clip in clips:
        print(f"{clip['photo']}: {'frame':>5} {'built':>5} {'yaw':>6}  {'before':<34} {'after':<34}")
        for r in clip["frames"]:
            yaw = "  -" if r["yaw"] is None else f"{r['yaw']:6.1f}"
            cells = []
            for phase in ("before", "after"):
                c = r[phase]
                note = "ok" if c["honest"] else "DISHONEST"
                cells.append(f"{c['decision']:<8} max|d| {c['change']:6.3f} {note:<9}")
            print(
                f"{'':{len(clip['photo']) + 1}} {r['frame']:>5} {r['built']:>5} {yaw:>6}  " + "  ".join(cells)
            )
        for phase in ("before", "after"):
            counts = {d: sum(r[phase]["decision"] == d for r in clip["frames"])
                      for d in ("swapped", "warned", "skipped", "no face")}  # fmt: skip
            bad = sum(r[phase]["unchanged_replaced"] for r in clip["frames"])
            reasons = sorted({_reason_kind(r[phase]["reason"]) for r in clip["frames"] if r[phase]["reason"]})
            print(f"  {phase}: frames swapped {counts['swapped']} / warned {counts['warned']} / skipped "
                  f"{counts['skipped']} / no face {counts['no face']}; "
                  f"replaced but unchanged: {bad} (target 0); "
                  f"reasons: {'; '.join(reasons) or '-'}")  # fmt: skip


def _print_sharpness(rows: dict[str, Any]) -> None:
    print(
        f"sharpness ({rows['plate']} on a {rows['size'][0]}x{rows['size'][1]} plate, 224 crop spans "
        f"{rows['crop_span_px']:.0f} px; hf = Laplacian energy of the swap / the plate's, matte >= 0.99)"
    )
    for r in rows["rows"]:
        print(f"  {r['swap']:<17} hf {r['hf']:7.3f}   ({r['face_px']} px)")
    print("  ghost rows use random weights in the official layout (no real GHOST weights offline)")
    print("  resolution path alone (pass-through generator: what a perfect generator keeps of the plate):")
    for r in rows["resolution"]:
        print(f"  {r['path']:<17} hf {r['hf']:7.3f}")


def _print_colour(rows: list[dict[str, Any]]) -> None:
    print("colour match (morph swapper; before = --color-match 0, global / local = --color-mode at match 1)")
    print(
        "  seam: mean per-sector dE, output just inside the matte's edge vs plate just outside "
        "((plate) = the plate against itself: the floor); id: dlib cosine of the swap to the source"
    )
    phases = [p for p, _, _ in COLOUR_PHASES]
    columns = [
        ("dE_ring", "5.2f"),
        ("dE_face", "5.2f"),
        ("seam", "5.2f"),
        ("sat", "4.2f"),
        ("identity", "5.3f"),
        ("neg", "3d"),
    ]
    print(
        f"{'plate':<20} {'source':<7} {'ring(pl)':>8} {'seam(pl)':>8} "
        + " ".join(f"{name + ' ' + '/'.join(p[0] for p in phases):>{19}}" for name, _ in columns)
    )
    for r in rows:
        a = r["global"]
        cells = [" / ".join(format(r[p][key], fmt) for p in phases).rjust(19) for key, fmt in columns]
        head = f"{r['plate']:<20} {r['source']:<7} {a['dE_plate']:8.2f} {a['seam_plate']:8.2f} "
        print(head + " ".join(cells))


def _print_occlusion(shots: list[dict[str, Any]]) -> None:
    print("occlusion (morph; before = --occlusion off, after = auto; IoU target >= 0.8)")
    for rows in shots:
        print(f"{rows['shot']} ({rows['role']})")
        print(f"  {'occluder':<10} {'frames':>6} {'face px':>8} {'IoU':>14} {'kept bit-exact':>16}")
        for r in rows["occluders"]:
            b, a = r["before"], r["after"]
            if a["pixels"] == 0:
                skipped = "nothing painted there: the swap skipped those faces"
                print(f"  {r['occluder']:<10} {r['frames']:>6} {0:>8}   {skipped}")
                continue
            print(
                f"  {r['occluder']:<10} {r['frames']:>6} {a['pixels']:>8} {b['iou']:6.2f} -> {a['iou']:4.2f} "
                f"{b['kept']:7.1%} -> {a['kept']:6.1%}"
            )
        print(f"  clean shot: matte lost with occlusion auto {rows['clean_matte_lost']:.2%} (target < 1 %)")


def occlusion_cost(runs: int = 20) -> dict[str, float]:
    """Seconds per `occlusion.estimate` of one crop without and with the pixel registration
    (REGISTER_ROUNDS 0 and its default), interleaved in the same run: a frame with a bar across
    both eyes whose landmarks are dragged 6/5 crop px (where it runs), and the same frame clean."""
    import time

    from ghost_core import occlusion
    from ghost_core.evaluation.dragged_bar import COVERED, dragged_bar
    from ghost_core.faces.landmarks import FaceMeshLandmarker

    face = _load_model_space("faces/aligned224/target1.png").astype(np.float32)
    track = dragged_bar(face, FaceMeshLandmarker())
    appearance = occlusion.build_appearance(track.frames, track.marks)
    cases = {
        "bar": (track.frames[COVERED], track.dragged(COVERED)),
        "clean": (track.frames[1], track.marks[1]),
    }
    rounds = occlusion.REGISTER_ROUNDS
    spent = {(case, r): 0.0 for case in cases for r in (0, rounds)}
    try:
        for _ in range(runs):
            for case, (crop, lm) in cases.items():
                for r in (0, rounds):
                    occlusion.REGISTER_ROUNDS = r
                    started = time.perf_counter()
                    occlusion.estimate(appearance, crop, lm)
                    spent[case, r] += time.perf_counter() - started
    finally:
        occlusion.REGISTER_ROUNDS = rounds
    out = {}
    for case in cases:
        out[f"{case}_off_s"], out[f"{case}_on_s"] = spent[case, 0] / runs, spent[case, rounds] / runs
        out[f"{case}_ratio"] = spent[case, rounds] / spent[case, 0]
    return out


# ------------------------------------------------------------------------------------- silhouette

# Every plate of the colour and expression sections; none was looked at for the stretch limit, which
# was set once (3x) from mark.webp frame 42 (the blue-grey stripes at its far cheek, with beckham.jpg).
SILHOUETTE_PLATES = tuple(dict.fromkeys(PLATES + EXPR_PLATES + EXPR_MORE + EXPR_HELD))


@contextmanager
def _morph_settings(**overrides: Any) -> Iterator[None]:
    """Renders in this block use MorphSettings(**overrides) (the same run's "before")."""
    from ghost_core.swappers import morph

    real = morph.MorphSwapper.__dict__["from_settings"]
    morph.MorphSwapper.from_settings = classmethod(  # type: ignore[method-assign]
        lambda cls, _settings: cls(settings=morph.MorphSettings(**overrides))
    )
    try:
        yield
    finally:
        morph.MorphSwapper.from_settings = real  # type: ignore[method-assign]


def _green_screened(work: Path) -> Path:
    """SOURCE with its flat background painted pure green (`evaluation/green_screen.py`), as a file."""
    rgb = cv2.imread(str(ASSETS / SOURCE))[..., ::-1].astype(np.float32) / 255.0
    path = work / "green_source.png"
    cv2.imwrite(str(path), np.round(green_screened(rgb)[..., ::-1] * 255.0).astype(np.uint8))
    return path


def silhouette_rows(work: Path) -> list[dict[str, Any]]:
    """Per plate: how much of the source's background the morph carries into the face, with the
    stretch limit off (before) and on (after), and the identity score to the real source."""
    view = _view()
    green = _green_screened(work)
    identity = IdentityCheck.open([ASSETS / SOURCE], rendered_from=[])
    rows = []
    for name in SILHOUETTE_PLATES:
        stem = Path(name.split("#")[0]).stem + name.partition("#")[2]
        plate = work / f"{stem}.exr"
        _write_plate(plate, _load_model_space(name), view)
        plate_rgb = view.to_model(_read(plate)[0])
        row: dict[str, Any] = {"plate": name}
        for phase, overrides in (("before", {"max_stretch": 0.0}), ("after", {})):  # after: the defaults
            figures: dict[str, float] = {}
            for label, source in (("green", green), ("photo", ASSETS / SOURCE)):
                out = work / f"{stem}_{label}_{phase}.exr"
                with _morph_settings(**overrides):
                    code = ghostswap(
                        ["-q", "render", "--plate", str(plate), "--source", str(source), "--out", str(out),
                         "--overwrite", *OFFLINE]
                    )  # fmt: skip
                if code != 0:
                    raise SystemExit(f"render failed ({code}) on {name}")
                out_rgb, matte = _read(out)
                assert matte is not None
                rgb = np.clip(view.to_model(out_rgb), 0.0, 1.0)
                face = matte > 0.5
                if label == "green":
                    leak = face & screen_pixels(rgb, plate_rgb)
                    figures["leak"] = float(leak.sum() / max(int(face.sum()), 1))
                    figures["leak_px"] = int(leak.sum())
                else:
                    figures["matte"] = float(matte.sum())
                    figures["identity"] = _to_source(identity, rgb, plate_rgb, matte)
            row[phase] = figures
        rows.append(row)
    return rows


def silhouette_cost(runs: int = 40) -> dict[str, float]:
    """Seconds per `MorphSwapper.swap` of one aligned crop with the stretch limit off and on,
    interleaved in the same run (the machine is shared), and their ratio."""
    import time

    from ghost_core.faces.align import estimate_norm, warp_crop
    from ghost_core.faces.detectors import open_detector
    from ghost_core.io.source_image import read_source_image
    from ghost_core.swappers.morph import MorphSettings, MorphSwapper

    detector = open_detector("retinaface")

    def crop(image: np.ndarray) -> np.ndarray:
        return warp_crop(image, estimate_norm(detector.detect(image)[0].kps)).astype(np.float32)

    source = crop(read_source_image(ASSETS / SOURCE))
    target = crop(np.ascontiguousarray(_load_model_space("video/dance.mp4#35")))[None]
    swappers = {"off": MorphSwapper(settings=MorphSettings(max_stretch=0)), "on": MorphSwapper()}
    identities = {k: sw.prepare([source]) for k, sw in swappers.items()}
    spent = dict.fromkeys(swappers, 0.0)
    for _ in range(runs):
        for key, swapper in swappers.items():
            started = time.perf_counter()
            swapper.swap(target, identities[key])
            spent[key] += time.perf_counter() - started
    return {"off_s": spent["off"] / runs, "on_s": spent["on"] / runs, "ratio": spent["on"] / spent["off"]}


def _print_silhouette(rows: list[dict[str, Any]]) -> None:
    print(
        f"silhouette (morph, source {SOURCE}; before = MorphSettings(max_stretch=0), after = defaults;"
        " leak = share of the face (matte > 0.5) painted greener than the plate with a green-screened"
        " copy of the source; matte = the photo's final matte area, after / before (GHOST's mask"
        " follows the swapped face's landmarks); id = identity score to the photo)"
    )
    head = f"{'plate':24} {'leak before':>12} {'after':>8} {'matte after/before':>19}"
    print(f"{head} {'id before':>10} {'after':>7}")
    for row in rows:
        b, a = row["before"], row["after"]
        print(
            f"{row['plate']:24} {100 * b['leak']:11.2f}% {100 * a['leak']:7.2f}% "
            f"{a['matte'] / max(b['matte'], 1.0):19.3f} {b['identity']:10.3f} {a['identity']:7.3f}"
        )
    for phase in ("before", "after"):
        leaks = [r[phase]["leak"] for r in rows]
        ids = [r[phase]["identity"] for r in rows]
        print(
            f"  {phase}: leak mean {100 * np.mean(leaks):.2f}%, worst {100 * max(leaks):.2f}%, "
            f"plates with any {sum(x > 0 for x in leaks)}/{len(rows)}, identity mean {np.nanmean(ids):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--only",
        choices=("colour", "occlusion", "expression", "sharpness", "pose", "silhouette"),
        help="run one section",
    )
    parser.add_argument("--work", metavar="DIR", help="keep the plates and renders in DIR (must not exist)")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    if args.work:
        Path(args.work).mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="ghostswap-quality-") as scratch:
        tmp = args.work or scratch
        if args.only in (None, "colour"):
            figures["colour"] = colour_rows(Path(tmp))
            _print_colour(figures["colour"])
        if args.only in (None, "occlusion"):
            (Path(tmp) / "occlusion").mkdir()
            figures["occlusion"] = occlusion_rows(Path(tmp) / "occlusion")
            _print_occlusion(figures["occlusion"])
            cost = figures["occlusion_cost"] = occlusion_cost()
            bar_ms = 1000 * cost["bar_on_s"], 1000 * cost["bar_off_s"]
            print(
                f"  cost: occlusion estimate of one crop with a bar {bar_ms[0]:.1f} ms with the pixel "
                f"registration, {bar_ms[1]:.1f} ms without (ratio {cost['bar_ratio']:.2f}); clean crop "
                f"ratio {cost['clean_ratio']:.2f} (same run, interleaved)"
            )
        if args.only in (None, "expression"):
            (Path(tmp) / "expression").mkdir()
            figures["expression"] = expression_rows(Path(tmp) / "expression")
            _print_expression(figures["expression"])
        if args.only in (None, "sharpness"):
            (Path(tmp) / "sharpness").mkdir()
            figures["sharpness"] = sharpness_rows(Path(tmp) / "sharpness")
            _print_sharpness(figures["sharpness"])
        if args.only in (None, "silhouette"):
            (Path(tmp) / "silhouette").mkdir()
            figures["silhouette"] = silhouette_rows(Path(tmp) / "silhouette")
            _print_silhouette(figures["silhouette"])
            cost = figures["silhouette_cost"] = silhouette_cost()
            print(
                f"  cost: morph swap of one crop {1000 * cost['on_s']:.1f} ms with the limit, "
                f"{1000 * cost['off_s']:.1f} ms without (ratio {cost['ratio']:.3f}, same run, interleaved)"
            )
        if args.only in (None, "pose"):
            (Path(tmp) / "pose").mkdir()
            figures["pose"] = pose_rows(Path(tmp) / "pose")
            _print_pose(figures["pose"])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
