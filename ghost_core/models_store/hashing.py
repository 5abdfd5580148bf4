"""Hashing, verified copies and the final atomic rename shared by downloads and `--from` installs.

Every file reaches its final name only through `finish`, after its sha256 checked out, so a
crash or a bad transfer can leave a `.part` file behind but never a wrong file under the real name.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from ghost_core.console import progress
from ghost_core.errors import DownloadError, InputError, ModelError

CHUNK = 1 << 20


def part_path(dest: Path) -> Path:
    """Where a file is assembled before it is verified and renamed into place."""
    return dest.with_name(dest.name + ".part")


def sha256_file(path: Path, label: str | None = None) -> str:
    """Hex sha256 of a file; a progress bar when `label` is given (big weights take seconds)."""
    digest = hashlib.sha256()
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            bar = progress(total=size, desc=label, unit="B", unit_scale=True) if label else None
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
    except OSError as exc:
        raise ModelError(f"cannot read {path} ({exc.strerror}): check its permissions") from None
    return digest.hexdigest()


def write_part(reader: BinaryIO, part: Path, size: int | None, label: str) -> str:
    """Stream `reader` into `part`, hashing and showing progress on the way; returns the sha256."""
    digest = hashlib.sha256()
    bar = progress(total=size, desc=label, unit="B", unit_scale=True)
    try:
        with open(part, "wb") as writer:
            while chunk := reader.read(CHUNK):
                writer.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    finally:
        bar.close()
    return digest.hexdigest()


def copy_with_hash(src: Path, dest: Path, label: str) -> str:
    """Copy `src` into `dest`'s `.part` file, hashing on the way; returns the sha256."""
    part = part_path(dest)
    try:
        with open(src, "rb") as reader:
            return write_part(reader, part, src.stat().st_size, label)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise InputError(
            f"cannot copy {src} to {dest.parent} ({exc.strerror}: {exc.filename}): "
            "check that the source is readable and the cache has free space"
        ) from None


def finish(dest: Path, actual_sha256: str, expected_sha256: str | None, expected_size: int | None) -> None:
    """Verify the `.part` file of `dest` and rename it into place; a bad file is deleted and refused."""
    part = part_path(dest)
    size = part.stat().st_size
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"has {size} bytes, expected {expected_size}"
    elif expected_sha256 is not None and actual_sha256 != expected_sha256:
        problem = f"sha256 mismatch: expected {expected_sha256}, got {actual_sha256}"
    if problem:
        part.unlink()
        raise DownloadError(
            f"{dest.name} {problem}; the bad copy was deleted: retry, and if it persists check the "
            "source (mirror, --from folder) or the manifest"
        )
    os.replace(part, dest)
