"""`RenderSummary`: what a render did, one typed value from the engine through every executor.

The engine returns one per rendered frame list (a whole shot, a farm chunk, a Ray work item);
executors combine them with `merge`, so the local and the Ray executor report the same fields the
same way. `to_dict` is the `--json` summary hosts, farm wrappers and tests read: its keys are a
contract, so add keys rather than rename them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ghost_core.console import log
from ghost_core.io.sequence import compact_frames


@dataclass(frozen=True)
class FarmStats:
    """How a scale-out render was spread over workers (only executors that farm out report it)."""

    executor: str
    workers: int
    chunks: int
    retried_chunks: int = 0
    reassigned_chunks: int = 0
    lost_workers: int = 0
    frames_per_node: Mapping[str, int] = field(default_factory=dict)
    seconds_to_first_worker: float | None = None

    def to_dict(self) -> dict[str, object]:
        first = self.seconds_to_first_worker
        return {
            "executor": self.executor,
            "workers": self.workers,
            "chunks": self.chunks,
            "retried_chunks": self.retried_chunks,
            "reassigned_chunks": self.reassigned_chunks,
            "lost_workers": self.lost_workers,
            "frames_per_node": dict(self.frames_per_node),
            "seconds_to_first_worker": None if first is None else round(first, 3),
        }


@dataclass(frozen=True)
class RenderSummary:
    """Counts, timings and provenance of rendering `frames` frames of one shot to `output`.

    `written + skipped_complete == frames`: finished frames whose render digest still matches are
    skipped (resumed renders and retried farm chunks). `swapper` and `render_digest` are None only
    for a summary of no rendered chunk.
    """

    plate: str
    output: str
    frames: int
    written: int = 0
    skipped_complete: int = 0
    faces_replaced: int = 0
    frames_without_face: tuple[int, ...] = ()
    frames_not_selected: tuple[int, ...] = ()  # a face is there, but no source replaces it
    seconds: float = 0.0
    seconds_swap: float = 0.0  # inside the swapper: the rest is I/O, colour and compositing
    swapper: Mapping[str, object] | None = None
    track_digest: str | None = None
    render_digest: str | None = None
    farm: FarmStats | None = None

    @classmethod
    def merge(cls, parts: Sequence[RenderSummary]) -> RenderSummary:
        """One summary of disjoint parts of the same render (chunks): counts and times add up.

        Provenance (plate, output, swapper, digests) is the first part's: every part of one render
        shares it. `seconds` is the parts' sum, i.e. worker time; a driver that ran them in
        parallel replaces it with its wall time.
        """
        if not parts:
            raise ValueError("RenderSummary.merge needs at least one part")
        first = parts[0]
        return replace(
            first,
            frames=sum(p.frames for p in parts),
            written=sum(p.written for p in parts),
            skipped_complete=sum(p.skipped_complete for p in parts),
            faces_replaced=sum(p.faces_replaced for p in parts),
            frames_without_face=tuple(sorted({f for p in parts for f in p.frames_without_face})),
            frames_not_selected=tuple(sorted({f for p in parts for f in p.frames_not_selected})),
            seconds=sum(p.seconds for p in parts),
            seconds_swap=sum(p.seconds_swap for p in parts),
        )

    def log(self, where: str = "") -> None:
        """The end-of-render lines on stderr: frames without a face, then the counts."""
        if self.frames_not_selected:
            log.warning(
                "faces not selected on %d frame(s) (%s): left unchanged with an empty matte;"
                " choose them with --track-id, --target or --all",
                len(self.frames_not_selected),
                compact_frames(self.frames_not_selected),
            )
        if self.frames_without_face:
            log.warning(
                "no face to replace on %d frame(s) (%s): written unchanged with an empty matte",
                len(self.frames_without_face),
                compact_frames(self.frames_without_face),
            )
        counts = (self.written, self.skipped_complete, self.seconds, where)
        log.info("%d written, %d already complete, %.2f s%s", *counts)

    def to_dict(self) -> dict[str, object]:
        """The `--json` summary (the keys hosts and farm wrappers read); farm keys only when farmed."""
        out: dict[str, object] = {
            "plate": self.plate,
            "output": self.output,
            "frames": self.frames,
            "written": self.written,
            "skipped_complete": self.skipped_complete,
            "faces_replaced": self.faces_replaced,
            "frames_without_face": list(self.frames_without_face),
            "frames_not_selected": list(self.frames_not_selected),
            "seconds": round(self.seconds, 3),
            "swapper": None if self.swapper is None else dict(self.swapper),
            "track_digest": self.track_digest,
            "render_digest": self.render_digest,
        }
        if self.farm is not None:
            out.update(self.farm.to_dict())
        return out
