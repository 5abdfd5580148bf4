"""`ghostswap demo`: a short linear EXR shot from images that ship inside installed packages,
rendered end to end, plus a review contact sheet. Needs no downloads.

The plate is scikit-image's public-domain astronaut photo, pushed in slowly over a 960×540 frame
in ACEScg with a specular highlight above 1.0; the new face comes from insightface's sample
group photo (MIT package). GHOST runs when its weights are installed, else the offline morph.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import OpenImageIO as oiio

from ghost_core.color import ColorPath, load_config, model_colorspace
from ghost_core.console import log
from ghost_core.engine.contact_sheet import contact_sheet
from ghost_core.errors import ModelError, OutputError
from ghost_core.io.atomic import atomic_output, make_output_folder
from ghost_core.io.png16 import write_png16
from ghost_core.io.source_image import read_source_image

WIDTH, HEIGHT = 960, 540
PLATE_SPACE = "ACEScg"


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the demo needs the {package} package: run scripts/setup.sh")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall {package} (scripts/setup.sh)")
    return path


def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut().astype(np.float32) / 255.0


def _write_exr(path: Path, rgb: np.ndarray, colorspace: str) -> None:
    spec = oiio.ImageSpec(rgb.shape[1], rgb.shape[0], 4, oiio.HALF)
    spec.channelnames = ("R", "G", "B", "A")
    spec.attribute("oiio:ColorSpace", colorspace)
    spec.attribute("compression", "zip")
    rgba = np.concatenate([rgb, np.ones((*rgb.shape[:2], 1), np.float32)], axis=2).astype(np.float16)
    with atomic_output(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None or not out.open(str(tmp), spec) or not out.write_image(rgba):
            raise OutputError(f"cannot write {path}: {oiio.geterror()}; check the --out folder and its space")
        out.close()


def build_plate(folder: Path, frames: int, color: ColorPath) -> str:
    """Frames 1001.. of a slow push-in on the astronaut, scene-linear ACEScg half EXRs."""
    photo = _astronaut()
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    backdrop = np.stack([0.22 + 0.1 * xs / WIDTH, 0.25 + 0.05 * ys / HEIGHT, 0.3 + 0 * xs], axis=2)
    for i in range(frames):
        t = i / max(1, frames - 1)
        scale = 0.95 + 0.08 * t
        matrix = np.array([[scale, 0, 240 + 30 * t], [0, scale, 10 - 12 * t]], np.float32)
        outside = (-1.0, -1.0, -1.0)  # on every channel: a scalar would mark only red, tinting the backdrop
        canvas = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderValue=outside)
        model = np.where(canvas < 0, backdrop, canvas).astype(np.float32)
        linear = color.from_model(np.ascontiguousarray(model))
        # A specular highlight (4× diffuse white) on the suit: must survive the swap untouched.
        linear[420:440, 300:330] = 4.0
        _write_exr(folder / f"plate.{1001 + i:04d}.exr", linear, PLATE_SPACE)
    return str(folder / "plate.####.exr")


def build_source(folder: Path) -> Path:
    """The biggest face of insightface's sample group photo, cut out as a 16-bit PNG portrait."""
    from ghost_core.faces.detectors import open_detector

    image = read_source_image(_package_file("insightface", "data", "images", "t1.jpg"))
    faces = open_detector("retinaface").detect(image)
    if not faces:
        raise ModelError("no face found in insightface's t1.jpg; the offline detector is not working")
    face = max(faces, key=lambda d: float((d.box[2] - d.box[0]) * (d.box[3] - d.box[1])))
    cx, cy = (face.box[:2] + face.box[2:]) / 2
    half = int(max(face.box[2] - face.box[0], face.box[3] - face.box[1]) * 1.3)
    y0, x0 = max(0, int(cy) - half), max(0, int(cx) - half)
    portrait = image[y0 : int(cy) + half, x0 : int(cx) + half]
    path = folder / "source.png"
    write_png16(path, portrait)
    return path


def run_demo(out: str | Path, frames: int = 12, swapper: str = "auto") -> dict[str, Any]:
    from ghost_core.engine.shot import render_command, track_command
    from ghost_core.knobs import ShotSettings

    folder = Path(out).resolve()
    make_output_folder(folder / "plate")
    make_output_folder(folder / "swap")
    config = load_config("ocio://studio-config-latest")
    color = ColorPath(config, PLATE_SPACE, model_colorspace(config).name)
    plate = build_plate(folder / "plate", frames, color)
    source = build_source(folder)
    # Every matte layer, so the contact sheet can show them (occlusion is estimated, not applied).
    settings = ShotSettings(plate=plate, sources=[[str(source)]], swapper=swapper, layers="all")
    track_path = folder / "shot.track.json"
    track = track_command(settings, str(track_path))
    settings.track = str(track_path)
    settings.out = str(folder / "swap" / "swap.####.exr")
    settings.overwrite = True
    summary = render_command(settings)
    shown = sorted({1001, 1001 + frames // 2, 1000 + frames})
    sheet = folder / "contact_sheet.png"
    tiles = contact_sheet(sheet, plate, settings.out, shown, color, settings.layer_prefix)
    summary_path = folder / "render.json"
    with atomic_output(summary_path) as tmp:
        tmp.write_text(json.dumps(summary.to_dict(), indent=1) + "\n")
    log.info("demo written to %s (contact sheet: %s)", folder, sheet)
    return {
        "folder": str(folder),
        "plate": plate,
        "source": str(source),
        "track_file": str(track_path),
        "output": settings.out,
        "contact_sheet": str(sheet),
        "contact_sheet_tiles": [asdict(tile) for tile in tiles],
        "summary": str(summary_path),
        "track": track,
        "render": summary.to_dict(),
    }
