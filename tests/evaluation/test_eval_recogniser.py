"""The independent recogniser must tell people apart on GHOST crops before the eval metrics may rely on it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ghost_core.errors import ModelError
from ghost_core.evaluation.recogniser import Recogniser, open_recogniser
from ghost_core.faces import align
from ghost_core.io.source_image import read_source_image
from tests.identity_metric import MODEL, embed

ASSETS = Path(__file__).resolve().parents[2].parent / "shared" / "assets"
YUNET = ASSETS / "models" / "yunet_s_640_640.onnx"
# (photo, person): two photos each of three people, so there are genuine and impostor pairs.
PHOTOS = [
    ("faces/obama.jpg", "obama"),
    ("faces/obama2.jpg", "obama"),
    ("faces/biden.jpg", "biden"),
    ("faces/biden2.jpg", "biden"),
    ("faces/elon_musk.jpg", "musk"),
    ("faces/aligned224/source1.png", "musk"),
]


def ghost_crop(path: Path) -> np.ndarray:
    """A photo's largest face as a GHOST 224 crop (YuNet key points → GHOST's template fit).

    YuNet, not the engine's detector, so the recogniser is checked on crops the eval code did not make.
    """
    image = read_source_image(path)
    if "aligned224" in path.parts:  # already a GHOST crop
        return image
    h, w = image.shape[:2]
    detector = cv2.FaceDetectorYN.create(str(YUNET), "", (w, h), 0.6)
    _, faces = detector.detect(np.round(image[..., ::-1] * 255).astype(np.uint8))
    assert faces is not None and len(faces), path
    face = max(faces, key=lambda f: f[2] * f[3])
    return align.warp_crop(image, align.estimate_norm(face[4:14].reshape(5, 2)))


@pytest.fixture(scope="module")
def embeddings() -> np.ndarray:
    missing = [p for p, _ in PHOTOS if not (ASSETS / p).is_file()] + ([] if YUNET.is_file() else [YUNET])
    if missing:
        pytest.fail(f"missing test assets {missing}; CI needs ../shared beside the checkout")
    return embed(np.stack([ghost_crop(ASSETS / p) for p, _ in PHOTOS]))


def test_same_people_score_higher_than_different_people(embeddings: np.ndarray) -> None:
    people = np.array([who for _, who in PHOTOS])
    cos = embeddings @ embeddings.T
    same = people[:, None] == people[None]
    np.fill_diagonal(same, False)
    different = people[:, None] != people[None]
    assert cos[same].min() > 0.45, cos.round(2)
    assert cos[different].max() < 0.35, cos.round(2)


def test_embeddings_are_unit_length_and_batch_independent(embeddings: np.ndarray) -> None:
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    alone = embed(read_source_image(ASSETS / PHOTOS[-1][0]))
    np.testing.assert_allclose(alone[0], embeddings[-1], atol=1e-4)


def test_default_recogniser_missing_tells_the_user_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelError, match=r"--recogniser.*") as info:
        open_recogniser(None)
    assert "models install antelopev2" in str(info.value)


def test_a_model_with_the_wrong_input_is_refused(tmp_path: Path) -> None:
    yunet = Path(YUNET)
    with pytest.raises(ModelError, match="112"):
        Recogniser(yunet)
    with pytest.raises(ModelError, match="not found"):
        Recogniser(tmp_path / "nothing.onnx")
    assert Recogniser(MODEL).embed(np.zeros((2, 224, 224, 3), np.float32)).shape == (2, 128)
