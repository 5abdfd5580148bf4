"""`models install --from` with symlinks: a link to the right bytes installs a real copy (never a link
into the user's folder), a link to other bytes is refused, a dangling link is a clear error; nothing is
left under the final name after a refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghost_core.errors import DownloadError, GhostSwapError
from ghost_core.models_store import install, resolve
from tests.test_models_store import closed_port_url, gen, home, manifest, payload, sha  # noqa: F401


def test_symlinked_sources_are_copied_verified_or_refused(
    home: Path,  # noqa: F811
    tmp_path: Path,
    manifest: Any,  # noqa: F811
) -> None:
    data = payload(50_000, 21)
    manifest({"gen": gen(closed_port_url("x"), sha256=sha(data))})
    real = tmp_path / "elsewhere" / "weights.bin"
    real.parent.mkdir()
    real.write_bytes(data)
    folder = tmp_path / "from"
    folder.mkdir()
    (folder / "G_test.pth").symlink_to(real)
    install("gen", from_dir=folder)
    target = resolve("gen")
    assert not target.is_symlink() and target.read_bytes() == data
    real.write_bytes(b"changed after install")  # the cache must not follow the user's file
    assert target.read_bytes() == data

    target.unlink()
    wrong = tmp_path / "elsewhere" / "other.bin"
    wrong.write_bytes(payload(50_000, 22))
    (folder / "G_test.pth").unlink()
    (folder / "G_test.pth").symlink_to(wrong)
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        install("gen", from_dir=folder)
    assert not list(target.parent.glob("G_test.pth*"))

    (folder / "G_test.pth").unlink()
    (folder / "G_test.pth").symlink_to(tmp_path / "nowhere.bin")
    with pytest.raises(GhostSwapError, match=r"G_test\.pth"):
        install("gen", from_dir=folder)
    assert not list(target.parent.glob("G_test.pth*"))
