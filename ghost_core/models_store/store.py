"""The model cache: install, resolve, verify and list the files the manifest describes.

Layout: `<root>/models/<name>/<file>` (a pack's members sit in `<root>/models/<name>/`), plus the
lock file `<root>/models.lock.json`. Render code calls `resolve`, which is cheap (a stat per file)
unless a file changed since it was recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ghost_core.console import log
from ghost_core.errors import DownloadError, InputError, ModelError, OutputError, UsageError
from ghost_core.models_store.archive import unpack_members
from ghost_core.models_store.download import fetch
from ghost_core.models_store.hashing import copy_with_hash, finish, sha256_file
from ghost_core.models_store.home import cache_root
from ghost_core.models_store.lockfile import LOCKS_DIR, LockFile, exclusive, file_record
from ghost_core.models_store.manifest import Asset, Manifest, load_official
from ghost_core.models_store.user_models import read_user_assets

Records = dict[str, dict[str, Any]]


def load_manifest(root: Path | None = None, *, include_user: bool = True) -> Manifest:
    """The official manifest plus the models the user registered in the cache at `root`.

    `root` defaults to the cache root. User models (e.g. fine-tuned generators) come after the
    official ones and can never replace an official name. They are merged here, not in the
    manifest loader, so reading the manifest never depends on the cache.
    """
    official = load_official()
    if not include_user:
        return official
    user = read_user_assets(root if root is not None else cache_root(), official)
    if not user:
        return official
    return Manifest(assets={**official.assets, **user}, source=official.source)


def _mismatch(path: Path, expected: str, actual: str, name: str) -> str:
    return (
        f"{path} does not match its pinned sha256 (expected {expected}, got {actual}): "
        f"delete it and reinstall with `ghostswap models install {name}`"
    )


class ModelStore:
    """One cache root read against one manifest; the module-level functions use the defaults."""

    def __init__(self, root: Path | None = None, manifest: Manifest | None = None) -> None:
        self.root = root if root is not None else cache_root()
        self.manifest = manifest if manifest is not None else load_manifest(self.root)
        self.lock = LockFile(self.root)

    def folder(self, name: str) -> Path:
        return self.root / "models" / name

    def path(self, name: str) -> Path:
        """Where an asset lives once installed: its file, or its folder for a pack."""
        asset = self.manifest.get(name)
        return self.folder(name) if asset.is_pack else self.folder(name) / asset.file

    # ---- install -------------------------------------------------------------------------------

    def install(self, name: str, from_dir: Path | str | None = None) -> dict[str, Any]:
        """Download (or copy from `from_dir`) one asset, verify it and record it in the lock file."""
        asset = self.manifest.get(name)
        folder = self.folder(name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create {folder} ({exc.strerror}): set GHOSTSWAP_HOME to a writable folder"
            ) from None
        with exclusive(self.root / LOCKS_DIR / f"{name}.lock"):
            entry = self.lock.entry(name) or {}
            present = self._check_present(asset, entry)
            if present is not None:
                self._record(asset, present, entry.get("sha256"), entry.get("source"))
                action, source = "already installed", entry.get("source")
            elif from_dir is not None:
                present, pin, source = self._copy_from(asset, entry, Path(from_dir).expanduser())
                self._record(asset, present, pin, source)
                action = "copied"
            else:
                present, pin, source = self._download(asset, entry)
                self._record(asset, present, pin, source)
                action = "downloaded"
        recorded = self.lock.entry(name) or {}
        first_pin = not asset.sha256 and not entry.get("sha256") and recorded.get("sha256")
        if action != "already installed" and first_pin:
            log.info(
                "%s: pinned sha256 %s in %s (the manifest has none)",
                name,
                recorded.get("sha256"),
                self.lock.path,
            )
        log.info("%s: %s at %s", name, action, self.path(name))
        return {
            "name": name,
            "action": action,
            "path": str(self.path(name)),
            "sha256": recorded.get("sha256"),
            "size": sum(rec["size"] for rec in present.values()),
            "source": source,
        }

    def _expected(self, asset: Asset, entry: dict[str, Any], file: str) -> str | None:
        """The hash an installed file must have: the manifest's, else the one pinned in the lock."""
        if not asset.is_pack:
            return asset.sha256 or entry.get("sha256")
        record = (entry.get("files") or {}).get(file)
        return record["sha256"] if record else None

    def _check_present(self, asset: Asset, entry: dict[str, Any]) -> Records | None:
        """Fully re-hash files already in place; None if any is absent, an error if one was altered."""
        folder = self.folder(asset.name)
        if not all((folder / file).is_file() for file in asset.installed_files):
            return None
        records: Records = {}
        for file in asset.installed_files:
            path = folder / file
            actual = sha256_file(path, label=f"verify {file}")
            expected = self._expected(asset, entry, file)
            if expected is not None and actual != expected:
                raise ModelError(_mismatch(path, expected, actual, asset.name))
            records[file] = file_record(path, actual)
        return records

    def _download(self, asset: Asset, entry: dict[str, Any]) -> tuple[Records, str, str]:
        url = asset.source_url()
        expected = asset.sha256 or entry.get("sha256")
        target = self.folder(asset.name) / asset.file
        log.info("%s: downloading %s", asset.name, url)
        actual = fetch(url, target, expected_sha256=expected, expected_size=asset.size)
        if not asset.is_pack:
            return {asset.file: file_record(target, actual)}, actual, url
        try:
            records = unpack_members(target, asset.members, self.folder(asset.name))
        finally:
            target.unlink(missing_ok=True)  # the members are what we keep; the zip only doubles the disk
        return records, actual, url

    def _copy_from(
        self, asset: Asset, entry: dict[str, Any], from_dir: Path
    ) -> tuple[Records, str | None, str]:
        if not from_dir.is_dir():
            raise InputError(f"{from_dir} is not a folder: pass the folder holding the model files to --from")
        folder = self.folder(asset.name)
        source = find_source(asset, from_dir)
        if source is None:
            wanted = asset.file if not asset.is_pack else f"{asset.file} or {', '.join(asset.members)}"
            raise InputError(
                f"{wanted} not found in {from_dir} or {from_dir / asset.name}: copy it there or pick "
                "another --from folder"
            )
        if not asset.is_pack:
            target = folder / asset.file
            actual = copy_with_hash(source, target, label=asset.file)
            finish(target, actual, asset.sha256 or entry.get("sha256"), asset.size)
            return {asset.file: file_record(target, actual)}, actual, str(source)
        if source.is_file():  # the archive itself: hash it in place, then unpack straight from it
            actual = sha256_file(source, label=f"verify {asset.file}")
            expected = asset.sha256 or entry.get("sha256")
            if expected is not None and actual != expected:
                raise DownloadError(
                    f"{source} does not match the expected sha256 (expected {expected}, got {actual}): "
                    "get a good copy of the archive"
                )
            return unpack_members(source, asset.members, folder), actual, str(source)
        records: Records = {}
        for member in asset.members:  # loose members, e.g. copied from another machine's cache
            target = folder / member
            actual = copy_with_hash(source / member, target, label=member)
            finish(target, actual, self._expected(asset, entry, member), None)
            records[member] = file_record(target, actual)
        return records, entry.get("sha256"), str(source)

    def _record(self, asset: Asset, records: Records, pin: str | None, source: str | None) -> None:
        def change(models: dict[str, dict[str, Any]]) -> None:
            old = models.get(asset.name) or {}
            models[asset.name] = {
                "kind": asset.kind,
                "file": asset.file,
                "sha256": records[asset.file]["sha256"] if not asset.is_pack else pin,
                "source": source,
                "installed_at": old.get("installed_at")
                if old.get("files") == records
                else datetime.now(UTC).isoformat(timespec="seconds"),
                "files": records,
            }

        self.lock.update(change)

    def available_in(self, from_dir: Path | str) -> list[str]:
        """Names of the assets whose files are present in `from_dir` (for `install --from DIR`)."""
        base = Path(from_dir).expanduser()
        if not base.is_dir():
            raise InputError(f"{base} is not a folder: pass the folder holding the model files to --from")
        return [a.name for a in self.manifest.assets.values() if find_source(a, base) is not None]

    # ---- resolve / verify / list ---------------------------------------------------------------

    def resolve(self, name: str) -> Path:
        """The installed path; cheap unless size or mtime changed, in which case the file is re-hashed."""
        asset = self.manifest.get(name)
        entry = self.lock.entry(name) or {}
        records: Records = entry.get("files") or {}
        hint = f"run `ghostswap models install {name}`"
        if not set(asset.installed_files) <= set(records):
            raise ModelError(f"model {name} is not installed: {hint}")
        refreshed: Records = {}
        for file in asset.installed_files:
            path, record = self.folder(name) / file, records[file]
            try:
                stat = path.stat()
            except OSError:
                raise ModelError(f"model {name} is not installed ({path} is missing): {hint}") from None
            expected = self._expected(asset, entry, file) or record["sha256"]
            if expected != record["sha256"]:
                raise ModelError(
                    f"{path} was installed for another manifest version (sha256 {record['sha256']}, the "
                    f"manifest wants {expected}): delete it and {hint}"
                )
            if stat.st_size == record["size"] and stat.st_mtime_ns == record["mtime_ns"]:
                continue
            if stat.st_size != record["size"]:
                raise ModelError(
                    f"{path} changed since it was installed ({stat.st_size} bytes, {record['size']} "
                    f"recorded): delete it and reinstall with `ghostswap models install {name}`"
                )
            actual = sha256_file(path, label=f"check {file}")
            if actual != expected:
                raise ModelError(_mismatch(path, expected, actual, name))
            refreshed[file] = file_record(path, actual)
        if refreshed:
            self._refresh(name, refreshed)
        return self.path(name)

    def _refresh(self, name: str, refreshed: Records) -> None:
        def change(models: dict[str, dict[str, Any]]) -> None:
            models.setdefault(name, {}).setdefault("files", {}).update(refreshed)

        self.lock.update(change)

    def file_sha256(self, name: str, member: str | None = None) -> str:
        """The recorded sha256 of an installed file (a pack needs `member`), e.g. to name ONNX exports."""
        asset = self.manifest.get(name)
        if asset.is_pack and member not in asset.members:
            raise UsageError(f"{name} is a pack: pass member= one of {', '.join(asset.members)}")
        if not asset.is_pack and member not in (None, asset.file):
            raise UsageError(f"{name} holds only {asset.file}, not {member}")
        self.resolve(name)
        entry = self.lock.entry(name) or {}
        return entry["files"][member or asset.file]["sha256"]

    def verify(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        """Fully re-hash installed files against their pins; one result per asset, nothing raised."""
        locked = self.lock.read()
        if names:
            targets = [self.manifest.get(name) for name in names]
        else:
            targets = [
                a
                for a in self.manifest.assets.values()
                if a.name in locked or any((self.folder(a.name) / f).exists() for f in a.installed_files)
            ]
        return [self._verify_one(asset, locked.get(asset.name) or {}) for asset in targets]

    def _verify_one(self, asset: Asset, entry: dict[str, Any]) -> dict[str, Any]:
        folder, name = self.folder(asset.name), asset.name
        hint = f"run `ghostswap models install {name}`"
        missing = [folder / f for f in asset.installed_files if not (folder / f).is_file()]
        hashes: dict[str, str] = {}
        status, detail = "ok", ""
        if not entry.get("files"):
            if len(missing) == len(asset.installed_files):
                status, detail = "not installed", hint
            else:
                status, detail = "unrecorded", f"files found but never recorded: {hint} to check them"
        elif missing:
            status, detail = "missing", f"{missing[0]} is missing: {hint}"
        else:
            records: Records = {}
            for file in asset.installed_files:
                path = folder / file
                actual = sha256_file(path, label=f"verify {file}")
                expected = self._expected(asset, entry, file)
                hashes[file] = actual
                if expected is not None and actual != expected:
                    status, detail = "mismatch", _mismatch(path, expected, actual, name)
                    break
                records[file] = file_record(path, actual)
            if status == "ok":
                self._refresh(name, records)
        return {
            "name": name,
            "status": status,
            "ok": status == "ok",
            "path": str(self.path(name)),
            "detail": detail,
            "sha256": hashes,
        }

    def list_models(self) -> list[dict[str, Any]]:
        """Every manifest asset with its install state; cheap (no hashing)."""
        locked = self.lock.read()
        rows = []
        for asset in self.manifest.assets.values():
            entry = locked.get(asset.name) or {}
            records: Records = entry.get("files") or {}
            folder = self.folder(asset.name)
            installed = set(asset.installed_files) <= set(records) and all(
                (folder / f).is_file() for f in asset.installed_files
            )
            rows.append(
                {
                    "name": asset.name,
                    "kind": asset.kind,
                    "installed": installed,
                    "size": sum(records[f]["size"] for f in asset.installed_files)
                    if installed
                    else asset.size,
                    "licence": asset.licence,
                    "path": str(self.path(asset.name)),
                    "description": asset.description,
                    "num_blocks": asset.num_blocks,
                    "default": asset.default,
                    "sha256": entry.get("sha256") or asset.sha256,
                }
            )
        return rows


def find_source(asset: Asset, base: Path) -> Path | None:
    """The asset in a `--from` folder: `<base>/<file>` or `<base>/<name>/<file>` (a copied cache);
    for a pack also a folder holding all its members. None when absent."""
    for folder in (base, base / asset.name):
        if (folder / asset.file).is_file():
            return folder / asset.file
    if asset.is_pack:
        for folder in (base / asset.name, base):
            if all((folder / m).is_file() for m in asset.members):
                return folder
    return None


def install(name: str, from_dir: Path | str | None = None) -> dict[str, Any]:
    """Install one asset into the default cache (see `ModelStore.install`)."""
    return ModelStore().install(name, from_dir)


def resolve(name: str) -> Path:
    """Path of an installed asset; raises ModelError with the install command when it is missing."""
    return ModelStore().resolve(name)


def verify(names: list[str] | None = None) -> list[dict[str, Any]]:
    """Full re-hash of installed assets (all recorded ones when `names` is None)."""
    return ModelStore().verify(names)


def list_models() -> list[dict[str, Any]]:
    """All manifest assets with install state, size, licence and path."""
    return ModelStore().list_models()


def file_sha256(name: str, member: str | None = None) -> str:
    """Recorded sha256 of an installed asset's file, for naming derived files (ONNX exports)."""
    return ModelStore().file_sha256(name, member)
