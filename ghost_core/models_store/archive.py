"""Unpacking model packs (the insightface antelopev2 zip) into an asset folder.

Only the members the manifest names are kept, matched by base name because upstream zips wrap
them in a folder; names never come from the zip itself, so a hostile archive cannot write elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from ghost_core.errors import ModelError, OutputError
from ghost_core.models_store.hashing import part_path, write_part
from ghost_core.models_store.lockfile import file_record


def unpack_members(archive: Path, members: tuple[str, ...], folder: Path) -> dict[str, dict[str, Any]]:
    """Extract `members` of the zip `archive` into `folder`, atomically per file; returns lock records."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            chosen = _pick(bundle, members, archive)
            return {name: _extract(bundle, chosen[name], folder / name) for name in members}
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{archive} is not a readable zip ({exc}): get a good copy and reinstall") from None


def _pick(bundle: zipfile.ZipFile, members: tuple[str, ...], archive: Path) -> dict[str, zipfile.ZipInfo]:
    by_name: dict[str, list[zipfile.ZipInfo]] = {}
    for info in bundle.infolist():
        if not info.is_dir():
            by_name.setdefault(PurePosixPath(info.filename.replace("\\", "/")).name, []).append(info)
    missing = [name for name in members if name not in by_name]
    if missing:
        raise ModelError(
            f"{archive} lacks {', '.join(missing)}: check the archive or the members listed in the manifest"
        )
    doubled = [name for name in members if len(by_name[name]) > 1]
    if doubled:
        raise ModelError(f"{archive} holds several copies of {', '.join(doubled)}: repack it with one each")
    return {name: by_name[name][0] for name in members}


def _extract(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path) -> dict[str, Any]:
    part = part_path(dest)
    try:
        with bundle.open(info) as reader:  # zipfile checks the member's CRC at the end of the read
            sha256 = write_part(reader, part, info.file_size, f"unpack {dest.name}")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        if isinstance(exc, OSError):
            raise OutputError(
                f"cannot write {part} ({exc.strerror}): free disk space there or set GHOSTSWAP_HOME"
            ) from None
        raise
    os.replace(part, dest)
    return file_record(dest, sha256)
