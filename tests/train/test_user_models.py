"""Registering local weights in the model manager (user_models.json), as `finetune --name` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghost_core.cli import main
from ghost_core.errors import ModelError, UsageError
from ghost_core.models_store import ModelStore, load_manifest, register_local
from ghost_core.models_store.user_models import user_manifest_path
from ghost_core.nets.random_weights import save_random_checkpoint


@pytest.fixture(scope="module")
def d_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_random_checkpoint("discriminator", tmp_path_factory.mktemp("w") / "D_latest.pth", seed=4)


def test_register_list_resolve_and_verify(d_file: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path))
    assert (
        main(
            ["--json", "models", "register", "my_d", str(d_file), "--kind", "discriminator", "--blocks", "1"]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["action"] == "register" and result["kind"] == "discriminator"
    store = ModelStore()
    path = store.resolve("my_d")
    assert path.read_bytes() == d_file.read_bytes()
    entry = json.loads(user_manifest_path().read_text())["models"]["my_d"]
    assert entry["sha256"] == store.file_sha256("my_d") and entry["kind"] == "discriminator"
    rows = {row["name"]: row for row in store.list_models()}
    assert rows["my_d"]["installed"] and rows["ghost_unet_2blocks"]["installed"] is False
    assert store.verify(["my_d"])[0]["ok"]
    with pytest.raises(UsageError, match="already registered"):
        register_local("my_d", d_file, "discriminator", num_blocks=1)
    register_local("my_d", d_file, "discriminator", num_blocks=1, replace=True)
    assert load_manifest().get("my_d").sha256 == entry["sha256"]


def test_refusals(d_file: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="official model name"):
        register_local("ghost_unet_2blocks", d_file, "discriminator", root=tmp_path)
    with pytest.raises(UsageError, match="lower-case"):
        register_local("My Model", d_file, "discriminator", root=tmp_path)
    with pytest.raises(ModelError, match="not an AEI-Net generator"):
        register_local("wrong_kind", d_file, "generator", root=tmp_path)  # a D is not a G
    assert not user_manifest_path(tmp_path).exists()
    user_manifest_path(tmp_path).write_text(json.dumps({"models": {"arcface_backbone": {}}}))
    with pytest.raises(ModelError, match="official model name"):
        load_manifest(tmp_path)
    assert "arcface_backbone" in load_manifest(tmp_path, include_user=False).assets
