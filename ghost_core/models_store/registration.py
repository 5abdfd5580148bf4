"""`register_local`: copy the user's own weights into the cache and list them in user_models.json.

It sits above the store (it installs the copy) and `user_models` (whose file it writes), so the
store can read user models without importing this module back.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ghost_core.console import log
from ghost_core.errors import InputError, UsageError
from ghost_core.models_store.hashing import sha256_file
from ghost_core.models_store.home import cache_root
from ghost_core.models_store.lockfile import LOCKS_DIR, LockFile, exclusive, write_json_atomic
from ghost_core.models_store.manifest import _NAME_RE, parse_asset
from ghost_core.models_store.store import ModelStore, load_manifest
from ghost_core.models_store.user_models import USER_MANIFEST, USER_VERSION, read_tables, user_manifest_path

REGISTRABLE = ("generator", "discriminator", "arcface", "enhancer", "eye_landmarks")


def _check_loads(kind: str, path: Path) -> int | None:
    """Refuse a file the inference code could not load strictly; returns the generator's block count."""
    from ghost_core import nets

    loaders = {
        "generator": nets.load_generator,
        "discriminator": nets.load_discriminator,
        "arcface": nets.load_arcface,
        "enhancer": nets.load_enhancer,
    }
    if kind not in loaders:
        return None
    net = loaders[kind](path)
    return getattr(net, "num_blocks", None)


def register_local(
    name: str,
    path: str | Path,
    kind: str = "generator",
    *,
    description: str = "",
    licence: str = "user model: inherits the terms of the weights and data it was trained from",
    num_blocks: int | None = None,
    replace: bool = False,
    root: Path | None = None,
) -> dict[str, Any]:
    """Copy `path` into the cache as model `name` (sha256 pinned) and list it in user_models.json."""
    root = root if root is not None else cache_root()
    path = Path(path).expanduser()
    if not _NAME_RE.match(name):
        raise UsageError(f"model name {name!r}: use lower-case letters, digits and underscores")
    if kind not in REGISTRABLE:
        raise UsageError(f"cannot register a {kind}: use one of {', '.join(REGISTRABLE)}")
    if not path.is_file():
        raise InputError(f"{path}: model file not found; check the path")
    official = load_manifest(root, include_user=False)
    if name in official.assets:
        raise UsageError(f"{name!r} is an official model name: choose another --name")
    blocks = _check_loads(kind, path) or num_blocks
    if kind in ("generator", "discriminator") and not blocks:
        raise UsageError(f"registering a {kind} needs num_blocks")
    digest = sha256_file(path)
    table: dict[str, Any] = {
        "kind": kind,
        "file": path.name,
        "url": path.resolve().as_uri(),
        "licence": licence,
        "description": description or f"registered from {path}",
        "sha256": digest,
        "size": path.stat().st_size,
    }
    if blocks:
        table["num_blocks"] = int(blocks)
    parse_asset(name, table, str(user_manifest_path(root)))  # same validation as the manifest
    manifest_path = user_manifest_path(root)
    with exclusive(root / LOCKS_DIR / f"{USER_MANIFEST}.mutex"):
        tables = read_tables(manifest_path)
        if name in tables and not replace:
            raise UsageError(f"model {name!r} is already registered: choose another name or replace it")
        if name in tables:
            _forget_install(root, name)
        tables[name] = table
        write_json_atomic(manifest_path, {"version": USER_VERSION, "models": tables})
    store = ModelStore(root)
    result = store.install(name, from_dir=path.parent)
    log.info("registered %s (%s) from %s", name, kind, path)
    return {**result, "kind": kind, "num_blocks": table.get("num_blocks")}


def _forget_install(root: Path, name: str) -> None:
    """Drop an earlier registration's installed copy so the new file can take its place."""
    shutil.rmtree(root / "models" / name, ignore_errors=True)
    LockFile(root).update(lambda models: models.pop(name, None))
