"""Per-frame cost of `render --executor ray` against the local executor, measured in the same run.

    python benchmarks/farm.py [--frames 24] [--rounds 2] [--chunk 4] [--json out.json]

A 1920×1080 ACEScg half-EXR plate with one face (benchmarks/pipeline.py's push-in on the astronaut
photo) is tracked once; then each round renders it with the local executor, with Ray and one
worker (the same work as local, plus Ray's dispatch, serialisation and per-chunk setup), and with
Ray and two workers. Ray runs as a private local cluster (127.0.0.1, no dashboard), started and
stopped by each render like `ghostswap render --executor ray` without --address.

Steady state: local is render()'s own loop time; Ray is its wall time after the first worker had
loaded the shot (chunks are queued behind the load, so the worker never waits for the driver).
End to end adds model loading and, for Ray, starting the cluster. Target: steady-state ratio
Ray(1 worker) / local <= 1.15. Rounds alternate local and Ray; the best of each is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.chdir(REPO)  # Ray workers import ghost_core from the driver's working directory

from benchmarks.pipeline import build_plate  # noqa: E402


def render_local(settings, tf, out: Path) -> dict[str, float]:
    from ghost_core.executors.local import LocalExecutor

    started = time.perf_counter()
    summary = LocalExecutor().render(replace(settings, out=str(out / "swap.####.exr")), tf)
    wall = time.perf_counter() - started
    frames = summary.written
    return {"steady_s_per_frame": summary.seconds / frames, "end_to_end_s_per_frame": wall / frames}


def render_ray(settings, tf, out: Path, workers: int, chunk: int) -> dict[str, float]:
    from ghost_core.executors import ExecutorOptions
    from ghost_core.executors.ray_executor import RayExecutor

    started = time.perf_counter()
    executor = RayExecutor(ExecutorOptions("ray", workers=workers, chunk=chunk))
    summary = executor.render(replace(settings, out=str(out / "swap.####.exr")), tf)
    wall = time.perf_counter() - started
    frames = summary.written
    assert summary.farm is not None and summary.farm.seconds_to_first_worker is not None, summary
    assert frames == len(tf.frames) and summary.farm.workers == workers, summary
    steady = summary.seconds - summary.farm.seconds_to_first_worker
    return {
        "steady_s_per_frame": steady / frames,
        "end_to_end_s_per_frame": wall / frames,
        "cluster_start_and_load_s": wall - steady,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    source = str(REPO.parent / "shared" / "assets" / "faces" / "elon_musk.jpg")
    with tempfile.TemporaryDirectory(prefix="ray", dir="/tmp") as tmp:  # short: Ray's unix sockets
        work = Path(tmp)
        os.environ["RAY_TMPDIR"] = str(work)  # the private cluster's session files stay in here
        os.environ["RAY_AUTH_MODE"] = "disabled"  # loopback only; no token written to ~/.ray
        from ghost_core.console import setup_logging
        from ghost_core.engine.shot import Shot
        from ghost_core.knobs import ShotSettings

        setup_logging(quiet=True)
        plate = build_plate(work / "plate", args.frames)
        settings = ShotSettings(
            plate=plate, sources=[[source]], swapper="morph", detector="retinaface", landmarker="mesh"
        )
        tf = Shot(settings).analyse()
        runs: dict[str, list[dict[str, float]]] = {"local": [], "ray_1_worker": [], "ray_2_workers": []}
        for r in range(args.rounds):
            for name in runs:
                out = work / f"{name}_{r}"
                if name == "local":
                    runs[name].append(render_local(settings, tf, out))
                else:
                    workers = 1 if name == "ray_1_worker" else 2
                    runs[name].append(render_ray(settings, tf, out, workers, args.chunk))
                shutil.rmtree(out)
    best = {name: min(rs, key=lambda r: r["steady_s_per_frame"]) for name, rs in runs.items()}
    result: dict[str, float | int] = {"frames": args.frames, "rounds": args.rounds, "chunk": args.chunk}
    for name, values in best.items():
        for key, value in values.items():
            result[f"{name}_{key}"] = value
    local, one, two = (best[n]["steady_s_per_frame"] for n in ("local", "ray_1_worker", "ray_2_workers"))
    result["ray_1_worker_ratio_to_local"] = one / local
    result["ray_1_worker_frames_per_s"] = 1 / one
    result["ray_2_workers_frames_per_s"] = 1 / two
    result["ray_2_workers_frames_per_s_per_worker"] = 1 / two / 2
    result["ray_1_worker_end_to_end_ratio"] = (
        best["ray_1_worker"]["end_to_end_s_per_frame"] / best["local"]["end_to_end_s_per_frame"]
    )
    for key, value in result.items():
        print(f"{key:44s} {value:.4f}" if isinstance(value, float) else f"{key:44s} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
