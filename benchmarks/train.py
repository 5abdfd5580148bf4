"""Training-iteration benchmark: the full-size GHOST step (2-block AEI-Net, multiscale D, frozen
ArcFace iresnet100) on random weights, with the machine's own matmul throughput measured in the
same run so figures from different machines compare as a ratio.

    python benchmarks/train.py --steps 2                  # CPU, batch 16, fp32
    python benchmarks/train.py --device cuda --steps 20   # CUDA, fp16 autocast + GradScaler

Reports seconds per iteration (after one warm-up step that also allocates Adam's state),
iterations/s, images/s, peak memory (VmHWM on CPU, torch.cuda.max_memory_allocated on CUDA) and
iterations per TFLOP/s of measured fp32 (or autocast-dtype) matmul throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.nets import AEINet, MultiscaleDiscriminator, iresnet100, weight_init  # noqa: E402
from ghost_core.nets.checkpoints import load_into  # noqa: E402
from ghost_core.nets.random_weights import random_state_dict  # noqa: E402
from ghost_core.train.trainer import TrainConfig, Trainer  # noqa: E402


def vm_hwm_mb() -> float | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def matmul_tflops(device: torch.device, dtype: torch.dtype, size: int = 2048, seconds: float = 3.0) -> float:
    """Sustained dense matmul throughput of this machine (same threads the training uses)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    runs, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        a @ b
        runs += 1
    sync()
    return 2 * size**3 * runs / (time.perf_counter() - began) / 1e12


def random_batch(batch: int, device: torch.device) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return {
        "xs_orig": (torch.rand(batch, 3, 224, 224, generator=gen) * 2 - 1).to(device),
        "xs": (torch.rand(batch, 3, 256, 256, generator=gen) * 2 - 1).to(device),
        "xt": (torch.rand(batch, 3, 256, 256, generator=gen) * 2 - 1).to(device),
        "same": (torch.arange(batch) % 5 == 0).float().to(device),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2, help="timed iterations after one warm-up")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="auto", help="auto: fp16 on CUDA, fp32 on CPU; or bf16")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    device = torch.device(args.device)
    torch.manual_seed(0)
    generator = AEINet(args.blocks)
    generator.apply(weight_init)
    arcface = load_into(iresnet100(), random_state_dict("arcface"), "random arcface")
    config = TrainConfig(
        num_blocks=args.blocks, batch_size=args.batch, precision=args.precision, device=str(device)
    )
    trainer = Trainer(config, generator, MultiscaleDiscriminator(), arcface)
    batch = random_batch(args.batch, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    began = time.perf_counter()
    trainer.train_step(batch)  # warm-up: allocates Adam state, picks kernels
    warmup = time.perf_counter() - began
    times = []
    for _ in range(args.steps):
        began = time.perf_counter()
        trainer.train_step(batch)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - began)
    per_step = sum(times) / len(times)

    mm_dtype = trainer.amp_dtype or torch.float32
    tflops = matmul_tflops(device, mm_dtype)
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else vm_hwm_mb()
    result = {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "blocks": args.blocks,
        "batch": args.batch,
        "precision": str(mm_dtype).replace("torch.", ""),
        "warmup_s": round(warmup, 2),
        "steps": args.steps,
        "s_per_iteration": round(per_step, 3),
        "iterations_per_s": round(1 / per_step, 5),
        "images_per_s": round(args.batch / per_step, 3),
        "peak_memory_mb": round(peak, 1) if peak else None,
        "peak_memory_kind": "cuda max_memory_allocated" if device.type == "cuda" else "VmHWM",
        "matmul_tflops": round(tflops, 4),
        "iterations_per_s_per_matmul_tflops": round(1 / per_step / tflops, 5),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
