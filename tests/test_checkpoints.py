"""Strict, safe loading of official-layout checkpoints: what loads, what is refused, and how."""

from __future__ import annotations

import pytest
import torch

from ghost_core.errors import CheckpointMismatchError, ModelError
from ghost_core.nets import infer_num_blocks, load_discriminator, load_generator
from ghost_core.nets.checkpoints import rename_legacy_generator
from ghost_core.nets.random_weights import random_state_dict, save_random_checkpoint


@pytest.fixture(scope="module")
def d_state():
    return random_state_dict("discriminator", seed=3)


def test_fp16_checkpoint_is_cast_to_fp32(tmp_path, d_state):
    half = {k: v.half() for k, v in d_state.items()}
    torch.save(half, tmp_path / "D.pth")
    net = load_discriminator(tmp_path / "D.pth")
    weight = net.layer0[0].weight
    assert weight.dtype == torch.float32
    assert torch.equal(weight, half["layer0.0.weight"].float())
    assert not net.training


def test_wrapped_and_prefixed_state_dicts_load(tmp_path, d_state):
    torch.save({"state_dict": {f"module.{k}": v for k, v in d_state.items()}}, tmp_path / "D.pth")
    net = load_discriminator(tmp_path / "D.pth")
    assert torch.equal(net.layer2[17].bias, d_state["layer2.17.bias"])


def test_mismatch_lists_missing_unexpected_and_misshaped_keys(tmp_path, d_state):
    state = dict(d_state)
    del state["layer1.5.weight"]
    state["layer3.0.weight"] = torch.zeros(1)
    state["layer0.17.bias"] = torch.zeros(2)
    torch.save(state, tmp_path / "D_bad.pth")
    with pytest.raises(CheckpointMismatchError) as err:
        load_discriminator(tmp_path / "D_bad.pth")
    msg = str(err.value)
    assert "D_bad.pth" in msg
    assert "1 missing keys: layer1.5.weight" in msg
    assert "1 unexpected keys: layer3.0.weight" in msg
    assert "layer0.17.bias (2,) != (1,)" in msg


def test_wrong_model_is_refused_with_counts(tmp_path, d_state):
    torch.save(d_state, tmp_path / "G_unet_2blocks.pth")
    with pytest.raises(ModelError, match="not an AEI-Net generator"):
        load_generator(tmp_path / "G_unet_2blocks.pth")
    with pytest.raises(
        CheckpointMismatchError, match=r"AEINet\(num_blocks=2\): 311 missing keys.*42 unexpected"
    ):
        load_generator(tmp_path / "G_unet_2blocks.pth", num_blocks=2)


@pytest.mark.parametrize("payload", [b"", b"not a checkpoint at all", b"PK\x03\x04truncated zip"])
def test_unreadable_files_give_a_model_error_naming_the_file(tmp_path, payload):
    path = tmp_path / "broken.pth"
    path.write_bytes(payload)
    with pytest.raises(ModelError, match=r"broken\.pth"):
        load_discriminator(path)


def test_truncated_checkpoint_is_refused(tmp_path, d_state):
    torch.save(d_state, tmp_path / "D.pth")
    data = (tmp_path / "D.pth").read_bytes()
    (tmp_path / "D.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"D\.pth.*reinstall"):
        load_discriminator(tmp_path / "D.pth")


class _Payload:
    def __reduce__(self):
        return (print, ("code ran while loading",))


def test_pickled_code_is_never_executed(tmp_path, capsys):
    torch.save({"layer0.0.weight": _Payload()}, tmp_path / "evil.pth")
    with pytest.raises(ModelError, match=r"evil\.pth"):
        load_discriminator(tmp_path / "evil.pth")
    assert "code ran" not in capsys.readouterr().out


def test_missing_file_says_how_to_install(tmp_path):
    with pytest.raises(ModelError, match="ghostswap models install"):
        load_discriminator(tmp_path / "nope.pth")


def test_num_blocks_is_read_from_the_keys():
    for blocks in (1, 2, 3):
        with torch.device("meta"):
            from ghost_core.nets import AEINet

            state = AEINet(blocks).state_dict()
        assert infer_num_blocks(state) == blocks


def _to_v1(state):
    v1 = {}
    for key, value in state.items():
        for new, old in (
            ("add_blocks.0.", "AAD1."),
            ("add_blocks.2.", "conv1."),
            ("add_blocks.3.", "AAD2."),
            ("add_blocks.5.", "conv2."),
            ("last_add_block.0.", "AAD3."),
            ("last_add_block.2.", "conv3."),
        ):
            if key.startswith("generator.AADBlk") and f".{new}" in key:
                key = key.replace(f".{new}", f".{old}", 1)
                break
        v1[key] = value
    return v1


def test_legacy_v1_fp16_generator_loads_into_the_two_block_layout(tmp_path):
    state = random_state_dict("generator", seed=7, num_blocks=2, dtype=torch.float16)
    v1 = _to_v1(state)
    assert "generator.AADBlk4.AAD3.conv1.weight" in v1  # the AADLayer's own conv1 is not renamed
    assert rename_legacy_generator(v1).keys() == state.keys()
    torch.save(v1, tmp_path / "G_0_035000_init_arch_arcface2.pth")
    net = load_generator(tmp_path / "G_0_035000_init_arch_arcface2.pth")
    assert net.num_blocks == 2
    loaded = net.state_dict()
    for key in ("generator.AADBlk4.last_add_block.2.weight", "generator.AADBlk8.add_blocks.3.fc1.weight"):
        assert loaded[key].dtype == torch.float32
        assert torch.equal(loaded[key], state[key].float())


def test_random_checkpoints_are_deterministic(tmp_path):
    a = save_random_checkpoint("discriminator", tmp_path / "a.pth", seed=5)
    b = save_random_checkpoint("discriminator", tmp_path / "b.pth", seed=5)
    c = random_state_dict("discriminator", seed=6)
    sa, sb = torch.load(a, weights_only=True), torch.load(b, weights_only=True)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["layer0.0.weight"], c["layer0.0.weight"])
