"""Per-frame cost of everything but the generator, as a ratio to the generator's own time.

    python benchmarks/pipeline.py [--frames 8] [--precisions fp32,bf16] [--gen-batches 1,8,32]
        [--skip-memory] [--skip-throughput] [--json out.json]

A 1920×1080 scene-linear plate with one face (~300 px) is rendered by the real engine with the
`ghost` swapper (deterministic random weights in the official layout, installed through the
model manager into a temporary GHOSTSWAP_HOME). The generator backend is timed from inside the
run, so `overhead / generator` compares two costs measured on the same machine at the same time.
`render` is the farm-chunk cost (track file given); `track` is the once-per-shot analysis,
reported per frame. Peak memory (VmHWM) is measured in child processes for a shot and a 4× longer one.
Target on CPU: render overhead ratio <= 0.25, peak memory ratio close to 1. EXR reads and writes are
timed separately (the write runs on a background thread, overlapping the next batch).

Throughput rows (issue #17): generator-only faces/s at batch 1/8/32 for each precision (the backend
the engine picks: onnxruntime for fp32, torch for bf16; plus torch fp32 so bf16 has a same-backend
reference), end-to-end render frames/s for each precision (and with one EXR encode worker against the pool,
`--write-workers`), EXR encode alone on one thread and on the pool, and end-to-end / generator-only at the
render's batch (one face per frame, so frames/s = faces/s; target >= 0.8), also "in-run": the
generator's seconds inside that render over its wall time (one interval, robust to a shared
machine's load changing between rows). GPU rows (generator-only at batch 1/8/32, and end-to-end
renders with every per-face step on the device, onnxruntime and torch backends) are printed as
"unmeasured (no CUDA)" when torch sees no GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WIDTH, HEIGHT = 1920, 1080


def build_plate(folder: Path, frames: int) -> str:
    """A slow push-in on the astronaut photo (public domain, in scikit-image), ACEScg half EXR."""
    from ghost_core.color import ColorPath, load_config, model_colorspace
    from ghost_core.engine.demo import PLATE_SPACE, _astronaut, _write_exr

    config = load_config("ocio://studio-config-latest")
    color = ColorPath(config, PLATE_SPACE, model_colorspace(config).name)
    photo = _astronaut()
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(frames):
        scale = 1.9 + 0.01 * i
        matrix = np.array([[scale, 0, 560 + 2 * i], [0, scale, -60 + i]], np.float32)
        canvas = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR, borderValue=0.2)
        _write_exr(folder / f"plate.{1001 + i:04d}.exr", color.from_model(canvas), PLATE_SPACE)
    return str(folder / "plate.####.exr")


def install_random_ghost(home: Path) -> None:
    """G 2-blocks and ArcFace with deterministic random weights, installed like official files."""
    from ghost_core.models_store import install
    from ghost_core.nets.random_weights import save_random_checkpoint

    weights = home / "weights"
    save_random_checkpoint("generator", weights / "G_unet_2blocks.pth", num_blocks=2)
    save_random_checkpoint("arcface", weights / "backbone.pth")
    install("ghost_unet_2blocks", from_dir=weights)
    install("arcface_backbone", from_dir=weights)


class Timed:
    """Wraps a backend; accumulates the seconds spent inside it."""

    def __init__(self, backend: object) -> None:
        self.backend = backend
        self.seconds = 0.0
        self.faces = 0

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        started = time.perf_counter()
        out = self.backend(*arrays)  # type: ignore[operator]
        self.seconds += time.perf_counter() - started
        self.faces += len(arrays[0])
        return out

    def call_tensors(self, *tensors: object) -> object:
        """The device entry (a CUDA render's ghost swapper); synchronised so the time is the GPU's."""
        import torch

        started = time.perf_counter()
        out = self.backend.call_tensors(*tensors)  # type: ignore[attr-defined]
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.seconds += time.perf_counter() - started
        self.faces += len(tensors[0])  # type: ignore[arg-type]
        return out

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)


def measure(
    plate: str,
    folder: Path,
    source: str,
    batch: int,
    precision: str = "fp32",
    read_ahead: int = 1,
    device: str = "auto",
    write_workers: int = 0,
    backend: str = "auto",
) -> dict[str, float]:
    from ghost_core.engine.render import render, requested_frames
    from ghost_core.engine.shot import Shot
    from ghost_core.knobs import ShotSettings

    settings = ShotSettings(
        plate=plate,
        sources=[[source]],
        swapper="ghost",
        detector="retinaface",
        landmarker="mesh",
        batch=batch,
        precision=precision,
        read_ahead=read_ahead,
        device=device,
        write_workers=write_workers,
        backend=backend,
        overwrite=True,
    )
    import ghost_core.engine.render as render_module

    io = {"seconds": 0.0}

    def clocked(fn):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                io["seconds"] += time.perf_counter() - started

        return run

    shot = Shot(settings)
    timed = Timed(shot.swapper.generator)  # type: ignore[attr-defined]
    shot.swapper.generator = timed  # type: ignore[attr-defined]
    started = time.perf_counter()
    tf = shot.analyse()
    track_seconds = time.perf_counter() - started - timed.seconds
    timed.seconds, timed.faces = 0.0, 0
    settings.out = str(folder / "out" / "swap.####.exr")
    renderer = shot.renderer(settings, tf)
    read, write = render_module.read_frame, render_module.write_frame
    render_module.read_frame, render_module.write_frame = clocked(read), clocked(write)
    try:
        started = time.perf_counter()
        summary = render(renderer, requested_frames(settings))
        total = time.perf_counter() - started
    finally:
        render_module.read_frame, render_module.write_frame = read, write
    frames = summary.written
    return {
        "frames": frames,
        "faces": timed.faces,
        "generator_s_per_frame": timed.seconds / frames,
        "render_overhead_s_per_frame": (total - timed.seconds) / frames,
        "exr_io_s_per_frame_any_thread": io["seconds"] / frames,
        "track_s_per_frame": track_seconds / frames,
        "end_to_end_frames_per_s": frames / total,
        "backend": shot.swapper.describe()["generator"]["backend"],  # type: ignore[index]
    }


def generator_only(
    weights: Path, backend: str, precision: str, batches: list[int], device: str = "cpu"
) -> list[dict[str, object]]:
    """Faces/s of the generator alone (256 crops, random inputs), best of two timed calls per batch."""
    from ghost_core.runtime import open_backend

    net = open_backend(
        "generator", weights, backend=backend, device=device, precision=precision, max_batch=max(batches)
    )
    rng = np.random.default_rng(0)
    rows: list[dict[str, object]] = []
    for batch in batches:
        target = rng.uniform(-1, 1, (batch, 3, 256, 256)).astype(np.float32)
        z_id = rng.normal(size=(batch, 512)).astype(np.float32)
        net(target, z_id)  # warm-up: allocations, kernel selection
        best = float("inf")
        for _ in range(2 if batch < 32 else 1):
            started = time.perf_counter()
            net(target, z_id)
            best = min(best, time.perf_counter() - started)
        rows.append(
            {"device": device, "backend": net.name, "precision": net.precision, "batch": batch,
             "faces_per_s": batch / best}
        )  # fmt: skip
    return rows


def encode_only(plate: str, folder: Path, frames: int, workers: list[int]) -> list[dict[str, object]]:
    """Output EXR writes alone (the plate, unchanged) on 1..N threads: what the encode pool can gain."""
    from concurrent.futures import ThreadPoolExecutor

    from ghost_core.io.exr import read_frame
    from ghost_core.io.exr_write import write_frame

    folder.mkdir(parents=True, exist_ok=True)
    plates = [read_frame(Path(plate.replace("####", f"{1001 + i:04d}"))) for i in range(frames)]
    rows: list[dict[str, object]] = []
    for n in workers:
        started = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            list(pool.map(lambda item: write_frame(folder / f"o.{item[0]}.exr", item[1]), enumerate(plates)))
        rows.append({"write_workers": n, "frames_per_s": frames / (time.perf_counter() - started)})
    return rows


def throughput(args: argparse.Namespace, work: Path, plate: str, source: str) -> dict[str, object]:
    """Generator-only rows, end-to-end rows per precision and their ratio, GPU rows or 'unmeasured'."""
    import torch

    from ghost_core.engine.write_pool import auto_workers

    weights = work / "home" / "weights" / "G_unet_2blocks.pth"
    precisions = args.precisions.split(",")
    batches = sorted({*map(int, args.gen_batches.split(",")), args.batch})
    configs = [("auto", p) for p in precisions] + ([("torch", "fp32")] if "bf16" in precisions else [])
    gen = [row for b, p in configs for row in generator_only(weights, b, p, batches)]
    e2e = []
    pool = auto_workers(0)
    # (precision, read-ahead, encode workers); then reads inline, then one encode worker (serial)
    runs = [(p, 1, pool) for p in precisions] + [(precisions[0], 0, pool), (precisions[0], 1, 1)]
    for p, ahead, workers in runs:
        folder = work / f"e2e_{p}_{ahead}_{workers}"
        m = measure(plate, folder, source, args.batch, p, ahead, device="cpu", write_workers=workers)
        same = (p, m["backend"], args.batch)
        ref = next(r for r in gen if (r["precision"], r["backend"], r["batch"]) == same)
        e2e.append(
            {"precision": p, "backend": m["backend"], "batch": args.batch, "read_ahead": ahead,
             "write_workers": workers,
             "frames_per_s": m["end_to_end_frames_per_s"], "generator_faces_per_s": ref["faces_per_s"],
             "ratio": m["end_to_end_frames_per_s"] / float(ref["faces_per_s"]),  # type: ignore[arg-type]
             # generator seconds inside this render / its wall time: the same ratio, but both from
             # one interval, so a neighbour's load on a shared machine cannot skew it
             "ratio_in_run": m["end_to_end_frames_per_s"] * m["generator_s_per_frame"]}
        )  # fmt: skip
    gpu: list[dict[str, object]] | str = "unmeasured (no CUDA)"
    if torch.cuda.is_available():
        gpu = []
        for b, p in (("onnxruntime", "fp16"), ("torch", "fp16"), ("torch", "bf16")):
            try:
                gpu += generator_only(weights, b, p, [1, 8, 32], device="cuda")
            except Exception as exc:  # e.g. onnxruntime without its CUDA provider: say so, keep going
                gpu.append({"device": "cuda", "backend": b, "precision": p, "error": str(exc)})
        # End to end on the GPU: warps, crop colour, the generator's resizes and the blend on the
        # device (engine/torch_warp.py); with the torch backend the crops reach the generator
        # without leaving it. fp32 = the runtime's choice, fp16 on a GPU.
        for b in ("auto", "torch"):
            try:
                m = measure(plate, work / f"e2e_cuda_{b}", source, args.batch, "fp32", 1, "cuda", pool, b)
                gpu.append(
                    {"device": "cuda", "kind": "end_to_end", "backend": m["backend"], "precision": "fp16",
                     "batch": args.batch, "frames_per_s": m["end_to_end_frames_per_s"],
                     "ratio_in_run": m["end_to_end_frames_per_s"] * m["generator_s_per_frame"]}
                )  # fmt: skip
            except Exception as exc:
                gpu.append({"device": "cuda", "kind": "end_to_end", "backend": b, "error": str(exc)})
    encode = encode_only(plate, work / "encode", args.frames, sorted({1, pool}))
    return {
        "cpu_threads": torch.get_num_threads(), "generator_only": gen, "end_to_end": e2e,
        "encode_only": encode, "gpu": gpu,
    }  # fmt: skip


def print_throughput(rows: dict[str, object]) -> None:
    print(f"\ngenerator only (CPU, {rows['cpu_threads']} threads)")
    print(f"{'backend':<12} {'precision':<9} {'batch':>5} {'faces/s':>8}")
    for r in rows["generator_only"]:  # type: ignore[attr-defined]
        print(f"{r['backend']:<12} {r['precision']:<9} {r['batch']:>5} {r['faces_per_s']:>8.3f}")
    print("\nend to end (render, one face per frame)")
    head = f"{'backend':<12} {'precision':<9} {'batch':>5} {'ahead':>5} {'write':>5}"
    print(f"{head} {'frames/s':>8} {'gen faces/s':>11} {'ratio':>6} {'in-run':>6}")
    for r in rows["end_to_end"]:  # type: ignore[attr-defined]
        verdict = "ok" if r["ratio_in_run"] >= 0.8 else "below 0.8"
        print(
            f"{r['backend']:<12} {r['precision']:<9} {r['batch']:>5} {r['read_ahead']:>5} "
            f"{r['write_workers']:>5} "
            f"{r['frames_per_s']:>8.3f} "
            f"{r['generator_faces_per_s']:>11.3f} {r['ratio']:>6.2f} {r['ratio_in_run']:>6.2f}  ({verdict})"
        )
    print("\nEXR encode only (write_frame of the plates, no swap)")
    for r in rows["encode_only"]:  # type: ignore[attr-defined]
        print(f"write workers {r['write_workers']:>2}: {r['frames_per_s']:.2f} frames/s")
    gpu = rows["gpu"]
    if isinstance(gpu, str):
        print(f"\nGPU rows: {gpu}")
        return
    print("\ngenerator only (GPU), then end to end (1920x1080 render, every face step on the GPU)")
    for r in gpu:
        if r.get("error"):
            shown = r["error"]
        elif r.get("kind") == "end_to_end":
            rate = f"{r['frames_per_s']:.1f} frames/s end to end"
            shown = f"batch {r['batch']:>3}: {rate} (in-run {r['ratio_in_run']:.2f})"
        else:
            shown = f"batch {r['batch']:>3}: {r['faces_per_s']:.1f} faces/s"
        print(f"{r['backend']:<12} {r.get('precision', ''):<9} {shown}")


def peak_rss_child(frames: int, workdir: Path, source: str) -> float:
    """Peak RSS (MB) of a child process rendering `frames` frames with the morph swapper."""
    code = f"""
import resource, sys
sys.path.insert(0, {str(REPO)!r})
from benchmarks.pipeline import build_plate
from ghost_core.knobs import ShotSettings
from ghost_core.engine.shot import render_command
plate = build_plate(__import__('pathlib').Path({str(workdir)!r}) / 'plate', {frames})
render_command(ShotSettings(plate=plate, sources=[[{source!r}]], out={str(workdir / "out" / "o.####.exr")!r},
    swapper='morph', detector='retinaface', landmarker='mesh', overwrite=True))
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (big) parent across fork+exec.
print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--precisions", default="fp32,bf16", help="comma list of fp32, bf16")
    parser.add_argument("--gen-batches", default="1,8,32", help="generator-only batch sizes")
    parser.add_argument("--skip-throughput", action="store_true", help="only the overhead figures")
    args = parser.parse_args()
    source = str(REPO.parent / "shared" / "assets" / "faces" / "elon_musk.jpg")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["GHOSTSWAP_HOME"] = str(work / "home")
        install_random_ghost(work / "home")
        plate = build_plate(work / "plate", args.frames)
        result = measure(plate, work, source, args.batch)
        result["render_overhead_ratio"] = (
            result["render_overhead_s_per_frame"] / result["generator_s_per_frame"]
        )
        result["track_plus_render_ratio"] = (
            result["render_overhead_s_per_frame"] + result["track_s_per_frame"]
        ) / result["generator_s_per_frame"]
        if not args.skip_memory:
            # Past the first two batches (writer pipeline full) the high-water mark stops rising.
            short = peak_rss_child(2 * args.frames, work / "mem_short", source)
            long = peak_rss_child(8 * args.frames, work / "mem_long", source)
            result.update(peak_rss_mb_short=short, peak_rss_mb_long=long, peak_rss_ratio=long / short)
        rows = None if args.skip_throughput else throughput(args, work, plate, source)
    result["self_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, value in result.items():
        print(f"{key:32s} {value:.4f}" if isinstance(value, float) else f"{key:32s} {value}")
    if rows is not None:
        print_throughput(rows)
        result["throughput"] = rows
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
