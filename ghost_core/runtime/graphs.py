"""The three inference graphs GhostSwap runs, with their fixed names and per-sample shapes.

The batch dimension is dynamic; spatial sizes are static (InstanceNorm and the AAD blocks export
cleanly only with static shapes, see GHOST_REFERENCE.md §2.7).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ghost_core.nets import AEINet, SwapOnly


@dataclass(frozen=True)
class GraphSpec:
    kind: str
    inputs: tuple[tuple[str, tuple[int, ...]], ...]
    output: str
    value_range: str

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.inputs)


GRAPHS: dict[str, GraphSpec] = {
    "generator": GraphSpec(
        "generator", (("target", (3, 256, 256)), ("z_id", (512,))), "swap", "RGB in [-1, 1] -> [-1, 1]"
    ),
    "arcface": GraphSpec("arcface", (("face", (3, 112, 112)),), "embedding", "RGB in [-1, 1] -> raw 512-d"),
    "enhancer": GraphSpec("enhancer", (("face", (3, 256, 256)),), "enhanced", "RGB in [0, 1] -> [-1, 1]"),
}


def graph_module(kind: str, net: nn.Module) -> nn.Module:
    """The module whose single output is the graph's output (the generator drops its attributes)."""
    return SwapOnly(net).eval() if kind == "generator" and isinstance(net, AEINet) else net.eval()
