"""`ghostswap review` on the demo shot: the page in a real headless Chromium, and C2PA credentials.

The demo renders 4 frames and builds its review folder, signed with a CA + ES256 signer made here.
The flipbook's canvas is compared with a reference made straight from the EXRs with OCIO.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio
import PyOpenColorIO as ocio
import pytest

from ghost_core import cli
from ghost_core.review.certs import SigningFiles, make_signing_files
from ghost_core.review.credentials import CERT_ENV, KEY_ENV, SOURCE_TYPE, verify
from tests.review.browser import Chromium, find_chromium

W, H = 960, 540


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> SigningFiles:
    return make_signing_files(tmp_path_factory.mktemp("keys"), organisation="Test Studio")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, signing: SigningFiles) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    with pytest.MonkeyPatch.context() as env:
        env.setenv(CERT_ENV, str(signing.chain))
        env.setenv(KEY_ENV, str(signing.key))
        from ghost_core.engine.demo import run_demo
        from ghost_core.review.build import ReviewOptions, build_review

        result = run_demo(out, frames=4, swapper="morph")
        options = ReviewOptions(Path(result["folder"]) / "review", name="demo", summary=result["summary"])
        result["review_page"] = build_review(result["output"], options)["page"]
        yield result


def _reference(path: Path, matte: bool = False) -> np.ndarray:
    """The EXR through the built-in config's default display/view, as 8-bit RGB."""
    buf = oiio.ImageBuf(str(path))
    pixels = buf.get_pixels(oiio.FLOAT)
    config = ocio.Config.CreateFromFile("ocio://studio-config-latest")
    display = config.getDefaultDisplay()
    transform = ocio.DisplayViewTransform(src="ACEScg", display=display, view=config.getDefaultView(display))
    rgb = np.ascontiguousarray(pixels[..., :3])
    config.getProcessor(transform).getDefaultCPUProcessor().applyRGB(rgb)
    rgb = np.clip(rgb, 0, 1)
    if matte:
        names = list(buf.spec().channelnames)
        alpha = 0.5 * pixels[..., names.index("ghost.matte")][..., None]
        rgb = rgb * (1 - alpha) + np.array([1.0, 0.2, 0.2]) * alpha
    return (rgb * 255 + 0.5).astype(np.uint8)


def _diff(a: np.ndarray, b: np.ndarray, where: np.ndarray | None = None) -> float:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(d[where].mean() if where is not None else d.mean())


def _face(path: Path) -> np.ndarray:
    """Where the matte is solid: the only place plate and swap differ."""
    buf = oiio.ImageBuf(str(path))
    return buf.get_pixels(oiio.FLOAT)[..., list(buf.spec().channelnames).index("ghost.matte")] > 0.5


def test_demo_prints_its_review_page_last(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert cli.main(["-q", "demo", "--out", str(out), "--frames", "2", "--swapper", "morph"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"review page: {out.resolve() / 'review' / 'index.html'}"
    for name in ("index.html", "review.js", "data.js", "proxy.mp4", "contact_sheet.png"):
        assert (out / "review" / name).is_file(), name


def test_proxy_is_h264_with_every_frame(demo: dict[str, Any]) -> None:
    import av

    with av.open(str(Path(demo["folder"]) / "review" / "proxy.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 4


@pytest.mark.skipif(find_chromium() is None, reason="needs Chromium: scripts/setup-chromium.sh")
def test_page_in_headless_chromium(demo: dict[str, Any]) -> None:
    page = Path(demo["review_page"])
    swap, plate = Path(demo["folder"]) / "swap", Path(demo["folder"]) / "plate"
    browser = Chromium()
    try:
        browser.open(page.as_uri())
        assert browser.evaluate("window.ghostReview.ready") is True
        canvas = (0, 0, W, H)

        def settle() -> np.ndarray:
            time.sleep(0.3)
            return browser.screenshot(canvas)

        face = _face(swap / "swap.1001.exr")
        ref_swap, ref_plate = _reference(swap / "swap.1001.exr"), _reference(plate / "plate.1001.exr")
        browser.key("b", key_code=66)  # all swap
        swap_1001 = settle()
        assert _diff(swap_1001, ref_swap) < 2.0 and _diff(swap_1001, ref_swap, face) < 3.0
        assert _diff(swap_1001, ref_plate, face) > 2 * _diff(swap_1001, ref_swap, face) + 1
        browser.key("a", key_code=65)  # all plate: the wipe changes the canvas inside the face
        plate_1001 = settle()
        assert _diff(plate_1001, ref_plate) < 2.0 and _diff(plate_1001, ref_plate, face) < 3.0
        assert _diff(plate_1001, ref_swap, face) > 2 * _diff(plate_1001, ref_plate, face) + 1
        browser.key("w", key_code=87)  # half wipe: plate left of the line, swap right
        half = settle()
        assert _diff(half[:, : W // 2 - 2], plate_1001[:, : W // 2 - 2]) < 0.5
        assert _diff(half[:, W // 2 + 2 :], swap_1001[:, W // 2 + 2 :]) < 0.5
        browser.key("b", key_code=66)
        browser.key("ArrowRight", key_code=39)  # one frame on: exactly frame 1002
        stepped = settle()
        assert browser.evaluate("document.getElementById('view').dataset.frame") == "1002"
        assert _diff(stepped, swap_1001) > 0.5
        assert _diff(stepped, _reference(swap / "swap.1002.exr")) < 2.0
        browser.key("m", key_code=77)  # matte overlay
        overlay = settle()
        assert _diff(overlay, _reference(swap / "swap.1002.exr", matte=True)) < 2.0
        browser.key("ArrowLeft", key_code=37)
        settle()
        assert browser.evaluate("document.getElementById('view').dataset.frame") == "1001"
        notes = browser.evaluate("document.getElementById('notes').textContent")
        assert "face(s) replaced" in notes
        outside = [u for u in browser.requests() if not u.startswith("file://")]
        assert outside == [], f"the page reached for the network: {outside}"
    finally:
        browser.close()


def test_credentials_sign_and_verify(demo: dict[str, Any], signing: SigningFiles) -> None:
    review = Path(demo["folder"]) / "review"
    header = oiio.ImageInput.open(str(Path(demo["output"].replace("####", "1001"))))
    meta = {a.name: a.value for a in header.spec().extra_attribs}
    header.close()
    source_hash = hashlib.sha256(Path(demo["source"]).read_bytes()).hexdigest()
    for name in ("proxy.mp4", "contact_sheet.png", "stills/swap.1002.jpg", "stills/matte.1003.png"):
        report = verify(review / name, trust=signing.ca)
        assert report["trusted"] and report["state"] == "Trusted", report
        assert report["generator"] == ["GhostSwap"] and report["digital_source_type"] == SOURCE_TYPE
        facts = report["provenance"]
        assert facts["model_sha256"] == meta["ghost:model_sha256"] and len(facts["model_sha256"]) == 64
        assert facts["source_sha256"] == [source_hash]
        assert facts["render_digest"] == meta["ghost:render_digest"] == demo["render"]["render_digest"]
        assert report["signer"]["issuer"] == "Test Studio"
    assert cli.main(["review", "--verify", str(review / "proxy.mp4")]) == 0


def test_tampered_or_unsigned_files_fail_verification(demo: dict[str, Any], tmp_path: Path) -> None:
    proxy = Path(demo["folder"]) / "review" / "proxy.mp4"
    data = bytearray(proxy.read_bytes())
    at = data.find(b"mdat") + 64
    data[at] ^= 0xFF
    bad = tmp_path / "tampered.mp4"
    bad.write_bytes(bytes(data))
    assert cli.main(["review", "--verify", str(bad)]) == 8
    with pytest.raises(Exception, match="do not verify"):
        verify(bad)
    import cv2

    plain = tmp_path / "plain.png"
    cv2.imwrite(str(plain), np.zeros((8, 8, 3), np.uint8))
    assert cli.main(["review", "--verify", str(plain)]) == 8
    # A signer the studio does not trust is refused once a trust list is given.
    other = make_signing_files(tmp_path / "other", organisation="Someone else")
    with pytest.raises(Exception, match="do not verify"):
        verify(proxy, trust=other.ca)


def test_cli_review_of_one_frame(
    demo: dict[str, Any], signing: SigningFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import json

    monkeypatch.setenv(CERT_ENV, str(signing.chain))
    monkeypatch.setenv(KEY_ENV, str(signing.key))
    out = tmp_path / "one"
    argv = ["-q", "--json", "review", demo["output"], "--out", str(out), "--frames", "1003"]
    argv += ["--name", "sh010"]
    assert cli.main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["frames"] == 1 and doc["provenance"]["shot"] == "sh010" and doc["signer"]["studio"]
    assert sorted(p.name for p in (out / "stills").iterdir()) == [
        "matte.1003.png", "plate.1003.jpg", "swap.1003.jpg",
    ]  # fmt: skip
    assert cli.main(["review", str(tmp_path / "nothing.####.exr"), "--out", str(out)]) == 3


def test_identity_scores_in_the_notes_and_a_foreign_photo_refused(
    demo: dict[str, Any], signing: SigningFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import json

    from tests.shots import ASSETS

    monkeypatch.setenv(CERT_ENV, str(signing.chain))
    monkeypatch.setenv(KEY_ENV, str(signing.key))
    out = tmp_path / "scored"
    argv = ["-q", "--json", "review", demo["output"], "--out", str(out), "--frames", "1001-1002"]
    assert cli.main([*argv, "--source", demo["source"]]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["identity"]["faces_scored"] == 2 and doc["identity"]["photos"] == [demo["source"]]
    data = (out / "data.js").read_text()
    records = json.loads(data[data.index("{") : data.rindex("}") + 1])["frames"]
    for record in records:
        (face,) = record["identity"]
        assert -1 <= face["plate_to_source"] <= 1 and -1 <= face["to_source"] <= 1
        assert face["to_source"] != face["plate_to_source"]  # the swap changed the face it scored
        assert any(
            note.startswith("identity (") and f"{face['to_source']:.3f}" in note for note in record["notes"]
        )
    foreign = str(ASSETS / "faces" / "obama.jpg")
    assert cli.main([*argv, "--source", foreign]) == 3
    assert "not one the shot was rendered from" in capsys.readouterr().err


def test_notes_name_skipped_and_warned_faces_of_their_frame_only() -> None:
    from ghost_core.io.sequence import FramePattern
    from ghost_core.review.shot import RenderedShot, ShotFrame

    summary = {
        "skipped_faces": [{"frame": 7, "track": 2, "reason": "profile: yaw 80° > 65°"}],
        "warned_faces": [{"frame": 8, "track": 1, "reason": "yaw 50° > 45°"}],
    }
    shot = RenderedShot("sh", FramePattern.parse("s.####.exr"), [], summary)
    seven = shot.notes(ShotFrame(7, Path("a"), Path("b"), {"ghost:faces": 1}))
    eight = shot.notes(ShotFrame(8, Path("a"), Path("b"), {"ghost:faces": 1}))
    assert seven == ["1 face(s) replaced", "track 2 left alone: profile: yaw 80° > 65°"]
    assert eight == ["1 face(s) replaced", "track 1 swapped with a warning: yaw 50° > 45°"]
