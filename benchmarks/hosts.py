"""What a host waits for: the knob-change check and a one-frame bake, cold CLI vs warm `serve`.

    python benchmarks/hosts.py [--trials 3] [--json out.json]

A host adapter (Nuke, Fusion, Blender) runs `ghostswap job check` when a knob changes and
`ghostswap bake` when the artist presses Bake. This measures both as the host sees them (wall
time of the subprocess) on a 1920×1080 ACEScg half-EXR plate with one face, morph swapper:

* `job check` against the bare interpreter start (`python -c pass`) in the same run: the ratio is
  what GhostSwap adds to the unavoidable process start;
* a one-frame bake in a fresh process (`bake --local`: imports, models, colour, render) against the
  same bake handed to a running `ghostswap serve` (models already loaded): the speed-up is what the
  warm worker buys a host.

Every trial changes the erode knob, so each bake renders a new cache folder (no resume shortcut)
but reuses the track file (matte knobs do not re-track), as when an artist tweaks the matte.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.pipeline import build_plate  # noqa: E402

PHOTO = REPO.parent / "shared" / "assets" / "faces" / "elon_musk.jpg"
CLI = [sys.executable, "-m", "ghost_core.cli"]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    out = done.stdout.strip()
    return wall, (json.loads(out) if out.startswith("{") else {})


def _job(folder: Path, plate: str, erode: int) -> Path:
    path = folder / f"job-{erode}.json"
    job = {
        "schema": "ghostswap.job",
        "version": 1,
        "plate": plate,
        "sources": [str(PHOTO)],
        "cache": {"root": str(folder / "cache"), "node": "GhostSwap1"},
        "swapper": {"name": "morph"},
        "matte": {"erode": erode},
    }
    path.write_text(json.dumps(job))
    return path


def _wait_for_server(state: Path, server: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"ghostswap serve exited ({server.returncode})")
        if any(state.glob("*.json")):
            return
        time.sleep(0.2)
    raise SystemExit("ghostswap serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ghostswap-hosts-") as tmp:
        folder = Path(tmp)
        plate = build_plate(folder / "plate", 3)
        state = folder / "state"
        env = {**os.environ, "GHOSTSWAP_STATE_DIR": str(state), "PYTHONPATH": str(REPO)}

        bare = [_timed([sys.executable, "-c", "pass"], env)[0] for _ in range(args.trials)]
        check = [
            _timed([*CLI, "--json", "job", "check", str(_job(folder, plate, 0))], env)[0]
            for _ in range(args.trials)
        ]
        # Track once up front so every timed bake is a render of one frame.
        _timed([*CLI, "-q", "--json", "bake", "--job", str(_job(folder, plate, 0)), "--local"], env)

        cold = []
        for i in range(args.trials):
            job = _job(folder, plate, 1 + i)
            cold.append(
                _timed([*CLI, "-q", "--json", "bake", "--job", str(job), "--frames", "1001", "--local"], env)
            )

        server = subprocess.Popen(
            [*CLI, "-q", "serve", "--state-dir", str(state)], cwd=REPO, env=env, stderr=subprocess.DEVNULL
        )
        try:
            _wait_for_server(state, server)
            # The first job loads the models into the server; the timed ones find them warm.
            _timed(
                [*CLI, "-q", "--json", "bake", "--job", str(_job(folder, plate, 50)), "--frames", "1001"], env
            )
            warm = []
            for i in range(args.trials):
                job = _job(folder, plate, 100 + i)
                warm.append(
                    _timed([*CLI, "-q", "--json", "bake", "--job", str(job), "--frames", "1001"], env)
                )
        finally:
            server.terminate()
            server.wait(timeout=30)

    assert all(s["written"] == 1 and s["server"] is None for _, s in cold), "cold bakes must run in-process"
    assert all(s["written"] == 1 and s["server"]["warm"] for _, s in warm), "warm bakes must use the server"
    cold_s = statistics.median(w for w, _ in cold)
    warm_s = statistics.median(w for w, _ in warm)
    report = {
        "python_start_s": round(statistics.median(bare), 3),
        "job_check_s": round(statistics.median(check), 3),
        "job_check_over_python_start": round(statistics.median(check) / statistics.median(bare), 2),
        "bake_1_frame_cold_s": round(cold_s, 3),
        "bake_1_frame_warm_serve_s": round(warm_s, 3),
        "serve_speedup": round(cold_s / warm_s, 2),
        "trials": args.trials,
    }
    for key, value in report.items():
        print(f"{key:<30} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
