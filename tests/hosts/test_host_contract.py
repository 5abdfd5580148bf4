"""The host adapters agree on the environment they read and on the default farm manager."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCES = {
    "nuke": REPO / "plugins/nuke/ghostswap_nuke/jobfile.py",
    "blender": REPO / "plugins/blender/ghostswap_blender/bake.py",
    "resolve": REPO / "plugins/resolve/Fuses/GhostSwap.fuse",
}


def test_every_host_reads_the_cache_root_from_GHOSTSWAP_CACHE() -> None:
    for host, path in SOURCES.items():
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"""(?:\.get|getenv)\(\s*["'](GHOSTSWAP_CACHE\w*)["']""", text))
        assert "GHOSTSWAP_CACHE" in names, f"{host}: {path} does not read $GHOSTSWAP_CACHE"


def test_the_farm_manager_default_is_openjd_in_nuke_and_blender() -> None:
    nuke = (REPO / "plugins/nuke/ghostswap_nuke/node.py").read_text(encoding="utf-8")
    assert re.search(r"""GHOSTSWAP_FARM_MANAGER["'],\s*["']openjd["']""", nuke)
    blender = (REPO / "plugins/blender/ghostswap_blender/props.py").read_text(encoding="utf-8")
    farm = blender[blender.index("farm_manager:") :]
    assert re.search(r"""default=["']openjd["']""", farm[: farm.index(")")])
