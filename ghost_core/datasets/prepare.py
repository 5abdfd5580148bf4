"""Training sets in GHOST's own crop: a VGGFace2-style folder, or one shot's fine-tuning set.

Crops come from the engine's own detector and alignment (five pose templates, 224), so what the
generator trains on is what render feeds it. They are stored as 16-bit PNGs of model-space floats:
an 8-bit step would add banding the network would learn. GHOST dropped photos without a face
silently; here they are counted and listed in the manifest, so a thin identity is visible.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ghost_core.console import log
from ghost_core.console import progress as progress_bar
from ghost_core.errors import InputError, UsageError
from ghost_core.faces.align import CROP_SIZE, estimate_norm, warp_crop
from ghost_core.io.atomic import atomic_output, make_output_folder
from ghost_core.io.png16 import write_png16

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
MANIFEST = "dataset.json"
SHOT_MANIFEST = "shot.json"
FORMAT = 1


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _previous_skips(out_root: Path, detector: str, min_size: int) -> dict[str, str]:
    """Photos a former run with the same detector and size limit found no face in: not retried."""
    path = out_root / MANIFEST
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if old.get("detector") != detector or old.get("min_size") != min_size:
        return {}
    return {s["path"]: s["reason"] for s in old.get("skipped", []) if "path" in s and "reason" in s}


def aligned_face(image: np.ndarray, detector: Any, min_size: int) -> tuple[np.ndarray | None, str]:
    """The most confident face at least `min_size` px wide as a GHOST 224 crop, or None and why not."""
    faces = detector.detect(image)
    if not faces:
        return None, "no face"
    big = [f for f in faces if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= min_size]
    if not big:
        return None, f"face smaller than {min_size} px"
    return warp_crop(image, estimate_norm(big[0].kps)), ""


def prepare_folder(
    src_root: str | Path,
    out_root: str | Path,
    detector: str = "auto",
    min_size: int = 32,
    progress: bool = True,
) -> dict[str, Any]:
    """src_root/<identity>/<image> → out_root/<identity>/<stem>.png plus out_root/dataset.json.

    Resumable: crops already on disk are kept (each was written atomically, so none is partial), and
    photos a former run found no face in are not searched again. `min_size`: smallest face side in px.
    """
    from ghost_core.faces.detectors import open_detector
    from ghost_core.io.source_image import read_source_image

    src_root, out_root = Path(src_root), Path(out_root)
    if not src_root.is_dir():
        raise InputError(f"{src_root}: not a folder; give a folder of <identity>/<image> photos")
    if out_root.resolve() == src_root.resolve() or src_root.resolve() in out_root.resolve().parents:
        raise UsageError(f"{out_root}: write the crops outside the source folder {src_root}")
    people = sorted(p for p in src_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    jobs = [(person.name, image) for person in people for image in _images(person)]
    if not jobs:
        raise InputError(f"{src_root}: no <identity>/<image> photos found ({', '.join(IMAGE_SUFFIXES)})")
    engine = open_detector(detector)
    name = getattr(engine, "name", detector)
    make_output_folder(out_root)
    known_skips = _previous_skips(out_root, name, min_size)
    identities: dict[str, list[str]] = {}
    skipped: list[dict[str, str]] = []
    made = kept = 0
    bar = progress_bar(jobs, total=len(jobs), desc="align faces", unit="photo") if progress else jobs
    for person, image_path in bar:
        rel = f"{person}/{image_path.name}"
        target = out_root / person / f"{image_path.stem}.png"
        if target.is_file():
            identities.setdefault(person, []).append(f"{person}/{target.name}")
            kept += 1
            continue
        if rel in known_skips:
            skipped.append({"path": rel, "reason": known_skips[rel]})
            continue
        try:
            image = read_source_image(image_path)
        except InputError as exc:
            skipped.append({"path": rel, "reason": f"unreadable: {exc}"})
            continue
        crop, reason = aligned_face(image, engine, min_size)
        if crop is None:
            skipped.append({"path": rel, "reason": reason})
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png16(target, crop)
        identities.setdefault(person, []).append(f"{person}/{target.name}")
        made += 1
    if skipped:
        log.warning("%d of %d photos had no usable face; listed in %s", len(skipped), len(jobs), MANIFEST)
    manifest = {
        "format": FORMAT,
        "source": str(src_root),
        "detector": name,
        "min_size": min_size,
        "crop_size": CROP_SIZE,
        "alignment": "GHOST five pose templates (ghost_core.faces.align.estimate_norm)",
        "encoding": "16-bit PNG, model-space sRGB-encoded RGB, value = round(x * 65535)",
        "identities": {k: sorted(v) for k, v in sorted(identities.items())},
        "skipped": skipped,
    }
    _write_json(out_root / MANIFEST, manifest)
    return {
        "out": str(out_root),
        "identities": len(identities),
        "files": sum(len(v) for v in identities.values()),
        "written": made,
        "kept": kept,
        "skipped": len(skipped),
        "manifest": str(out_root / MANIFEST),
    }


def prepare_shot(
    plate: str,
    sources: Sequence[str | Path],
    out_dir: str | Path,
    frames: str | None = None,
    track_id: int | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """One shot's fine-tuning set: out_dir/source/*.png (the new face) and out_dir/target/*.png.

    Target crops use the engine's own shot analysis: the smoothed key points of the face render would
    replace (or of `track_id`), cut from each plate frame through the engine's colour path and exposure
    gain, so they are exactly the crops the generator will see. `settings` are further ShotSettings
    fields (detector, colorspace, ocio, targets…); the swapper defaults to the offline morph because
    only the analysis is needed.
    """
    from ghost_core.engine.crops import cut_face
    from ghost_core.engine.render import requested_frames
    from ghost_core.engine.shot import Shot
    from ghost_core.io.exr import read_frame
    from ghost_core.io.memory import streaming_buffers
    from ghost_core.knobs import ShotSettings

    if not sources:
        raise UsageError("give at least one --source photo of the new face")
    settings.setdefault("swapper", "morph")
    job = ShotSettings(plate=str(plate), sources=[[str(s) for s in sources]], frames=frames, **settings)
    if track_id is not None:
        job = replace(job, track_ids=[int(track_id)])
    out_dir = Path(out_dir)
    shot = Shot(job)
    tf = shot.analyse(requested_frames(job))
    chosen = [t for t in tf.tracks if t.source is not None]
    if not chosen:
        raise InputError(f"{plate}: no face track chosen to replace; pass --track-id (see `ghostswap track`)")
    track = chosen[0]
    source_dir, target_dir = out_dir / "source", out_dir / "target"
    make_output_folder(source_dir)
    make_output_folder(target_dir)
    source_files = []
    for photo in shot.people[0]:
        path = source_dir / f"{photo.path.stem}.png"
        write_png16(path, photo.crop)
        source_files.append(path.name)
    pattern = shot.pattern
    target_files: dict[str, str] = {}
    missing: list[int] = []
    with streaming_buffers():
        for i, key in enumerate(
            progress_bar(track.frames, total=len(track.frames), desc="target crops", unit="frame")
        ):
            frame = key if pattern.is_sequence else None
            plate_frame = read_frame(pattern.path(frame))
            crop = cut_face(
                plate_frame.rgba_source(),
                shot.colours(plate_frame),
                track.smoothed_kps[i],
                track.exposure_gain or 1.0,
            )
            if crop is None:
                missing.append(key)
                continue
            name = f"{key:06d}.png" if frame is not None else "still.png"
            write_png16(target_dir / name, crop.seen)
            target_files[str(key)] = name
    summary = {
        "format": FORMAT,
        "plate": str(plate),
        "sources": [str(s) for s in sources],
        "track_id": track.id,
        "frames": [int(f) for f in track.frames],
        "off_frame": missing,
        "crop_size": CROP_SIZE,
        "exposure_gain": track.exposure_gain,
        "encoding": "16-bit PNG, model-space sRGB-encoded RGB, value = round(x * 65535)",
        "source_files": source_files,
        "target_files": target_files,
    }
    _write_json(out_dir / SHOT_MANIFEST, summary)
    return {
        "out": str(out_dir),
        "source": str(source_dir),
        "target": str(target_dir),
        "source_crops": len(source_files),
        "target_crops": len(target_files),
        "track_id": track.id,
        "manifest": str(out_dir / SHOT_MANIFEST),
    }
