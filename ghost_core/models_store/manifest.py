"""The model manifest: which official files exist, where they come from and what they are.

It ships inside the package as `ghost_core.manifests` so an installed ghostswap needs no checkout;
from a plain checkout the same file is read from `models/manifest.toml`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ghost_core
from ghost_core.errors import ModelError, UsageError

MANIFEST_ENV = "GHOSTSWAP_MANIFEST"
MIRROR_ENV = "GHOSTSWAP_MODEL_MIRROR"

KINDS = (
    "generator", "discriminator", "arcface", "enhancer", "detector_pack", "eye_landmarks", "face_parser",
)
_REQUIRED = ("kind", "file", "url", "licence", "description")
_OPTIONAL = ("size", "sha256", "num_blocks", "archive", "members", "default")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Asset:
    """One downloadable model file (or archive) as described by the manifest."""

    name: str
    kind: str
    file: str
    url: str
    licence: str
    description: str
    size: int | None = None
    sha256: str | None = None
    num_blocks: int | None = None
    archive: str | None = None
    members: tuple[str, ...] = ()
    default: bool = False

    @property
    def is_pack(self) -> bool:
        """An archive that is unpacked into the asset's folder instead of kept as one file."""
        return self.archive is not None

    @property
    def installed_files(self) -> tuple[str, ...]:
        """The file names that end up in the asset's cache folder."""
        return self.members if self.is_pack else (self.file,)

    def source_url(self) -> str:
        """The URL to fetch, honouring a studio mirror (`<mirror>/<file>`) when one is set."""
        mirror = os.environ.get(MIRROR_ENV, "").strip()
        return f"{mirror.rstrip('/')}/{self.file}" if mirror else self.url


@dataclass(frozen=True)
class Manifest:
    """All assets, keyed by name, plus where they were read from (for error messages)."""

    assets: dict[str, Asset]
    source: str

    def get(self, name: str) -> Asset:
        """The asset called `name`; an unknown name is a usage error that lists the valid ones."""
        try:
            return self.assets[name]
        except KeyError:
            valid = ", ".join(sorted(self.assets))
            raise UsageError(f"unknown model {name!r}: choose one of {valid}") from None

    def names(self) -> list[str]:
        return list(self.assets)

    def default(self, kind: str) -> Asset:
        """The asset marked `default = true` for a kind (e.g. the generator inference uses)."""
        for asset in self.assets.values():
            if asset.kind == kind and asset.default:
                return asset
        raise ModelError(f"{self.source} marks no default {kind}: add `default = true` to one of them")


def _packaged_manifest() -> Any | None:
    """The manifest shipped in the installed package, or None when running from a bare checkout."""
    try:
        candidate = resources.files("ghost_core.manifests") / "manifest.toml"
    except ModuleNotFoundError:
        return None
    return candidate if candidate.is_file() else None


def _checkout_manifest() -> Path:
    return Path(ghost_core.__file__).resolve().parent.parent / "models" / "manifest.toml"


def manifest_text() -> tuple[str, str]:
    """(TOML text, where it came from): $GHOSTSWAP_MANIFEST, else the packaged copy, else the checkout."""
    override = os.environ.get(MANIFEST_ENV, "").strip()
    if override:
        path = Path(override).expanduser()
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ModelError(
                f"cannot read manifest {path} ({exc.strerror}): fix or unset {MANIFEST_ENV}"
            ) from None
    packaged = _packaged_manifest()
    if packaged is not None:
        return packaged.read_text(encoding="utf-8"), str(packaged)
    path = _checkout_manifest()
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except OSError:
        raise ModelError(
            f"no model manifest found (looked for ghost_core.manifests and {path}): "
            f"reinstall ghostswap or set {MANIFEST_ENV}"
        ) from None


def load_official() -> Manifest:
    """The official manifest alone (`store.load_manifest` adds the user's registered models)."""
    text, source = manifest_text()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"cannot parse manifest {source} ({exc}): fix its TOML syntax") from None
    tables = data.get("models")
    if not isinstance(tables, dict) or not tables:
        raise ModelError(f"manifest {source} has no [models.<name>] tables: add at least one")
    assets = {name: parse_asset(name, table, source) for name, table in tables.items()}
    for kind in KINDS:
        defaults = [a.name for a in assets.values() if a.kind == kind and a.default]
        if len(defaults) > 1:
            raise ModelError(
                f"manifest {source} marks several default {kind}s ({', '.join(defaults)}): keep one"
            )
    return Manifest(assets=assets, source=source)


def parse_asset(name: str, table: Any, source: str) -> Asset:
    where = f"[models.{name}] in {source}"

    def bad(problem: str) -> ModelError:
        return ModelError(f"{where}: {problem}: fix the manifest")

    if not _NAME_RE.match(name):
        raise bad("names use lower-case letters, digits and underscores")
    if not isinstance(table, dict):
        raise bad("expected a table")
    unknown = sorted(set(table) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}")
    missing = [key for key in _REQUIRED if not isinstance(table.get(key), str) or not table[key].strip()]
    if missing:
        raise bad(f"missing text field(s) {', '.join(missing)}")
    if table["kind"] not in KINDS:
        raise bad(f"kind {table['kind']!r} is not one of {', '.join(KINDS)}")
    _check_plain_name(table["file"], bad)
    size, sha256 = table.get("size"), table.get("sha256")
    if size is not None and (type(size) is not int or size <= 0):
        raise bad("size must be a positive integer (bytes)")
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA_RE.match(sha256)):
        raise bad("sha256 must be 64 lower-case hex digits")
    num_blocks = table.get("num_blocks")
    if table["kind"] in ("generator", "discriminator") and (type(num_blocks) is not int or num_blocks < 1):
        raise bad("generators and discriminators need num_blocks (a positive integer)")
    archive, members = table.get("archive"), table.get("members")
    if archive not in (None, "zip"):
        raise bad('archive must be "zip"')
    if (archive is None) != (members is None):
        raise bad("archive and members go together")
    if members is not None:
        if not isinstance(members, list) or not members or len(set(members)) != len(members):
            raise bad("members must be a non-empty list of distinct file names")
        for member in members:
            _check_plain_name(member, bad)
    if not isinstance(table.get("default", False), bool):
        raise bad("default must be true or false")
    return Asset(
        name=name,
        kind=table["kind"],
        file=table["file"],
        url=table["url"],
        licence=table["licence"],
        description=table["description"],
        size=size,
        sha256=sha256,
        num_blocks=num_blocks,
        archive=archive,
        members=tuple(members or ()),
        default=table.get("default", False),
    )


def _check_plain_name(value: Any, bad: Callable[[str], ModelError]) -> None:
    """File names become paths inside the cache, so no folders and no `..`."""
    if not isinstance(value, str) or not value or "/" in value or "\\" in value or value in (".", ".."):
        raise bad(f"{value!r} must be a plain file name")
