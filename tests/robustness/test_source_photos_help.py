"""Issue #15 item 7: what each swapper does with several photos of one person is said, and is true.

The `--source` help once said a person's photos "are averaged", but `morph` keeps one of them: an
artist giving three photos to morph would expect a blend and get one photo's face.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ghost_core.cli import build_parser
from ghost_core.io.source_image import read_source_image
from ghost_core.knobs import knob_fields
from ghost_core.swappers import SEVERAL_PHOTOS, SWAPPERS
from ghost_core.swappers.morph import MorphSwapper
from tests.robustness.conftest import REPO
from tests.shots import ASSETS


def _source_help() -> str:
    return dict(knob_fields())["sources"].help


def test_every_swapper_says_what_it_does_with_several_photos() -> None:
    assert set(SEVERAL_PHOTOS) == set(SWAPPERS.names())
    assert "averag" not in SEVERAL_PHOTOS["morph"] and "keeps one" in SEVERAL_PHOTOS["morph"]
    assert "averag" in SEVERAL_PHOTOS["ghost"]
    for name, rule in SEVERAL_PHOTOS.items():
        assert f"{name}: {rule}" in _source_help()


@pytest.mark.parametrize("where", ["render --help", "track --help", "docs/jobs.md"])
def test_the_help_and_the_knob_table_carry_it(where: str, capsys: pytest.CaptureFixture[str]) -> None:
    if where.startswith("docs"):
        text = (REPO / where).read_text(encoding="utf-8")
    else:
        with pytest.raises(SystemExit):
            build_parser().parse_args(where.split())
        text = capsys.readouterr().out
    flat = " ".join(text.split())
    for name, rule in SEVERAL_PHOTOS.items():
        assert f"{name}: {rule}" in flat, where


def test_morph_really_keeps_one_photo() -> None:
    """Two different people's aligned crops as one person's photos: morph's identity is one of them."""
    aligned = Path(ASSETS) / "faces" / "aligned224"
    photos = [read_source_image(aligned / f"source{i}.png") for i in (1, 3)]
    identity = MorphSwapper().prepare(photos)
    assert any(np.array_equal(identity.crop, np.clip(p, 0.0, 1.0)) for p in photos)
