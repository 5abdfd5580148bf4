"""Bake and Farm bake, without UI: plate -> job file -> ghostswap -> wired node group.

Operators call these; tests call them too (through the operators), with a real ghostswap.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from . import compat, nodegroup, plate, runner
from .jobfile import BakeRequest, build_job, node_dir, plate_pattern, write_job
from .props import GhostSwapSettings, preferences

JOB_NAME = "job.json"


@dataclass(frozen=True)
class Prepared:
    job_path: Path
    job: dict[str, Any]
    exe: str
    first: int
    last: int
    plate_written: bool


def cache_root(context: bpy.types.Context) -> str:
    """Preference, else $GHOSTSWAP_CACHE, else `//ghostswap_cache` beside the saved .blend, else temp."""
    prefs = preferences(context)
    if prefs is not None and prefs.cache_root:
        return bpy.path.abspath(prefs.cache_root)
    env = os.environ.get("GHOSTSWAP_CACHE", "")  # the same variable as the Nuke node and the Fuse
    if not env and os.environ.get("GHOSTSWAP_CACHE_ROOT"):
        print("GhostSwap: GHOSTSWAP_CACHE_ROOT is deprecated, set GHOSTSWAP_CACHE instead")
        env = os.environ["GHOSTSWAP_CACHE_ROOT"]
    if env:
        return env
    if bpy.data.filepath:
        return bpy.path.abspath("//ghostswap_cache")
    return str(Path(tempfile.gettempdir()) / "ghostswap_cache")


def request_from(context: bpy.types.Context, settings: GhostSwapSettings) -> BakeRequest:
    first, last = settings.frame_range(context.scene)
    return BakeRequest(
        node=settings.node_name,
        cache_root=cache_root(context),
        sources=settings.photos(),
        first=first,
        last=last,
        colorspace=compat.working_space(),
        ocio=compat.ocio_config(),
        swapper=settings.swapper,
        erode=settings.erode if settings.use_erode else None,
        feather=settings.feather if settings.use_feather else None,
        brow_lift=settings.brow_lift if settings.use_brow_lift else None,
        host={"version": bpy.app.version_string, "file": bpy.data.filepath},
    )


def prepare(context: bpy.types.Context) -> Prepared:
    """Write the plate frames (if stale) and the job file; find the executable."""
    settings = context.scene.ghostswap
    if settings.plate is None:
        raise runner.GhostSwapCommandError("choose the plate image (GhostSwap panel > Plate)")
    prefs = preferences(context)
    exe = runner.find_executable(prefs.executable if prefs is not None else "")
    request = request_from(context, settings)
    job = build_job(request)
    written = plate.write_plate(
        context.scene,
        settings.plate,
        plate_pattern(request.cache_root, request.node),
        request.first,
        request.last,
    )
    job_path = write_job(node_dir(request.cache_root, request.node) / JOB_NAME, job)
    return Prepared(job_path, job, exe, request.first, request.last, written)


def bake(context: bpy.types.Context) -> dict[str, Any]:
    """Run `ghostswap bake --job FILE --json` and wire the group to the baked sequence."""
    settings = context.scene.ghostswap
    prepared = prepare(context)
    argv = runner.bake_command(prepared.exe, prepared.job_path)
    settings.last_command = json.dumps(argv)
    summary = runner.run_json(argv)
    output = summary["output"]
    nodegroup.wire_scene(
        context.scene,
        settings.node_name,
        prepared.job["plate"],
        output,
        prepared.first,
        prepared.last,
        compat.working_space(),
    )
    settings.last_output = output
    settings.status = f"baked {summary.get('written', '?')} frame(s) into {summary.get('cache_dir')}"
    return {
        "argv": argv,
        "summary": summary,
        "job": str(prepared.job_path),
        "plate_written": prepared.plate_written,
    }


def farm_bake(context: bpy.types.Context) -> runner.FarmPlan:
    """Write plate + job into the cache folder, then submit (or say what to run on the farm)."""
    settings = context.scene.ghostswap
    prepared = prepare(context)
    out_dir = prepared.job_path.parent / "farm"
    plan = runner.farm_bake(
        prepared.exe, prepared.job_path, settings.farm_manager, out_dir, f"{prepared.first}-{prepared.last}"
    )
    settings.last_command = json.dumps(plan.argv)
    settings.status = plan.message
    return plan


def load_result(context: bpy.types.Context) -> dict[str, Any]:
    """After a farm bake: ask `ghostswap job check` where the results are and wire them if present."""
    settings = context.scene.ghostswap
    prefs = preferences(context)
    exe = runner.find_executable(prefs.executable if prefs is not None else "")
    job_path = node_dir(cache_root(context), settings.node_name) / JOB_NAME
    if not job_path.is_file():
        raise runner.GhostSwapCommandError(f"{job_path} does not exist yet: run Bake or Farm bake first")
    summary = runner.run_json(runner.check_command(exe, job_path))
    job = json.loads(job_path.read_text(encoding="utf-8"))
    first, last = (int(v) for v in job["frames"].split("-"))
    output = summary["output"]
    missing = [f for f in range(first, last + 1) if not Path(output.replace("####", f"{f:04d}")).is_file()]
    if missing:
        raise runner.GhostSwapCommandError(
            f"not baked: {len(missing)} of {last - first + 1} frames missing in {summary.get('cache_dir')}"
        )
    nodegroup.wire_scene(
        context.scene, settings.node_name, job["plate"], output, first, last, compat.working_space()
    )
    settings.last_output = output
    settings.status = f"loaded {output}"
    return summary
