"""The FAN eye-landmark network matches WFLW_4HG.pth's layout and produces GHOST's eye heatmaps."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ghost_core.errors import CheckpointMismatchError
from ghost_core.nets.checkpoints import load_into
from ghost_core.train.fan import EYE_CHANNELS, FAN, load_fan, random_fan_state_dict


@pytest.fixture(scope="module")
def fan_state() -> dict[str, torch.Tensor]:
    return random_fan_state_dict(seed=3)


def test_official_key_list_loads_strictly(official_layouts: dict) -> None:
    layout = official_layouts["WFLW_4HG.pth"]
    assert len(layout) == 1137
    gen = torch.Generator().manual_seed(0)
    state = {
        k: torch.zeros(shape, dtype=torch.int64)
        if k.endswith("num_batches_tracked")
        else torch.randn(shape, generator=gen)
        for k, shape in layout.items()
    }
    net = load_into(FAN(), state, "WFLW_4HG key list")
    assert torch.equal(net.state_dict()["m3.coordconv.conv.weight"], state["m3.coordconv.conv.weight"])
    assert sum(v.numel() for k, v in state.items() if "num_batches" not in k) == 24_207_180


def test_a_missing_stack_is_refused(official_layouts: dict) -> None:
    layout = official_layouts["WFLW_4HG.pth"]
    state = {k: torch.zeros(s) for k, s in layout.items() if not k.startswith("l3.")}
    with pytest.raises(CheckpointMismatchError, match=r"l3\.weight"):
        load_into(FAN(), state, "truncated")


def test_random_file_round_trips(tmp_path: Path, fan_state: dict[str, torch.Tensor]) -> None:
    plain, wrapped = tmp_path / "WFLW_4HG.pth", tmp_path / "wrapped.pth"
    torch.save(fan_state, plain)
    torch.save({"state_dict": {f"module.{k}": v for k, v in fan_state.items()}}, wrapped)
    for path in (plain, wrapped):
        loaded = load_fan(path).state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in fan_state.items())
    assert torch.load(plain, weights_only=True).keys() == fan_state.keys()


def test_heatmaps_of_the_last_stack(fan_state: dict[str, torch.Tensor]) -> None:
    net = load_into(FAN(), fan_state, "random").eval()
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        stacks = net((x + 1) * 0.5)
        eyes = net.eye_heatmaps(x)
    assert len(stacks) == 4 and stacks[-1].shape == (2, 99, 64, 64)
    assert eyes.shape == (2, 2, 64, 64)
    assert torch.equal(eyes, stacks[-1][:, list(EYE_CHANNELS)])
    assert eyes.min() >= 0  # end_relu, as GHOST effectively ran it
    assert not torch.equal(eyes[0], eyes[1])  # depends on the input
