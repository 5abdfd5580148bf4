"""Swap quality as a compositor judges it, before/after side by side, on held-out material.

    python benchmarks/quality.py [--json out.json]

Colour: each plate (held-out photos and a frame of the dance clip from ../shared/assets, made
scene-linear ACEScg EXRs) is swapped by the real engine (`ghostswap render`, offline `morph`
swapper) with a colour source and a greyscale copy of it, once with `--color-match 0` (before)
and once with the default (after). On the sRGB view of plate and output it reports:
  - dE_ring: CIEDE2000 between the mean colour of the swapped skin (matte >= 0.99) and the mean
    of the plate's surrounding skin ring (the matte's outer feather band, 0.02 < matte < 0.5,
    kept where the plate is skin-like: within dE 15 of the plate face's own mean);
  - dE_face: the same against the plate's own face under that skin (what was replaced);
  - dE_plate: the plate's own face against the same ring: how far a perfect swap's skin may sit
    from the ring on this plate (skin under the face's light is not the skin at its border);
  - sat: mean chroma C* of the swapped skin over the ring's (1.0 = same saturation);
  - neg: output pixels below zero inside the matte where the plate was not negative.
Targets (issue #13): dE_ring <= 3, sat 0.9-1.1, neg 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.cli import main as ghostswap  # noqa: E402
from ghost_core.color import ColorPath, load_config, model_colorspace  # noqa: E402
from ghost_core.evaluation.colour import chroma, ciede2000, srgb_to_lab  # noqa: E402

ASSETS = REPO.parent / "shared" / "assets"
PLATES = ("faces/obama.jpg", "faces/biden.jpg", "video/dance.mp4#30")
SOURCE = "faces/beckham.jpg"
RING_MATTE = (0.02, 0.5)  # matte values of the ring: mostly plate, just outside the swapped skin
SKIN_DE = 15.0


def _view() -> ColorPath:
    config = load_config("ocio://studio-config-latest")
    return ColorPath(config, "ACEScg", model_colorspace(config).name)


def _load_model_space(name: str) -> np.ndarray:
    path, _, frame = name.partition("#")
    if frame:
        cap = cv2.VideoCapture(str(ASSETS / path))
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(frame))
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


def _ring(matte: np.ndarray) -> np.ndarray:
    """The matte's outer feather band: plate skin right around the swap, where a seam would show."""
    return (matte > RING_MATTE[0]) & (matte < RING_MATTE[1])


def measure(plate_exr: Path, out_exr: Path, view: ColorPath) -> dict[str, float]:
    plate, _ = _read(plate_exr)
    out, matte = _read(out_exr)
    assert matte is not None, f"{out_exr}: no ghost.matte layer"
    skin = matte >= 0.99
    if not skin.any():
        nan = float("nan")
        return {"dE_ring": nan, "dE_plate": nan, "dE_face": nan, "sat": nan, "neg": 0, "ring_px": 0}
    plate_lab = srgb_to_lab(view.to_model(plate))
    out_lab = srgb_to_lab(view.to_model(out))
    face_mean = plate_lab[skin].mean(0)
    ring = _ring(matte)
    ring &= ciede2000(plate_lab, face_mean) < SKIN_DE
    ring_mean = plate_lab[ring].mean(0)
    swap_mean = out_lab[skin].mean(0)
    inside = matte > 0
    neg = int(((out < 0) & (plate >= 0) & inside[..., None]).any(-1).sum())
    return {
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
            for phase, amount in (("before", "0"), ("after", "1")):
                out = work / f"{stem}_{label}_{phase}.exr"
                code = ghostswap(
                    ["-q", "render", "--plate", str(plate), "--source", str(source), "--out", str(out),
                     "--swapper", "morph", "--color-match", amount, "--overwrite"]
                )
                if code != 0:
                    raise SystemExit(f"render failed ({code}) on {name} with the {label} source")
                row[phase] = measure(plate, out, view)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ghostswap-quality-") as tmp:
        rows = colour_rows(Path(tmp))
    print("colour match (morph swapper; before = --color-match 0, after = default 1)")
    heads = ("dE_ring", 15), ("(plate)", 7), ("dE_face", 15), ("sat", 13), ("neg", 9)
    print(f"{'plate':<20} {'source':<7} " + " ".join(f"{h:>{w}}" for h, w in heads))
    for r in rows:
        b, a = r["before"], r["after"]
        print(
            f"{r['plate']:<20} {r['source']:<7} {b['dE_ring']:6.2f} -> {a['dE_ring']:5.2f} "
            f"{a['dE_plate']:7.2f} "
            f"{b['dE_face']:6.2f} -> {a['dE_face']:5.2f} {b['sat']:5.2f} -> {a['sat']:4.2f} "
            f"{b['neg']:3d} -> {a['neg']:2d}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"colour": rows}, indent=2))


if __name__ == "__main__":
    main()
