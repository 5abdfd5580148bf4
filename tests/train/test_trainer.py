"""Real 1-block AEI-Net training on CPU: losses fall on an overfit batch, checkpoints load strictly
in the official layout, and a resumed run continues exactly where an uninterrupted one would be."""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from ghost_core.errors import ModelError
from ghost_core.nets import load_discriminator, load_generator
from ghost_core.train.checkpointing import D_FILE, G_FILE, STATE_FILE, read_training_state, save_checkpoint
from ghost_core.train.data import FaceFolder, PairDataset, batch_loader
from ghost_core.train.session import build_trainer
from ghost_core.train.trainer import TrainConfig, Trainer
from tests.train.conftest import tiny_identity

STEPS = 3  # the overfit run
RESUME_AT = 1  # the interrupted run saves after this step and resumes for one more


@dataclass
class Runs:
    straight_losses: list[dict[str, float]]
    straight_at_2: dict[str, dict]  # G, D and optimiser states of the straight run after 2 steps
    resumed: Trainer
    resumed_losses: list[dict[str, float]]
    interrupted_out: Path


def _snapshot(trainer: Trainer) -> dict[str, dict]:
    return {name: copy.deepcopy(getattr(trainer, name).state_dict()) for name in ("G", "D", "opt_g", "opt_d")}


@pytest.fixture(scope="module")
def runs(face_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Batch 1 keeps this CPU test short; the pair is a reconstruction pair so every loss is active."""
    dataset = PairDataset(FaceFolder.scan(face_folder), same_prob=1.0)
    batch = next(iter(batch_loader(dataset, 1, seed=0, start=0, end=1)))
    config = TrainConfig(num_blocks=1, batch_size=1, steps=STEPS, seed=0)

    straight, _ = build_trainer(config, tmp_path_factory.mktemp("straight"), identity=tiny_identity())
    straight_losses = [straight.train_step(batch) for _ in range(2)]
    at_2 = _snapshot(straight)
    straight_losses.append(straight.train_step(batch))
    del straight

    out_b = tmp_path_factory.mktemp("interrupted")
    first, _ = build_trainer(config, out_b, identity=tiny_identity())
    losses = [first.train_step(batch) for _ in range(RESUME_AT)]
    save_checkpoint(out_b, first.G, first.D, first.state_dict())
    del first
    resumed, info = build_trainer(TrainConfig(), out_b, resume=True, identity=tiny_identity())
    assert info == {"resumed_from": RESUME_AT}
    losses.append(resumed.train_step(batch))
    return Runs(straight_losses, at_2, resumed, losses, out_b)


def _core(losses: dict[str, float]) -> float:
    return losses["id"] + losses["attr"] + losses["rec"]


def test_losses_fall_on_an_overfit_batch(runs: Runs) -> None:
    start, end = runs.straight_losses[0], runs.straight_losses[-1]
    assert end["loss_g"] < 0.8 * start["loss_g"]
    assert _core(end) < 0.8 * _core(start)
    assert end["id"] < start["id"] and end["attr"] < start["attr"] and end["rec"] < start["rec"]


def test_resume_continues_at_the_same_step_with_the_same_state(runs: Runs) -> None:
    resumed = runs.resumed
    assert resumed.step == RESUME_AT + 1 == 2
    assert runs.resumed_losses[-1] == pytest.approx(runs.straight_losses[1], rel=1e-5, abs=1e-6)
    for name in ("G", "D"):
        sa, sb = runs.straight_at_2[name], getattr(resumed, name).state_dict()
        worst = max(0.0 if torch.equal(sa[k], sb[k]) else float((sa[k] - sb[k]).abs().max()) for k in sa)
        assert worst < 1e-5, name
    for opt in ("opt_g", "opt_d"):
        sa, sb = runs.straight_at_2[opt], getattr(resumed, opt).state_dict()
        assert sa["param_groups"] == sb["param_groups"]
        assert sa["state"].keys() == sb["state"].keys()
        for key, slot in sa["state"].items():
            for field, value in slot.items():
                other = sb["state"][key][field]
                assert torch.equal(value, other) or torch.allclose(value, other, atol=1e-6), (opt, field)


def test_checkpoint_is_in_the_official_layout(runs: Runs) -> None:
    out = runs.interrupted_out
    for name in (G_FILE, D_FILE, STATE_FILE):
        assert torch.load(out / name, map_location="cpu", weights_only=True)
    generator = load_generator(out / G_FILE)  # strict, like inference
    assert generator.num_blocks == 1
    load_discriminator(out / D_FILE)
    state = torch.load(out / G_FILE, weights_only=True)
    assert all(v.dtype in (torch.float32, torch.int64) for v in state.values())


def test_registered_checkpoint_resolves_and_loads(
    runs: Runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ghost_core.models_store import load_manifest, register_local, resolve

    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "home"))
    result = register_local("actor_a", runs.interrupted_out / G_FILE, description="test fine-tune")
    assert result["num_blocks"] == 1 and result["sha256"]
    asset = load_manifest().get("actor_a")
    assert asset.kind == "generator" and asset.sha256 == result["sha256"]
    path = resolve("actor_a")
    assert path.parent == tmp_path / "home" / "models" / "actor_a"
    loaded = load_generator(path).state_dict()
    original = torch.load(runs.interrupted_out / G_FILE, weights_only=True)
    assert all(torch.equal(loaded[k], original[k]) for k in original)


def test_a_state_from_another_save_is_refused(tmp_path: Path) -> None:
    g, d = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    save_checkpoint(tmp_path, g, d, {"step": 1})
    assert read_training_state(tmp_path)["step"] == 1
    with torch.no_grad():
        g.weight.add_(1.0)
    shutil.copyfile(tmp_path / STATE_FILE, tmp_path / "old_state")
    save_checkpoint(tmp_path, g, d, {"step": 2})
    shutil.copyfile(tmp_path / "old_state", tmp_path / STATE_FILE)  # as if the last save stopped half-way
    with pytest.raises(ModelError, match=r"G_latest\.pth is not the file"):
        read_training_state(tmp_path)
    with pytest.raises(ModelError, match="no training state"):
        read_training_state(tmp_path / "nothing")
