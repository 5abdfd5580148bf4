"""Seconds per face of the 2-block GHOST generator, as a ratio to this machine's own sgemm speed.

    python benchmarks/generator.py [--repeats 3] [--json out.json]

ratio = measured time per face / (generator FLOPs per face / sgemm FLOP/s), all measured in this
run, so the figure is comparable across noisy shared machines: 1.0 would mean the whole network
runs as fast as a large square matrix multiply. Target on a 2-core CPU: <= 1.25 for the best
backend, and faster than eager torch. With a CUDA GPU it also reports fp16 faces/s at batch 1/8/32.
Weights are deterministic random ones in the official layout (same compute as the real file).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ghost_core.nets import SwapOnly, load_generator
from ghost_core.nets.random_weights import save_random_checkpoint
from ghost_core.runtime import open_backend


def sgemm_flops(n: int = 2048, repeats: int = 10) -> float:
    """Best-of-5 FLOP/s of an n×n fp32 matrix multiply with torch's BLAS."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        best = max(best, 2 * n**3 * repeats / (time.perf_counter() - t))
    return best


def generator_flops(weights: Path) -> int:
    net = SwapOnly(load_generator(weights)).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, 3, 256, 256), torch.zeros(1, 512))
    return counter.get_total_flops()


def seconds_per_face(backend, batch: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    target = rng.uniform(-1, 1, (batch, 3, 256, 256)).astype(np.float32)
    z_id = rng.normal(size=(batch, 512)).astype(np.float32)
    backend(target, z_id)  # warm-up (allocations, kernel selection)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        backend(target, z_id)
        times.append((time.perf_counter() - t) / batch)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ghostswap-bench-") as tmp:
        weights = save_random_checkpoint("generator", Path(tmp) / "G_unet_2blocks.pth", seed=0)
        flops = generator_flops(weights)
        sgemm_before = sgemm_flops()
        rows = []
        for name in ("torch", "onnxruntime"):
            backend = open_backend(
                "generator", weights, backend=name, device="cpu", max_batch=max(args.batches)
            )
            for batch in args.batches:
                spf = seconds_per_face(backend, batch, args.repeats)
                rows.append(
                    {"backend": name, "device": "cpu", "precision": "fp32", "batch": batch, "s_per_face": spf}
                )
            del backend
        sgemm = max(sgemm_before, sgemm_flops())
        for row in rows:
            row["ratio"] = row["s_per_face"] / (flops / sgemm)

        gpu_rows = []
        if torch.cuda.is_available():
            for name in ("torch", "onnxruntime"):
                try:
                    backend = open_backend(
                        "generator", weights, backend=name, device="cuda", precision="fp16", max_batch=32
                    )
                except Exception as exc:  # onnxruntime without CUDA provider: report, keep going
                    gpu_rows.append({"backend": name, "error": str(exc)})
                    continue
                for batch in (1, 8, 32):
                    spf = seconds_per_face(backend, batch, max(args.repeats, 10))
                    gpu_rows.append(
                        {
                            "backend": name,
                            "device": backend.device,
                            "precision": "fp16",
                            "batch": batch,
                            "faces_per_s": 1 / spf,
                        }
                    )

    print(
        f"generator: 2 blocks, {flops / 1e9:.2f} GFLOP per face; sgemm {sgemm / 1e9:.1f} GFLOP/s "
        f"({torch.get_num_threads()} threads)"
    )
    print(f"{'backend':<12} {'batch':>5} {'s/face':>8} {'ratio':>6}")
    for row in rows:
        print(f"{row['backend']:<12} {row['batch']:>5} {row['s_per_face']:>8.3f} {row['ratio']:>6.2f}")
    best = min(rows, key=lambda r: r["ratio"])
    eager = min((r for r in rows if r["backend"] == "torch"), key=lambda r: r["ratio"])
    verdict = "meets" if best["ratio"] <= 1.25 else "MISSES"
    print(
        f"best: {best['backend']} batch {best['batch']}, ratio {best['ratio']:.2f} ({verdict} target 1.25); "
        f"{eager['ratio'] / best['ratio']:.2f}x faster than eager torch"
    )
    for row in gpu_rows:
        print(
            "gpu:",
            row
            if "error" in row
            else f"{row['backend']} {row['device']} fp16 batch {row['batch']}: "
            f"{row['faces_per_s']:.1f} faces/s",
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"gflop_per_face": flops / 1e9, "sgemm_gflops": sgemm / 1e9, "cpu": rows, "gpu": gpu_rows},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
