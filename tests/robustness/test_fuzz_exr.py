"""Fuzz the EXR readers: hundreds of damaged variants of one small valid EXR written here.

Each variant goes through `ghostswap frames info` (the file alone) and `ghostswap render` (as
frame 1002 of a two-frame plate whose frame 1001 is intact, offline `morph` swapper). A damaged
frame must give a typed exit code from ghost_core/errors.py, one error line that names the file,
and nothing written for it (no output frame, no temporary file). Most variants run in-process
(`ghost_core.cli.main`); a sample of ten runs as real processes, to prove there is no traceback
and no signal at the process level.

Some bit flips leave a file that OpenEXR itself reads without complaint: a flip inside a ZIP
chunk's data (OpenEXR does not check the zlib checksum), in an optional attribute (its name, or
a value nothing validates), or in the offset table (OpenEXR rebuilds it from the chunk headers).
No reader can tell such a file from a valid one, so for those the test asserts that both
commands succeed and write a complete frame; every truncated, emptied, renamed or structurally
broken variant must be refused.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from ghost_core.cli import main
from ghost_core.errors import GhostSwapError
from ghost_core.io.exr import read_frame
from tests.robustness.conftest import (
    PHOTO,
    cli_env,
    documented_exit_codes,
    gradient_rgba,
    write_exr,
)
from tests.shots import ASSETS

SEED = 20240611
MIN_REFUSED = 200
EXIT_CODES = documented_exit_codes() - {0}
# Lines a third-party library may print on stderr while loading the offline landmarker.
THIRD_PARTY_NOISE = ("INFO: Created TensorFlow Lite", "WARNING: All log messages before absl")


# ------------------------------------------------------------------------------------ variants


@dataclass(frozen=True)
class Header:
    """Where each attribute of a scanline EXR header sits: name -> (value offset, value size)."""

    attributes: dict[str, tuple[int, int]]
    end: int  # first byte of the offset table
    chunks: list[int]  # chunk offsets from the table


def parse_header(data: bytes, chunk_count: int) -> Header:
    assert data[:4] == b"\x76\x2f\x31\x01", "not an EXR"
    pos, attributes = 8, {}
    while data[pos] != 0:
        name_end = data.index(b"\0", pos)
        type_end = data.index(b"\0", name_end + 1)
        (size,) = struct.unpack_from("<i", data, type_end + 1)
        attributes[data[pos:name_end].decode()] = (type_end + 5, size)
        pos = type_end + 5 + size
    end = pos + 1
    chunks = list(struct.unpack_from(f"<{chunk_count}Q", data, end))
    return Header(attributes, end, chunks)


def _put(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value) :]


def header_corruptions(good: bytes, header: Header) -> Iterator[tuple[str, bytes]]:
    """Hand-made wrong values for the fields a reader must not trust."""
    attr = header.attributes

    def field(name: str, value: bytes, offset: int = 0) -> bytes:
        return _put(good, attr[name][0] + offset, value)

    def box(*v: int) -> bytes:
        return struct.pack("<4i", *v)

    def size_of(name: str, size: int) -> bytes:
        return _put(good, attr[name][0] - 4, struct.pack("<i", size))

    yield "data-window-huge-x", field("dataWindow", box(0, 0, 2**30, 47))
    yield "data-window-huge-y", field("dataWindow", box(0, 0, 31, 2**30))
    yield "data-window-2^20", field("dataWindow", box(0, 0, 2**20, 2**20))
    yield "data-window-inverted", field("dataWindow", box(0, 0, -5, 47))
    yield "data-window-int-limits", field("dataWindow", box(-(2**31), -(2**31), 2**31 - 1, 2**31 - 1))
    yield "data-window-taller", field("dataWindow", box(0, 0, 31, 4000))
    yield "data-window-wider", field("dataWindow", box(0, 0, 4000, 47))
    yield "display-window-huge", field("displayWindow", box(0, 0, 2**30, 2**30))
    yield "compression-none", field("compression", b"\x00")
    yield "compression-piz", field("compression", b"\x04")
    yield "compression-dwaa", field("compression", b"\x08")
    yield "pixel-aspect-nan", field("pixelAspectRatio", struct.pack("<f", float("nan")))
    yield "pixel-aspect-zero", field("pixelAspectRatio", struct.pack("<f", 0.0))
    yield "pixel-aspect-inf", field("pixelAspectRatio", struct.pack("<f", float("inf")))
    yield "channel-type-3", field("channels", b"\x03", offset=2)
    yield "channel-type-uint", field("channels", b"\x00", offset=2)
    yield "channel-type-float", field("channels", b"\x02", offset=2)
    yield "channel-sampling-2", field("channels", struct.pack("<2i", 2, 2), offset=10)
    yield "channel-sampling-0", field("channels", struct.pack("<2i", 0, 0), offset=10)
    yield "channel-name-not-utf8", field("channels", b"\xff", offset=0)
    yield "channel-list-unterminated", field("channels", b"\x01", offset=attr["channels"][1] - 1)
    yield "version-tiled", _put(good, 4, struct.pack("<I", 2 | 0x200))
    yield "version-deep", _put(good, 4, struct.pack("<I", 2 | 0x800))
    yield "version-multipart", _put(good, 4, struct.pack("<I", 2 | 0x1000))
    yield "version-3", _put(good, 4, struct.pack("<I", 3))
    yield "magic", _put(good, 0, b"\0")
    yield "attribute-size-huge", size_of("capDate", 0x7FFFFFFF)
    yield "attribute-size-negative", size_of("capDate", -100)
    yield "channels-size-huge", size_of("channels", 0x7FFFFFF0)
    yield "header-unterminated", _put(good, header.end - 1, b"x")
    yield "chunk-size-huge", _put(good, header.chunks[0] + 4, struct.pack("<i", 0x7FFFFFFF))
    yield "chunk-size-negative", _put(good, header.chunks[0] + 4, struct.pack("<i", -1))
    yield "chunk-y-wrong", _put(good, header.chunks[1], struct.pack("<i", 999))
    yield "chunks-zeroed", good[: header.chunks[0]] + bytes(len(good) - header.chunks[0])


def build_variants(good: bytes, header: Header, folder: Path) -> dict[str, bytes]:
    rng = random.Random(SEED)
    png = folder / "photo.png"
    write_exr_like_png(png)
    variants: dict[str, bytes] = {
        "zero-bytes": b"",
        "png-renamed": png.read_bytes(),
        "jpeg-renamed": Path(PHOTO).read_bytes()[:20000],
        "text-renamed": b"frame 1002 goes here\n",
        "magic-only": good[:4],
        "nul-bytes": bytes(len(good)),
    }
    # Truncations: densely through the header and offset table, at chunk edges, then the data.
    cuts = set(range(1, header.chunks[0] + 8, 7))
    for edge in header.chunks:
        cuts |= {edge - 1, edge, edge + 4, edge + 8, edge + 9}
    cuts |= set(rng.sample(range(header.chunks[0], len(good)), 30)) | {len(good) - 1, len(good) - 4}
    for cut in sorted(c for c in cuts if 0 < c < len(good)):
        variants[f"truncated-{cut}"] = good[:cut]
    # Bit flips: every fifth header byte (bit chosen by position), then random bytes anywhere.
    positions = [(p, p % 8) for p in range(0, header.end + 8 * len(header.chunks), 5)]
    positions += [(rng.randrange(len(good)), rng.randrange(8)) for _ in range(60)]
    for pos, bit in positions:
        flipped = bytearray(good)
        flipped[pos] ^= 1 << bit
        variants[f"flip-{pos}.{bit}"] = bytes(flipped)
    variants.update(header_corruptions(good, header))
    return variants


def write_exr_like_png(path: Path) -> None:
    out = oiio.ImageOutput.create(str(path))
    spec = oiio.ImageSpec(8, 8, 3, oiio.UINT8)
    assert out.open(str(path), spec)
    assert out.write_image(bytes(8 * 8 * 3))
    out.close()


# ------------------------------------------------------------------------------------ running


@dataclass
class Outcome:
    code: int
    stderr: str


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ghostswap: ERROR")]


def _check_refusal(outcome: Outcome, damaged: Path, label: str) -> None:
    assert outcome.code in EXIT_CODES, f"{label}: exit {outcome.code} is not a documented code"
    errors = _error_lines(outcome.stderr)
    assert len(errors) == 1, f"{label}: expected one error line, got:\n{outcome.stderr}"
    assert str(damaged) in errors[0], f"{label}: the error does not name {damaged}: {errors[0]}"


def _leftovers(out_dir: Path) -> list[str]:
    """What a refused render left for the damaged frame: its output or any temporary file."""
    if not out_dir.exists():
        return []
    return sorted(p.name for p in out_dir.iterdir() if p.name.startswith(".") or "1002" in p.name)


@dataclass
class Shot:
    root: Path
    good: bytes
    header: Header
    variants: dict[str, bytes]

    def plate_dir(self, name: str) -> Path:
        return self.root / "plates" / name

    def stage(self, name: str) -> tuple[Path, str, Path]:
        """A plate folder with frame 1001 intact and 1002 the variant: (damaged file, pattern, out)."""
        folder = self.plate_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plate.1001.exr").write_bytes(self.good)
        damaged = folder / "plate.1002.exr"
        damaged.write_bytes(self.variants[name])
        return damaged, str(folder / "plate.####.exr"), self.root / "out" / name

    def cleanup(self, name: str) -> None:
        shutil.rmtree(self.plate_dir(name), ignore_errors=True)
        shutil.rmtree(self.root / "out" / name, ignore_errors=True)


def _render_argv(pattern: str, out_dir: Path) -> list[str]:
    return ["-q", "render", "--plate", pattern, "--source", PHOTO, "--swapper", "morph",
            "--out", str(out_dir / "swap.####.exr")]  # fmt: skip


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Shot:
    root = tmp_path_factory.mktemp("fuzz")
    good_path = write_exr(root / "good.exr", gradient_rgba(), attributes={"oiio:ColorSpace": "ACEScg"})
    good = good_path.read_bytes()
    header = parse_header(good, chunk_count=3)
    return Shot(root, good, header, build_variants(good, header, root))


def test_variants_are_many_and_distinct(shot: Shot) -> None:
    assert len(shot.variants) >= MIN_REFUSED + 20
    assert shot.good not in shot.variants.values()
    assert ASSETS.is_dir()


def _same_pixels(path: Path, good: Path) -> bool:
    a, b = read_frame(path), read_frame(good)
    return a.channel_names == b.channel_names and all(
        np.array_equal(x.view(np.uint16), y.view(np.uint16)) for x, y in zip(a.planes, b.planes, strict=True)
    )


def _in_chunk_data(name: str, header: Header) -> bool:
    """A flip inside a chunk's compressed bytes, which OpenEXR does not checksum."""
    if not name.startswith("flip-"):
        return False
    position = int(name.removeprefix("flip-").split(".")[0])
    return any(start + 8 <= position for start in header.chunks)


def _passes_preflight(pattern: str) -> bool:
    """True when the up-front plate check (headers, last chunks) finds nothing wrong."""
    from ghost_core.io.plate import check_plate

    try:
        check_plate(pattern)
    except GhostSwapError:
        return False
    return True


def test_every_variant_in_process(shot: Shot, capsys: pytest.CaptureFixture[str]) -> None:
    intact = shot.root / "intact"
    intact.mkdir()
    for frame in (1001, 1002):
        (intact / f"plate.{frame}.exr").write_bytes(shot.good)
    track = shot.root / "track.json"  # for renders that read frames only while writing
    argv = ["-q", "track", "--plate", str(intact / "plate.####.exr"), "--source", PHOTO]
    assert main([*argv, "--swapper", "morph", "--out", str(track)]) == 0
    capsys.readouterr()

    refused: list[str] = []
    readable: list[str] = []
    late: list[str] = []  # damage only a full decode finds: past the up-front check
    for name in shot.variants:
        damaged, pattern, out_dir = shot.stage(name)
        info = Outcome(main(["-q", "frames", "info", str(damaged)]), capsys.readouterr().err)
        render = Outcome(main(_render_argv(pattern, out_dir)), capsys.readouterr().err)
        if info.code == 0:
            # OpenEXR reads this variant as a valid file: both commands must treat it as one, and
            # what they read must be the original pixels unless the flip hit unchecked chunk data.
            assert not name.startswith(("truncated", "zero", "png", "jpeg", "text", "magic", "nul")), name
            assert _in_chunk_data(name, shot.header) or _same_pixels(damaged, intact / "plate.1001.exr"), name
            readable.append(name)
            if render.code == 0:
                assert (out_dir / "swap.1002.exr").is_file(), name
                assert not [p for p in out_dir.iterdir() if p.name.startswith(".")], name
            else:  # readable on its own, but not as a frame of this plate (size, channels)
                _check_refusal(render, damaged, f"render {name}")
                assert _leftovers(out_dir) == [], name
        else:
            _check_refusal(info, damaged, f"frames info {name}")
            _check_refusal(render, damaged, f"render {name}")
            assert _leftovers(out_dir) == [], f"render {name} left {_leftovers(out_dir)}"
            refused.append(name)
            if _passes_preflight(pattern):
                # With a track file the plate is read frame by frame while writing: frame 1001
                # may be finished, 1002 must leave neither an output nor a temporary file.
                tracked_out = out_dir.with_name(f"{name}-tracked")
                argv = [*_render_argv(pattern, tracked_out), "--track", str(track)]
                tracked = Outcome(main(argv), capsys.readouterr().err)
                _check_refusal(tracked, damaged, f"render --track {name}")
                assert _leftovers(tracked_out) == [], f"render --track {name} left {_leftovers(tracked_out)}"
                shutil.rmtree(tracked_out, ignore_errors=True)
                late.append(name)
        shot.cleanup(name)
    print(
        f"\nfuzz: {len(shot.variants)} variants, {len(refused)} refused ({len(late)} past the up-front check)"
    )
    print(f"fuzz: read as valid files: {readable}")
    assert len(refused) >= MIN_REFUSED, f"only {len(refused)} refused; readable: {readable}"
    assert late, "some damage must be found only by a full decode (the render --track path)"


def sample(shot: Shot) -> list[str]:
    """Ten variants, one or two per kind of damage, each certain to be refused."""
    return [
        "zero-bytes",
        "png-renamed",
        "text-renamed",
        "truncated-50",  # inside the header
        f"truncated-{shot.header.chunks[1] + 9}",  # inside the second chunk's data
        "flip-0.0",  # the magic number
        "channel-name-not-utf8",
        "data-window-2^20",
        "attribute-size-huge",
        "chunk-size-huge",  # first chunk: only a full decode finds it, after the models load
    ]


def _process(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ghost_core.cli", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        env=cli_env(),
    )


def test_a_sample_as_real_processes(shot: Shot) -> None:
    names = sample(shot)
    assert set(names) <= set(shot.variants), set(names) - set(shot.variants)
    staged = {name: shot.stage(name) for name in names}
    assert _passes_preflight(staged["chunk-size-huge"][1]), "one sample must reach the analysis"
    runs = [(name, "info", ["-q", "frames", "info", str(staged[name][0])]) for name in names]
    runs += [(name, "render", _render_argv(*staged[name][1:])) for name in names]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda run: _process(run[2]), runs))
    for (name, command, _), proc in zip(runs, results, strict=True):
        damaged, _, out_dir = staged[name]
        label = f"{command} {name}"
        assert proc.returncode >= 0, f"{label}: killed by signal {-proc.returncode}"
        assert "Traceback" not in proc.stderr, f"{label}:\n{proc.stderr}"
        assert "pending error" not in proc.stderr, f"{label}:\n{proc.stderr}"
        _check_refusal(Outcome(proc.returncode, proc.stderr), damaged, label)
        others = [
            line
            for line in proc.stderr.splitlines()
            if line.strip()
            and not line.startswith("ghostswap: ERROR")
            and not line.startswith(THIRD_PARTY_NOISE)
        ]
        assert not others, f"{label}: unexpected stderr lines {others}"
        if command == "render":
            assert _leftovers(out_dir) == [], f"{label} left {_leftovers(out_dir)}"
