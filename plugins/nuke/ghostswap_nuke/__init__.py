"""GhostSwap for Nuke 13-16: a Group that bakes the plate through the `ghostswap` CLI to an EXR cache.

Imported by menu.py and by the node's buttons and knobChanged; `nuke` is imported lazily so the
pure modules (spec, jobfile, runner) load anywhere.
"""

from __future__ import annotations

from typing import Any


def create_node() -> Any:
    from ghostswap_nuke import node

    return node.create_node()


def bake(target: Any = None) -> Any:
    from ghostswap_nuke import node

    return node.bake(target)


def farm_bake(target: Any = None) -> Any:
    from ghostswap_nuke import node

    return node.farm_bake(target)


def knob_changed(target: Any = None, knob: Any = None) -> None:
    from ghostswap_nuke import node

    node.knob_changed(target, knob)
