"""Frame-layer benchmark: speed against oiiotool, and memory that stays flat over a long sequence.

Speed: one 4096x2160 half RGBA ZIP frame through `frames convert --roundtrip` (read, scene-linear
-> model space -> back over the whole frame, bit-exact merge, atomic ZIP write), as a ratio to
`oiiotool in.exr -o out.exr` timed in the same run; runs are interleaved and the medians compared.
Memory: peak RSS of a fresh process converting 200 frames against one converting 20 (1024x540).

    python benchmarks/frames.py              # about a minute on 2 cores
    python benchmarks/frames.py --runs 9 --json
    NUMPY_MADVISE_HUGEPAGE=0 python benchmarks/frames.py

On Linux with transparent huge pages in `madvise` mode (defrag `madvise`), numpy's default
MADV_HUGEPAGE on big arrays makes page faults stall on memory compaction; frame passes switch it
off (ghost_core.io.memory) unless NUMPY_MADVISE_HUGEPAGE is set. The summary prints the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ghost_core.console import setup_logging  # noqa: E402
from ghost_core.io.convert import ConvertOptions, convert_sequence  # noqa: E402

SPEED_SIZE = (4096, 2160)
MEMORY_SIZE = (1024, 540)
MEMORY_FRAMES = (20, 200)
SPEED_TARGET = 1.5
MEMORY_TARGET = 1.2


def make_plate(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A plausible plate: gradients, texture, grain, highlights up to 16, soft alpha; half, ZIP."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgba = np.empty((height, width, 4), np.float32)
    rgba[..., 0] = x / width * 2.0
    rgba[..., 1] = y / height
    rgba[..., 2] = (np.sin(x / 37.0) * np.cos(y / 53.0) + 1.0) * 0.4
    rgba[..., :3] += rng.normal(0.0, 0.01, (height, width, 3)).astype(np.float32)
    rgba[height // 3 : height // 3 + 40, width // 2 : width // 2 + 80, :3] = 16.0
    rgba[..., 3] = np.clip(x / width * 1.5, 0.0, 1.0)
    spec = oiio.ImageSpec(width, height, 4, "half")
    spec.attribute("compression", "zip")
    out = oiio.ImageOutput.create(str(path))
    if out is None or not out.open(str(path), spec) or not out.write_image(rgba.astype(np.float16)):
        raise SystemExit(f"cannot write {path}: {oiio.geterror()}")
    out.close()
    return path


def oiiotool() -> str:
    found = shutil.which("oiiotool") or str(Path(sys.executable).with_name("oiiotool"))
    if not Path(found).exists():
        raise SystemExit("oiiotool not found on PATH or beside this Python; install OpenImageIO's tools")
    return found


def peak_rss_kb() -> int:
    """This process's resident-set high-water mark in KiB.

    /proc VmHWM belongs to the process image, so a child does not inherit the parent's peak the way
    getrusage's ru_maxrss does across fork+exec on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_settings() -> dict[str, str]:
    """Kernel THP mode and numpy's huge-page advice: they change page-fault cost on 4K frames."""
    settings = {
        "numpy_madvise_hugepage": os.environ.get(
            "NUMPY_MADVISE_HUGEPAGE", "off during frame passes (io.memory)"
        )
    }
    for name in ("enabled", "defrag"):
        try:
            text = Path(f"/sys/kernel/mm/transparent_hugepage/{name}").read_text()
            settings[f"thp_{name}"] = text.split("[")[1].split("]")[0]
        except (OSError, IndexError):
            settings[f"thp_{name}"] = "n/a"
    return settings


def _cpu_seconds() -> float:
    """CPU time (user + system, all threads) of this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one call; CPU time is less sensitive to other load on the box."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    fn()
    return time.perf_counter() - wall, _cpu_seconds() - cpu


def roundtrip(src: Path, dst: Path, frames: str | None = None) -> dict:
    return convert_sequence(str(src), str(dst), frames, ConvertOptions(mode="roundtrip", overwrite=True))


def speed(work: Path, runs: int) -> dict:
    src = make_plate(work / "plate.exr", *SPEED_SIZE)
    tool = oiiotool()
    child = [sys.executable, __file__, "--child-convert", str(src), str(work / "cold.exr")]
    oiio_once = lambda: subprocess.run([tool, str(src), "-o", str(work / "oiio.exr")], check=True)  # noqa: E731
    ghost_once = lambda: roundtrip(src, work / "ghost.exr")  # noqa: E731
    cold_peaks: list[int] = []

    def cold_once() -> None:
        result = subprocess.run(child, check=True, capture_output=True, text=True)
        cold_peaks.append(json.loads(result.stdout)["maxrss_kb"])

    for warm in (oiio_once, ghost_once, cold_once):  # page cache, imports, OCIO config cache
        warm()
    names = ("oiiotool", "ghostswap", "ghostswap_fresh_process")
    times: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(runs):  # interleaved, so drifting load on the machine hits all three alike
        for name, once in zip(names, (oiio_once, ghost_once, cold_once), strict=True):
            wall, used = _timed(once)
            times[name].append(wall)
            cpu[name].append(used)
    medians = {k: statistics.median(v) for k, v in times.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "frame": f"{SPEED_SIZE[0]}x{SPEED_SIZE[1]} half RGBA ZIP",
        "runs": runs,
        "median_seconds": {k: round(v, 3) for k, v in medians.items()},
        "all_seconds": {k: [round(t, 3) for t in v] for k, v in times.items()},
        "median_cpu_seconds": {k: round(v, 3) for k, v in cpu_medians.items()},
        "ratio": round(medians["ghostswap"] / medians["oiiotool"], 3),
        "ratio_fresh_process": round(medians["ghostswap_fresh_process"] / medians["oiiotool"], 3),
        "cpu_ratio": round(cpu_medians["ghostswap"] / cpu_medians["oiiotool"], 3),
        "input_mb": round(src.stat().st_size / 1e6, 1),
        "peak_rss_mb_fresh_process": round(max(cold_peaks) / 1024, 1),
    }


def memory(work: Path) -> dict:
    plate = make_plate(work / "one.exr", *MEMORY_SIZE, seed=1)
    frames_dir = work / "seq"
    frames_dir.mkdir()
    for frame in range(1, max(MEMORY_FRAMES) + 1):
        os.link(plate, frames_dir / f"plate.{frame:04d}.exr")  # same pixels, distinct frames on disk
    peaks: dict[int, int] = {}
    seconds: dict[int, float] = {}
    for count in MEMORY_FRAMES:
        out = work / f"out{count}"
        cmd = [
            sys.executable,
            __file__,
            "--child-memory",
            str(frames_dir / "plate.####.exr"),
            str(count),
            str(out),
        ]
        result = subprocess.run(cmd, check=True, capture_output=True, text=True)
        report = json.loads(result.stdout)
        peaks[count] = report["maxrss_kb"]
        seconds[count] = report["seconds"]
        shutil.rmtree(out)
    small, large = MEMORY_FRAMES
    return {
        "frame": f"{MEMORY_SIZE[0]}x{MEMORY_SIZE[1]} half RGBA ZIP",
        "peak_rss_mb": {str(n): round(kb / 1024, 1) for n, kb in peaks.items()},
        "seconds": {str(n): round(s, 2) for n, s in seconds.items()},
        "ratio": round(peaks[large] / peaks[small], 3),
    }


def _child_convert(src: str, dst: str) -> None:
    setup_logging(quiet=True)
    roundtrip(Path(src), Path(dst))
    print(json.dumps({"maxrss_kb": peak_rss_kb()}))


def _child_memory(pattern: str, count: str, out: str) -> None:
    setup_logging(quiet=True)
    start = time.perf_counter()
    summary = convert_sequence(pattern, f"{out}/out.####.exr", f"1-{count}", ConvertOptions(mode="roundtrip"))
    assert summary["written"] == int(count), summary
    print(json.dumps({"maxrss_kb": peak_rss_kb(), "seconds": time.perf_counter() - start}))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (median taken)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--workdir", help="temporary folder (default: system temp)")
    parser.add_argument("--child-convert", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-memory", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_convert:
        _child_convert(*args.child_convert)
        return 0
    if args.child_memory:
        _child_memory(*args.child_memory)
        return 0

    setup_logging(quiet=True)
    with tempfile.TemporaryDirectory(prefix="ghost-frames-bench-", dir=args.workdir) as tmp:
        work = Path(tmp)
        results = {
            "cpus": os.cpu_count(),
            "memory_settings": memory_settings(),
            "speed": speed(work, args.runs),
            "memory": memory(work),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    s, m = results["speed"], results["memory"]
    med = s["median_seconds"]
    small, large = (str(n) for n in MEMORY_FRAMES)
    print(f"Speed: one {s['frame']} frame ({s['input_mb']} MB), median of {s['runs']} runs")
    print(f"  oiiotool in.exr -o out.exr                   {med['oiiotool']:.3f} s")
    print(
        f"  ghostswap convert --roundtrip (in process)    {med['ghostswap']:.3f} s   "
        f"ratio {s['ratio']:.2f}  (target <= {SPEED_TARGET})"
    )
    print(
        f"  same, fresh Python process per frame         {med['ghostswap_fresh_process']:.3f} s   "
        f"ratio {s['ratio_fresh_process']:.2f}  (imports + OCIO config load included)"
    )
    print(f"  peak RSS of that fresh process: {s['peak_rss_mb_fresh_process']} MB")
    cpu = s["median_cpu_seconds"]
    print(
        f"  CPU time (all threads): oiiotool {cpu['oiiotool']:.3f} s, ghostswap {cpu['ghostswap']:.3f} s, "
        f"ratio {s['cpu_ratio']:.2f}"
    )
    settings = ", ".join(f"{k} {v}" for k, v in results["memory_settings"].items())
    print(f"  ({results['cpus']} CPUs; {settings})")
    print(f"Memory: peak RSS of a fresh process, {m['frame']} frames, --roundtrip")
    print(f"  {small:>3} frames  {m['peak_rss_mb'][small]:7.1f} MB  ({m['seconds'][small]} s)")
    print(f"  {large:>3} frames  {m['peak_rss_mb'][large]:7.1f} MB  ({m['seconds'][large]} s)")
    print(f"  ratio {m['ratio']:.3f}  (target <= {MEMORY_TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
