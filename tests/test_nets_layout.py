"""The networks have exactly the official state-dict layout, and compute what GHOST computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ghost_core.nets import AEINet, FaceEnhancer, MultiscaleDiscriminator, iresnet100
from ghost_core.nets.aei_net import AADLayer

# (section of ghost_state_dict_keys.txt, builder, element count from GHOST_REFERENCE.md §2.8)
NETWORKS = [
    ("G_unet_1block.pth", lambda: AEINet(1), 128_479_245),
    ("G_unet_2blocks.pth", lambda: AEINet(2), 184_353_493),
    ("G_unet_3blocks.pth", lambda: AEINet(3), 240_227_741),
    ("D_unet_*.pth", MultiscaleDiscriminator, 33_463_107),
    ("10_net_G.pth", FaceEnhancer, 72_309_196),
    ("backbone.pth", iresnet100, 65_225_792),
]


@pytest.mark.parametrize(("section", "build", "elements"), NETWORKS, ids=[n[0] for n in NETWORKS])
def test_state_dict_equals_official_key_list(official_layouts, section, build, elements):
    with torch.device("meta"):
        net = build()
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    official = official_layouts[section]
    assert sorted(set(official) - set(ours)) == []
    assert sorted(set(ours) - set(official)) == []
    assert {k: s for k, s in ours.items() if official[k] != s} == {}
    floats = sum(v.numel() for v in net.state_dict().values() if v.dtype != torch.int64)
    assert floats == elements


def test_generator_shapes_and_attribute_maps():
    torch.manual_seed(0)
    net = AEINet(1).eval()
    x = torch.rand(2, 3, 256, 256) * 2 - 1
    with torch.no_grad():
        y, attrs = net(x, torch.randn(2, 512))
        again = net.attributes(x)
    assert y.shape == (2, 3, 256, 256)
    assert float(y.abs().max()) <= 1.0
    expected = [(1024, 2), (2048, 4), (1024, 8), (512, 16), (256, 32), (128, 64), (64, 128), (64, 256)]
    assert [(a.shape[1], a.shape[2]) for a in attrs] == expected
    assert all(torch.equal(a, b) for a, b in zip(attrs, again, strict=True))
    # z_attr8 is z_attr7 upsampled with align_corners=True (not the PyTorch default)
    up = F.interpolate(attrs[6], scale_factor=2.0, mode="bilinear", align_corners=True)
    assert torch.allclose(attrs[7], up)
    assert not torch.allclose(attrs[7], F.interpolate(attrs[6], scale_factor=2.0, mode="bilinear"))


def test_aad_layer_matches_the_formula():
    torch.manual_seed(1)
    layer = AADLayer(c_x=4, c_attr=3, c_id=5).eval()
    h, z_attr, z_id = torch.randn(2, 4, 6, 6), torch.randn(2, 3, 6, 6), torch.randn(2, 5)
    with torch.no_grad():
        out = layer(h, z_attr, z_id).numpy()
    hn = h.numpy()
    mean, var = hn.mean(axis=(2, 3), keepdims=True), hn.var(axis=(2, 3), keepdims=True)
    hbar = (hn - mean) / np.sqrt(var + 1e-5)

    def conv1x1(conv, x):
        w, b = conv.weight.detach().numpy()[:, :, 0, 0], conv.bias.detach().numpy()
        return np.einsum("oc,bchw->bohw", w, x) + b[None, :, None, None]

    def fc(lin):
        return (z_id.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy())[:, :, None, None]

    a = conv1x1(layer.conv1, z_attr.numpy()) * hbar + conv1x1(layer.conv2, z_attr.numpy())
    i = fc(layer.fc1) * hbar + fc(layer.fc2)
    m = 1 / (1 + np.exp(-conv1x1(layer.conv_h, hbar)))
    np.testing.assert_allclose(out, (1 - m) * a + m * i, rtol=1e-4, atol=1e-5)


def test_discriminator_returns_three_patch_maps_full_resolution_first():
    torch.manual_seed(0)
    disc = MultiscaleDiscriminator().eval()
    x = torch.randn(1, 3, 256, 256)
    with torch.no_grad():
        maps = disc(x)
        direct = disc.layer2(x)
    assert [tuple(m.shape) for m in maps] == [(1, 1, 11, 11), (1, 1, 7, 7), (1, 1, 5, 5)]
    assert torch.equal(maps[0], direct)


def test_arcface_gives_raw_512d_embeddings():
    torch.manual_seed(0)
    net = iresnet100().eval()
    with torch.no_grad():
        emb = net(torch.rand(3, 3, 112, 112) * 2 - 1)
    assert emb.shape == (3, 512)
    assert not torch.allclose(emb.norm(dim=1), torch.ones(3))  # not L2-normalised


def test_enhancer_statistics_modes_differ_only_in_batch_dependence():
    torch.manual_seed(0)
    net = FaceEnhancer().eval()
    faces = torch.rand(3, 3, 256, 256)
    u_before = net.head_0.conv_0.weight_u.clone()
    with torch.no_grad():
        alone = net(faces[:1])
        together = net(faces)
        net.set_statistics("batch")
        batch_alone = net(faces[:1])
        batch_together = net(faces)
    assert alone.shape == (1, 3, 256, 256)
    assert float(alone.abs().max()) <= 1.0
    # running statistics: a face's result does not depend on the rest of the batch
    torch.testing.assert_close(alone[0], together[0], rtol=1e-4, atol=1e-5)
    # batch statistics (GHOST's train-mode behaviour): it does
    assert float((batch_alone[0] - batch_together[0]).abs().max()) > 1e-3
    # and inference never writes back into the stored singular vectors or statistics
    assert torch.equal(net.head_0.conv_0.weight_u, u_before)
    with pytest.raises(ValueError, match="statistics"):
        net.set_statistics("train")
