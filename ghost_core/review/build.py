"""Build the review folder: stills per frame, the H.264 proxy, the contact sheet and the HTML page.

One pass over the shot: each frame is read once, shown through the display transform, written as
stills and fed to the encoder, so memory does not grow with the shot. Every file that leaves is
signed (credentials.py) right after it is written.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ghost_core.color import load_config, plate_colorspace
from ghost_core.console import log, progress
from ghost_core.errors import OutputError
from ghost_core.io.atomic import atomic_output, make_output_folder
from ghost_core.io.exr import read_frame, read_header
from ghost_core.io.sequence import compact_frames
from ghost_core.review.credentials import Credentials, Provenance, signer_config
from ghost_core.review.display import Display, matte_overlay, open_display, to_8bit
from ghost_core.review.identity import IdentityCheck
from ghost_core.review.identity import note as identity_note
from ghost_core.review.proxy import encode_proxy, proxy_frame
from ghost_core.review.shot import RenderedShot, ShotFrame, load_shot

PAGE_FILES = ("index.html", "review.js", "review.css")
SHEET_TILE = 480


@dataclass
class ReviewOptions:
    out: Path
    frames: str | None = None
    name: str | None = None
    summary: str | None = None
    ocio: str | None = None
    colorspace: str | None = None  # the plate's; default: its metadata, else scene_linear
    display: str | None = None
    view: str | None = None
    fps: float = 24.0
    proxy_width: int = 1920
    quality: int = 92
    cert: str | None = None
    key: str | None = None
    sources: tuple[str, ...] = ()  # the source person's photos, for identity scores (default: the job's)


@dataclass
class _Views:
    plate: np.ndarray  # display-referred 0..1 RGB
    swap: np.ndarray
    matte: np.ndarray  # 0..1


def _views(item: ShotFrame, display: Display, matte_name: str) -> _Views:
    swap = read_frame(item.swap)
    plate = read_frame(item.plate)
    names = swap.channel_names
    if matte_name not in names:  # rendered with --matte-name: the one extra channel named *matte
        matte_name = next((n for n in names if n.lower().endswith("matte")), matte_name)
    matte = swap.plane(matte_name) if matte_name in names else np.zeros(swap.planes[0].shape, np.float32)
    plate_view = display(plate.rgba())
    swap_view = display.changed(swap.rgba(), plate.rgba(), plate_view)
    return _Views(plate_view, swap_view, np.nan_to_num(matte.astype(np.float32)))


def _write_image(path: Path, rgb_or_rgba: np.ndarray, params: list[int] | None = None) -> None:
    image = rgb_or_rgba[..., [2, 1, 0, 3][: rgb_or_rgba.shape[-1]]]  # OpenCV writes BGR(A)
    with atomic_output(path) as tmp:
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(image), params or []):
            raise OutputError(f"{path}: cannot write the image; check the --out folder and its space")


def _matte_png(matte: np.ndarray) -> np.ndarray:
    """The overlay the page draws over the swap: red, alpha = opacity × matte."""
    from ghost_core.review.display import MATTE_COLOUR, MATTE_OPACITY

    rgba = np.empty((*matte.shape, 4), np.uint8)
    rgba[..., :3] = to_8bit(MATTE_COLOUR)
    rgba[..., 3] = to_8bit(MATTE_OPACITY * np.clip(matte, 0, 1))
    return rgba


def _provenance(shot: RenderedShot) -> Provenance:
    meta = shot.first
    digests = sorted({str(f.meta.get("ghost:render_digest")) for f in shot.frames})
    if len(digests) > 1:
        log.warning("%s: frames from %d renders (digests %s)", shot.name, len(digests), ", ".join(digests))
    sources = str(meta.get("ghost:source_sha256", ""))
    frames = compact_frames([f.frame for f in shot.frames if f.frame is not None]) or "single"
    return Provenance(
        shot=shot.name,
        swapper=str(meta.get("ghost:swapper", "unknown")),
        model_sha256=meta.get("ghost:model_sha256"),
        source_sha256=tuple(s for s in sources.split(",") if s),
        render_digest=",".join(digests),
        track_digest=meta.get("ghost:track_digest"),
        frames=frames,
    )


def _burnin(shot: RenderedShot, item: ShotFrame, provenance: Provenance) -> str:
    model = (provenance.model_sha256 or "none")[:12]
    frame = "-" if item.frame is None else item.frame
    return f"{shot.name}   frame {frame}   {provenance.swapper}   model {model}   GhostSwap synthetic media"


def build_review(shot_arg: str, options: ReviewOptions) -> dict[str, Any]:
    """Write the review folder for `shot_arg`; returns where everything is (the `--json` summary)."""
    shot = load_shot(shot_arg, options.frames, options.name, options.summary)
    config = load_config(options.ocio)
    source = plate_colorspace(
        config, options.colorspace, read_header(shot.frames[0].plate, check_pixels=False)
    )
    display = open_display(config, source.name, options.display, options.view)
    provenance = _provenance(shot)
    identity = IdentityCheck.open(options.sources or _job_sources(shot_arg), provenance.source_sha256)
    scores: list[float] = []
    credentials = Credentials(signer_config(options.cert, options.key), provenance)
    out = Path(options.out).resolve()
    stills = out / "stills"
    make_output_folder(stills)
    matte_name = str(shot.first.get("ghost:matte_name", "ghost.matte"))
    records: list[dict[str, Any]] = []
    sheet_rows: list[np.ndarray] = []
    sheet_at = {0, len(shot.frames) // 2, len(shot.frames) - 1}
    size: list[int] = []

    def frames() -> Iterator[np.ndarray]:
        bar = progress(total=len(shot.frames), desc="review", unit="frame")
        for i, item in enumerate(shot.frames):
            views = _views(item, display, matte_name)
            size[:] = [views.plate.shape[1], views.plate.shape[0]]
            tag = "still" if item.frame is None else f"{item.frame:04d}"
            names = {
                k: f"stills/{k}.{tag}.{ext}"
                for k, ext in (("plate", "jpg"), ("swap", "jpg"), ("matte", "png"))
            }
            jpeg = [cv2.IMWRITE_JPEG_QUALITY, options.quality]
            plate8, swap8 = to_8bit(views.plate), to_8bit(views.swap)
            _write_image(out / names["plate"], plate8, jpeg)
            _write_image(out / names["swap"], swap8, jpeg)
            _write_image(out / names["matte"], _matte_png(views.matte))
            for rel in names.values():
                credentials.sign(out / rel, thumbnail=False)
            notes = shot.notes(item)
            record: dict[str, Any] = {"frame": item.frame, **names, "notes": notes}
            if identity is not None:
                faces = identity.score(views.swap, views.plate, views.matte)
                line = identity_note(faces, identity.model)
                if line:
                    notes.append(line)
                record["identity"] = [f.to_dict() for f in faces]
                scores.extend(f.to_source for f in faces)
            records.append(record)
            overlay8 = to_8bit(matte_overlay(views.swap, views.matte))
            if i in sheet_at:
                tiles = [plate8, swap8, overlay8]
                h = round(SHEET_TILE * plate8.shape[0] / plate8.shape[1])
                sheet_rows.append(np.concatenate([cv2.resize(t, (SHEET_TILE, h), interpolation=cv2.INTER_AREA)
                                                  for t in tiles], axis=1))  # fmt: skip
            yield proxy_frame(
                [plate8, swap8, overlay8], ["plate", "swap", "matte"], _burnin(shot, item, provenance),
                options.proxy_width,
            )  # fmt: skip
            bar.update(1)
        bar.close()

    proxy = out / "proxy.mp4"
    encode_proxy(frames(), proxy, fps=options.fps)
    credentials.sign(proxy)
    sheet = out / "contact_sheet.png"
    _write_image(sheet, np.concatenate(sheet_rows, axis=0))
    credentials.sign(sheet)
    page = _write_page(out, shot, provenance, display, records, size, options.fps)
    log.info("review written to %s (open %s)", out, page)
    return {
        "review": str(out),
        "page": str(page),
        "proxy": str(proxy),
        "contact_sheet": str(sheet),
        "frames": len(records),
        "display": display.describe(),
        "provenance": provenance.assertion(),
        "signer": {"cert": str(credentials.config.cert), "studio": credentials.config.studio},
        "identity": None
        if identity is None
        else {
            **identity.describe(),
            "faces_scored": len(scores),
            "mean_to_source": round(float(np.mean(scores)), 4) if scores else None,
        },
    }


def _job_sources(shot_arg: str) -> tuple[str, ...]:
    """The first source person's photos when SHOT is a job file, else none."""
    if not shot_arg.endswith(".json"):
        return ()
    from ghost_core.jobs.cache import resolve_job
    from ghost_core.jobs.schema import load_job

    groups = resolve_job(load_job(shot_arg)).settings.sources
    if len(groups) > 1:
        log.info("review: identity scores use the job's first source person of %d", len(groups))
    return tuple(str(p) for p in groups[0]) if groups else ()


def _write_page(
    out: Path,
    shot: RenderedShot,
    provenance: Provenance,
    display: Display,
    records: list[dict[str, Any]],
    size: list[int],
    fps: float,
) -> Path:
    data = {
        "shot": shot.name,
        "fps": fps,
        "width": size[0],
        "height": size[1],
        "swapper": provenance.swapper,
        "model_sha256": provenance.model_sha256,
        "render_digest": provenance.render_digest,
        "display": display.describe(),
        "frames": records,
    }
    with atomic_output(out / "data.js") as tmp:
        tmp.write_text("window.GHOST_REVIEW = " + json.dumps(data, indent=1) + ";\n", encoding="utf-8")
    page = resources.files("ghost_core.review") / "page"
    for name in PAGE_FILES:
        with resources.as_file(page / name) as src, atomic_output(out / name) as tmp:
            shutil.copyfile(src, tmp)
    return out / "index.html"
