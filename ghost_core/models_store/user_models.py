"""Models the user made (fine-tuned or self-trained GHOST weights), registered beside the official ones.

They are listed in `<cache root>/user_models.json` with the same fields as the official manifest,
their sha256 pinned at registration, and installed into the cache like any other model, so
`ghostswap render --model NAME`, `models list/verify/path` treat them the same way. Official
names cannot be taken.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ghost_core.console import log
from ghost_core.errors import InputError, ModelError, UsageError
from ghost_core.models_store.hashing import sha256_file
from ghost_core.models_store.lockfile import LOCKS_DIR, LockFile, exclusive, write_json_atomic
from ghost_core.models_store.manifest import _NAME_RE, Asset, Manifest, parse_asset

USER_MANIFEST = "user_models.json"
USER_VERSION = 1
REGISTRABLE = ("generator", "discriminator", "arcface", "enhancer", "eye_landmarks")


def _root(root: Path | None) -> Path:
    from ghost_core.models_store.store import cache_root

    return root if root is not None else cache_root()


def user_manifest_path(root: Path | None = None) -> Path:
    return _root(root) / USER_MANIFEST


def _read_tables(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path} ({exc}): fix or delete it") from None
    tables = data.get("models") if isinstance(data, dict) else None
    if not isinstance(tables, dict):
        raise ModelError(f"{path} has no 'models' table: fix or delete it")
    return tables


def read_user_assets(root: Path | None, official: Manifest) -> dict[str, Asset]:
    """The registered assets; a name that clashes with an official one is an error."""
    path = user_manifest_path(root)
    tables = _read_tables(path)
    assets = {}
    for name, table in tables.items():
        if name in official.assets:
            raise ModelError(f"{path}: {name!r} is an official model name: rename or remove that entry")
        assets[name] = parse_asset(name, table, str(path))
    return assets



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
    from ghost_core.models_store.manifest import load_manifest
    from ghost_core.models_store.store import ModelStore

    root = _root(root)
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
        tables = _read_tables(manifest_path)
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
