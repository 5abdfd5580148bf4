"""Source photos and reference images: any format OpenImageIO reads, as model-space float RGB.

Photos (JPEG, PNG, WebP, TIFF) are display-referred sRGB, which is GHOST's model space already,
so they are only converted to float (never re-quantised). EXR stills are scene-linear and go
through the same colour path as plates.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from ghost_core.errors import InputError

LINEAR_FORMATS = ("openexr", "hdr")


def read_source_image(path: str | Path, colorspace: str | None = None) -> np.ndarray:
    """H×W×3 float32 RGB in model space, EXIF orientation applied; InputError names the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: image not found; check the path")
    buf = oiio.ImageBuf(str(path))
    if buf.has_error or buf.spec().nchannels == 0:
        message = " ".join(buf.geterror().split()) or "unreadable"
        raise InputError(f"{path}: cannot read this image ({message}); use a JPEG, PNG, TIFF or EXR")
    buf = oiio.ImageBufAlgo.reorient(buf)
    pixels = buf.get_pixels(oiio.FLOAT)
    if pixels is None or pixels.size == 0:
        raise InputError(f"{path}: image has no pixels")
    pixels = np.asarray(pixels, np.float32)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    channels = pixels.shape[-1]
    rgb = np.repeat(pixels[..., :1], 3, axis=-1) if channels < 3 else pixels[..., :3]
    if not np.isfinite(rgb).all():
        raise InputError(f"{path}: image contains NaN or Inf pixels")
    fmt = buf.file_format_name
    if fmt in LINEAR_FORMATS:
        from ghost_core.color import ColorPath, load_config

        config = load_config()
        path_ = ColorPath.create(config, plate=colorspace, spec=buf.spec())
        rgb = path_.to_model(np.ascontiguousarray(rgb))
    return np.ascontiguousarray(rgb, np.float32)
