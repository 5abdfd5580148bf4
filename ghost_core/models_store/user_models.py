"""Models the user made (fine-tuned or self-trained GHOST weights), listed beside the official ones.

They are listed in `<cache root>/user_models.json` with the same fields as the official manifest,
their sha256 pinned at registration, and installed into the cache like any other model, so
`ghostswap render --model NAME`, `models list/verify/path` treat them the same way. Official
names cannot be taken. This module only reads that file; `registration.register_local` adds to it
(it needs the store, which reads this module: keeping them apart keeps the imports one-way).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ghost_core.errors import ModelError
from ghost_core.models_store.home import cache_root
from ghost_core.models_store.manifest import Asset, Manifest, parse_asset

USER_MANIFEST = "user_models.json"
USER_VERSION = 1


def user_manifest_path(root: Path | None = None) -> Path:
    return (root if root is not None else cache_root()) / USER_MANIFEST


def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The raw `models` tables of a user manifest (empty when there is none yet)."""
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
    tables = read_tables(path)
    assets = {}
    for name, table in tables.items():
        if name in official.assets:
            raise ModelError(f"{path}: {name!r} is an official model name: rename or remove that entry")
        assets[name] = parse_asset(name, table, str(path))
    return assets
