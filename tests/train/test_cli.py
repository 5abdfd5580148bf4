"""`ghostswap train` and `finetune` end to end on a tiny configuration (1 block, batch 1, 1 step),
with random official-layout weights installed in a temporary model cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from ghost_core.cli import main
from ghost_core.models_store import resolve as resolve_model
from ghost_core.nets import load_generator
from ghost_core.nets.random_weights import save_random_checkpoint

RUN = ["--batch", "1", "--steps", "1", "--no-tensorboard", "--preview-every", "1"]
TINY = ["--blocks", "1", *RUN]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache with random ArcFace, 1-block G and D installed under their official names."""
    from ghost_core.models_store import ModelStore

    root = tmp_path_factory.mktemp("home")
    weights = tmp_path_factory.mktemp("weights")
    save_random_checkpoint("arcface", weights / "backbone.pth")
    save_random_checkpoint("generator", weights / "G_unet_1block.pth", num_blocks=1)
    save_random_checkpoint("discriminator", weights / "D_unet_1block.pth")
    store = ModelStore(root)
    for name in ("arcface_backbone", "ghost_unet_1block", "ghost_discriminator_1block"):
        store.install(name, from_dir=weights)
    shutil.rmtree(weights)  # install copied them; ~0.8 GB less temporary disk
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_train_runs_end_to_end(
    home: Path, face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(home))
    out = tmp_path / "run"
    code, result = run(["train", "--data", str(face_folder), "--out", str(out), *TINY], capsys)
    assert code == 0 and result["ok"], result
    assert result["step"] == 1 and result["images"] == 6 and result["identities"] == 3
    assert result["precision"] == "float32" and result["init"] is None
    assert load_generator(out / "G_latest.pth").num_blocks == 1
    record = json.loads((out / "scalars.jsonl").read_text().splitlines()[-1])
    assert record["step"] == 1 and {"loss_g", "loss_d", "id", "attr", "rec", "adv"} <= record.keys()
    assert (out / "previews" / "step_0000001.png").is_file()
    state = torch.load(out / "train_state.pt", weights_only=True)
    assert state["step"] == 1 and state["config"]["num_blocks"] == 1


def test_finetune_registers_a_model_render_can_name(
    home: Path, face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    from ghost_core.models_store import load_manifest, resolve

    monkeypatch.setenv("GHOSTSWAP_HOME", str(home))
    argv = ["finetune", "--name", "actor_x", "--data", str(face_folder), "--init", "ghost_unet_1block"]
    argv += ["--out", str(tmp_path / "ft"), "--weight-id", "30", *RUN]
    code, result = run(argv, capsys)
    assert code == 0 and result["ok"], result
    assert result["init"] == "ghost_unet_1block"
    assert result["generator_keys"] == {"missing": [], "unexpected": [], "wrong_shape": []}
    state = torch.load(tmp_path / "ft" / "train_state.pt", weights_only=True)
    assert state["config"]["weight_id"] == 30.0 and state["config"]["weight_attr"] == 10.0
    manifest = load_manifest()
    assert manifest.get("actor_x").kind == "generator"
    assert manifest.get("actor_x_discriminator").kind == "discriminator"
    assert load_generator(resolve("actor_x")).num_blocks == 1
    code, again = run(argv, capsys)  # the name is taken now
    assert code == 2 and "already exists" in again["message"]


def test_finetune_on_a_shot_builds_its_crops_from_the_plate(
    home: Path, short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """`finetune --source --plate`: crops of the actor photo and of the plate's face, then training."""
    from tests.shots import ASSETS

    monkeypatch.setenv("GHOSTSWAP_HOME", str(home))
    photo = str(ASSETS / "faces" / "elon_musk.jpg")
    argv = ["finetune", "--name", "shot_x", "--source", photo, "--plate", short_plate]
    argv += ["--init", "ghost_unet_1block", "--out", str(tmp_path / "ft"), *RUN]
    code, result = run(argv, capsys)
    assert code == 0 and result["ok"], result
    data = tmp_path / "ft" / "data"
    assert len(list((data / "source").glob("*.png"))) == 1
    assert len(list((data / "target").glob("*.png"))) == 4  # one crop per plate frame
    assert result["step"] == 1 and result["prepared"] is not None
    assert load_generator(resolve_model("shot_x")).num_blocks == 1


@pytest.mark.parametrize("layout", ["missing", "empty"])
def test_bad_data_is_a_clear_error(
    layout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(home))
    data = tmp_path / "crops"
    if layout == "empty":
        (data / "someone").mkdir(parents=True)
    code, result = run(["train", "--data", str(data), "--out", str(tmp_path / "o"), *TINY], capsys)
    assert code == 3 and result["error"] == "InputError"
    assert str(data) in result["message"]
    assert not (tmp_path / "o").exists()


def test_resume_without_a_state_is_refused(
    tmp_path: Path, face_folder: Path, capsys: pytest.CaptureFixture[str], home: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(home))
    code, result = run(["train", "--data", str(face_folder), "--out", str(tmp_path), "--resume"], capsys)
    assert code == 4 and "no training state" in result["message"]
