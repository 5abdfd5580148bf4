"""`render`: swapped plate + feathered matte for any frame range, streamed, batched and resumable.

Frames stream in batches of `settings.batch`: each batch's faces go through the swapper in one
call (the generator batches across frames), then each frame is composited and written
atomically. Writing runs in the background while the next batch is read and swapped: frames are
composed on one thread and encoded by `--write-workers` threads (engine/write_pool.py); at most
one batch waits to be written, so memory depends on the batch, not the shot.
Reading runs ahead on another thread (`--read-ahead N` batches, default 1; 0 reads inline): the
next batch's headers are checked and its plates decoded while this one is swapped. Each frame's
pixels depend only on its own plate, so the output is bit-identical either way; at most
read_ahead + 2 batches of plates are in memory (read ahead, being swapped, waiting to be written).
Finished frames are skipped on a rerun.

Which frames to render is an argument (`render(renderer, frames)`), never read from or written
into the renderer's settings, so executors hand out chunks without copying or mutating settings.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ghost_core.color import ColorPath
from ghost_core.console import check_cancelled, progress, report
from ghost_core.engine.appearance import Appearances
from ghost_core.engine.boost import swap_crops
from ghost_core.engine.colours import Colours
from ghost_core.engine.crops import FaceCrop, with_detail
from ghost_core.engine.layers import layer_channels
from ghost_core.engine.plan import FaceTask, ShotPlan
from ghost_core.engine.summary import RenderSummary, SkippedFace
from ghost_core.engine.temporal import Stabiliser, TemporalSettings
from ghost_core.engine.torch_warp import cuda_geometry, warps_on
from ghost_core.engine.write_pool import FrameWrite, WritePool, auto_workers, inline
from ghost_core.errors import OutputError, TrackFileError, UsageError
from ghost_core.holdout import check_holdout, holdout_path
from ghost_core.io.atomic import check_output_folder, make_output_folder, same_file
from ghost_core.io.exr import Frame, channel_formats, read_frame, read_header
from ghost_core.io.exr_write import WriteOptions, output_layout, write_frame
from ghost_core.io.memory import streaming_buffers
from ghost_core.io.resume import is_complete
from ghost_core.io.sequence import FramePattern, compact_frames, resolve_frames
from ghost_core.knobs import DIGEST_FIELDS, ShotSettings
from ghost_core.swappers.base import Swapper

if TYPE_CHECKING:
    from ghost_core.faces.landmarks import Landmarker

#: Frame numbers to render, in order; `[None]` for a single still (a plate path without ####).
Frames = Sequence[int | None]


@dataclass
class Renderer:
    """Everything loaded once per shot: swapper, identities, landmarker, colour paths.

    Built only by `Shot.renderer` (engine/shot.py), so local, Ray, serve and bake render alike.
    """

    settings: ShotSettings
    plan: ShotPlan
    swapper: Swapper
    identities: list[object]  # one per source person, as `swapper.prepare` made it
    landmarker: Landmarker
    colours: Colours
    appearances: Appearances = field(default_factory=Appearances)  # per track, for occlusion


@dataclass
class _Tally:
    written: int = 0
    skipped: int = 0
    faceless: list[int] = field(default_factory=list)
    faces: int = 0
    skipped_faces: list[SkippedFace] = field(default_factory=list)
    warned_faces: list[SkippedFace] = field(default_factory=list)
    seconds_swap: float = 0.0


def requested_frames(settings: ShotSettings, spec: str | None = None) -> list[int | None]:
    """The frames `spec` names (default: `settings.frames`, the --frames/job value; else all on disk)."""
    return resolve_frames(FramePattern.parse(settings.plate), settings.frames if spec is None else spec)


def check_output(settings: ShotSettings, plan: ShotPlan, frames: Frames) -> tuple[FramePattern, FramePattern]:
    """Checked plate and output patterns for `frames` (made before any work, so bad paths fail fast)."""
    if not settings.out:
        raise UsageError("render needs --out PATTERN for the swapped frames")
    src, dst = FramePattern.parse(settings.plate), FramePattern.parse(settings.out)
    if src.is_sequence != dst.is_sequence:
        raise UsageError(f"{dst.text}: input and output must both be sequences (####) or both single files")
    if not frames:
        raise UsageError("no frames to render; check --frames")
    first = read_header(src.path(frames[0]), check_pixels=False)
    _check_size(src.path(frames[0]), first.width, first.height, plan)
    check_holdout(settings.holdout, frames)
    unknown = [f for f in frames if f not in plan.tasks and f not in plan.frames]
    if unknown:
        raise UsageError(
            f"frames {compact_frames([f for f in unknown if f is not None])} are not in the track file "
            f"(made for {plan.plate}, frames {compact_frames([f for f in plan.frames if f is not None])}); "
            "re-run `ghostswap track` over the whole shot"
        )
    for f in frames:
        if same_file(src.path(f), dst.path(f)):
            raise OutputError(
                f"{dst.text}: output would overwrite the plate {src.path(f)}; choose another path"
            )
    folder = dst.path(frames[0] if frames else None).parent
    check_output_folder(folder)
    make_output_folder(folder)
    return src, dst


def _check_size(path: Path, width: int, height: int, plan: ShotPlan) -> None:
    """A plate frame must have the size the track file was made on, else the file is another shot's."""
    if (width, height) != tuple(plan.size):
        raise TrackFileError(
            f"{path}: {width}x{height}, but the track file (made for {plan.plate}) was made on "
            f"{plan.size[0]}x{plan.size[1]} frames: it belongs to another shot; "
            "re-run `ghostswap track` on this plate"
        )


def _expected(spec: Any, options: WriteOptions) -> list[str]:
    names, _ = output_layout(spec.channelnames, channel_formats(spec), options, True)
    return names


def render_digest(renderer: Renderer) -> str:
    """Everything that decides an output's pixels besides the plate: the track file and every knob.

    Stamped on each frame as `ghost:render_digest`; resume re-renders a frame whose digest differs,
    so changing a matte or swapper setting never leaves a stale frame behind.
    """
    knobs = {name: getattr(renderer.settings, name) for name in DIGEST_FIELDS}
    knobs["track"] = renderer.plan.digest
    knobs["swapper"] = renderer.swapper.describe()  # "auto" resolved, with the swapper's own options
    text = json.dumps(knobs, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_options(settings: ShotSettings) -> WriteOptions:
    """The output layout: the final matte, then the --layers channels."""
    extra = layer_channels(settings.layers, settings.layer_prefix, settings.matte_name)
    return WriteOptions(matte_name=settings.matte_name, extra_layers=tuple(extra.values()))


def render(renderer: Renderer, frames: Frames) -> RenderSummary:
    """Render exactly `frames` (see `requested_frames`); finished frames with this digest are skipped."""
    settings, plan = renderer.settings, renderer.plan
    frames = list(frames)
    src, dst = check_output(settings, plan, frames)
    options = write_options(settings)
    digest = render_digest(renderer)
    provenance = _provenance(renderer)
    wanted = {"ghost:render_digest": digest}
    tally = _Tally()
    started = time.perf_counter()
    pending: list[FrameWrite] = []
    done = 0  # frames on disk: written or already complete
    stabiliser = _stabiliser(renderer, src, tally)
    # Leaving this block (also via Cancelled) waits for queued writes, which are atomic, so a
    # cancelled render keeps every finished frame and leaves no partial one.
    size = max(1, settings.batch)
    batches = [frames[start : start + size] for start in range(0, len(frames), size)]
    read = partial(_read_batch, src, dst, options, wanted, settings.overwrite, settings.holdout)
    with (
        streaming_buffers(),
        WritePool(auto_workers(settings.write_workers)) as writer,  # compose thread + encode pool
        warps_on(cuda_geometry(settings.device)),  # face warps on the GPU when the device is CUDA
        ThreadPoolExecutor(1, thread_name_prefix="ghostswap-read") as reader,
    ):
        bar = progress(total=len(frames), desc="render", unit="frame")
        ahead: deque[Future[tuple[list[int | None], list[Frame]]]] = deque()
        try:
            for k, batch in enumerate(batches):
                check_cancelled()
                if settings.read_ahead > 0:
                    # Queue this batch and up to read_ahead after it (bounded memory); in batch order,
                    # so a bad plate raises at the same point as an inline read.
                    while len(ahead) < settings.read_ahead + 1 and k + len(ahead) < len(batches):
                        ahead.append(reader.submit(read, batches[k + len(ahead)]))
                    todo, plates = ahead.popleft().result()
                else:
                    todo, plates = read(batch)
                tally.skipped += len(batch) - len(todo)
                writes = _render_batch(
                    renderer, src, dst, todo, options, tally, digest, provenance, stabiliser, plates=plates
                )
                for write in pending:  # the previous batch must be on disk before this one queues
                    write.result()
                    bar.update(1)
                done += len(pending) + len(batch) - len(todo)
                pending = [writer.submit(w) for w in writes]
                bar.update(len(batch) - len(todo))
                report("render", done, len(frames))
        finally:  # a cancel or error: plates queued for reading are not decoded
            for queued in ahead:
                queued.cancel()
        for write in pending:
            write.result()
            bar.update(1)
        done += len(pending)
        report("render", done, len(frames))
        bar.close()
    summary = RenderSummary(
        plate=src.display(),
        output=dst.display(),
        frames=len(frames),
        written=tally.written,
        skipped_complete=tally.skipped,
        faces_replaced=tally.faces,
        faces_skipped=tuple(tally.skipped_faces),
        faces_warned=tuple(tally.warned_faces),
        frames_without_face=tuple(f for f in tally.faceless if f not in plan.unselected),
        frames_not_selected=tuple(f for f in tally.faceless if f in plan.unselected),
        seconds=time.perf_counter() - started,
        seconds_swap=tally.seconds_swap,
        swapper=renderer.swapper.describe(),
        track_digest=plan.digest,
        render_digest=digest,
        model_sha256=provenance.get("model_sha256"),
        source_sha256=tuple(provenance["source_sha256"].split(",")) if provenance["source_sha256"] else (),
    )
    summary.log()
    return summary


def _provenance(renderer: Renderer) -> dict[str, str]:
    """What made the pixels, stamped on every frame so review copies can carry it as content credentials."""
    from ghost_core.faces.trackfile import SourceRecord

    photos = [SourceRecord.of(p).sha256 for group in renderer.settings.sources for p in group]
    out = {"source_sha256": ",".join(photos)}
    model = renderer.swapper.model_sha256()
    if model:
        out["model_sha256"] = model
    return out


def _read_batch(
    src: FramePattern,
    dst: FramePattern,
    options: WriteOptions,
    wanted: dict[str, str],
    overwrite: bool,
    holdout: str | None,
    batch: Frames,
) -> tuple[list[int | None], list[Frame]]:
    """The batch's frames still to render and their decoded plates (runs on the read-ahead thread).

    A finished frame is stale when its plate or its holdout file is newer (a roto re-published in
    place keeps its path, and so the digest). Touches no renderer state (only files), so
    running it early cannot change a frame's pixels.
    """
    todo: list[int | None] = []
    for f in batch:
        out, plate = dst.path(f), src.path(f)
        expected = _expected(read_header(plate), options)
        inputs = [plate]
        roto = holdout_path(holdout, f) if holdout else None
        if roto is not None:
            inputs.append(roto)
        if overwrite or not is_complete(out, expected, wanted, newer_than=inputs):
            todo.append(f)
    return todo, [read_frame(src.path(f)) for f in todo]


@dataclass
class _Job:
    frame_index: int
    task: FaceTask
    crop: FaceCrop
    color: ColorPath


def _render_batch(
    renderer: Renderer,
    src: FramePattern,
    dst: FramePattern,
    todo: list[int | None],
    options: WriteOptions,
    tally: _Tally,
    digest: str,
    provenance: dict[str, str],
    stabiliser: Stabiliser,
    *,
    plates: Sequence[Frame] | None = None,
) -> list[Callable[[], None]]:
    """Read (unless `plates` were read ahead), cut, swap and stabilise a batch; one write job per frame."""
    if plates is None:
        plates = [read_frame(src.path(f)) for f in todo]
    jobs: list[_Job] = []
    for i, (f, plate) in enumerate(zip(todo, plates, strict=True)):
        tasks = renderer.plan.tasks_at(f)
        _check_size(src.path(f), plate.width, plate.height, renderer.plan)
        color = renderer.colours(plate) if tasks else None
        for task in tasks:
            call = renderer.plan.pose(task, renderer.settings.warn_yaw, renderer.settings.max_yaw)
            if call.verdict != "swap":
                noted = SkippedFace(f, task.track_id, call.reason)
                (tally.skipped_faces if call.verdict == "skip" else tally.warned_faces).append(noted)
                if call.verdict == "skip":
                    continue
            crop = stabiliser.cut(f, task, plate, color)
            if crop is not None and _boosts(renderer, stabiliser):
                crop = with_detail(crop, plate.rgba_source(), color, task.kps)  # type: ignore[arg-type]
            if crop is not None:
                jobs.append(_Job(i, task, crop, color))  # type: ignore[arg-type]
    swapped = _swap_jobs(renderer, jobs, tally)
    jobs, swapped = _stabilised(stabiliser, todo, jobs, swapped)
    per_frame: dict[int, list[tuple[_Job, np.ndarray]]] = defaultdict(list)
    for job, face in zip(jobs, swapped, strict=True):
        if np.array_equal(face, job.crop.seen):  # e.g. morph finds no face mesh on a profile
            unchanged = SkippedFace(todo[job.frame_index], job.task.track_id, "swapper returned it unchanged")
            tally.skipped_faces.append(unchanged)
            continue
        per_frame[job.frame_index].append((job, face))
    return [
        partial(
            _write_one, renderer, dst.path(f), f, plate, per_frame.get(i, []), options, tally, digest,
            provenance,
        )
        for i, (f, plate) in enumerate(zip(todo, plates, strict=True))
    ]


def _boosts(renderer: Renderer, stabiliser: Stabiliser) -> bool:
    """Pixel boost applies (engine/boost.py), only while holds and the temporal filter are off.

    Their pre-roll swaps are 224 swaps of the plain crop, so a held or blended frame would mix
    a 512 swap with 224 ones, and differ between a chunk's first frames and a whole render.
    """
    return renderer.settings.boost != "off" and renderer.swapper.boosts and not stabiliser.settings.active


def _stabiliser(renderer: Renderer, src: FramePattern, tally: _Tally) -> Stabiliser:
    """Holds and the temporal filter (engine/temporal.py); pre-roll swaps count as swap time."""

    def swap(crops: np.ndarray, source: int) -> np.ndarray:
        started = time.perf_counter()
        faces = renderer.swapper.swap(crops, renderer.identities[source])
        tally.seconds_swap += time.perf_counter() - started
        return faces

    def swappable(task: FaceTask) -> bool:
        call = renderer.plan.pose(task, renderer.settings.warn_yaw, renderer.settings.max_yaw)
        return call.verdict != "skip"

    settings = TemporalSettings.of(renderer.settings, renderer.swapper.name)
    return Stabiliser(renderer.plan, src.path, renderer.colours, swap, settings, swappable)


def _stabilised(
    stabiliser: Stabiliser, todo: list[int | None], jobs: list[_Job], swapped: list[np.ndarray]
) -> tuple[list[_Job], list[np.ndarray]]:
    """Jobs and faces after holds and the temporal filter (a held frame pastes its twin's crop)."""
    if not stabiliser.settings.active:
        return jobs, swapped
    items = [(todo[j.frame_index], j.task, s) for j, s in zip(jobs, swapped, strict=True)]
    stable = stabiliser.stabilise(items)
    return [replace(j, crop=crop) for j, (crop, _) in zip(jobs, stable, strict=True)], [f for _, f in stable]


def _swap_jobs(renderer: Renderer, jobs: list[_Job], tally: _Tally) -> list[np.ndarray]:
    """One swapper call per source person for the whole batch of frames."""
    out: list[np.ndarray | None] = [None] * len(jobs)
    by_source: dict[int, list[int]] = defaultdict(list)
    for k, job in enumerate(jobs):
        by_source[job.task.source].append(k)
    started = time.perf_counter()
    for source, indices in sorted(by_source.items()):
        faces = swap_crops(renderer.swapper, [jobs[k].crop for k in indices], renderer.identities[source])
        for k, face in zip(indices, faces, strict=True):
            out[k] = face
    tally.seconds_swap += time.perf_counter() - started
    return out  # type: ignore[return-value]


def _write_one(
    renderer: Renderer,
    path: Path,
    f: int | None,
    plate: Frame,
    faces: list[tuple[_Job, np.ndarray]],
    options: WriteOptions,
    tally: _Tally,
    digest: str,
    provenance: dict[str, str],
    run: Callable[..., None] = inline,  # where write_frame runs: the WritePool's encode workers
) -> None:
    from ghost_core.engine import mattes
    from ghost_core.engine.compose import compose_frame

    metadata: dict[str, str | int | float] = {
        "source": str(plate.path),
        "swapper": renderer.swapper.name,
        "track_digest": renderer.plan.digest,
        "render_digest": digest,
        "faces": len(faces),
        "keep_expression": mattes.expression_mode(renderer),
        "detail_match": mattes.detail_strength(renderer),
        **provenance,
    }
    if f is not None:
        metadata["source_frame"] = f
    if not faces:
        if f is not None and not renderer.plan.tasks_at(f):  # tracked but skipped faces are not "no face"
            tally.faceless.append(f)
        run(write_frame, path, plate, metadata=metadata, options=options)
    else:
        rgb, matte, origin, layers = compose_frame(renderer, plate, faces, f)
        x0, y0 = origin
        before = plate.rgba_source()[y0 : y0 + rgb.shape[0], x0 : x0 + rgb.shape[1], :3]
        if np.array_equal(rgb, before):  # the swap left every pixel as it was: say so, matte nothing
            reason = "the swap changed no pixel"
            tally.skipped_faces.extend(SkippedFace(f, job.task.track_id, reason) for job, _ in faces)
            metadata["faces"] = 0
            run(write_frame, path, plate, metadata=metadata, options=options)
        else:
            run(
                write_frame,
                path,
                plate,
                rgba=rgb,
                matte=matte,
                origin=origin,
                metadata=metadata,
                options=options,
                layers=layers,
            )
            tally.faces += len(faces)
    tally.written += 1
