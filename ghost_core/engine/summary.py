"""`RenderSummary`: what a render did, one typed value from the engine through every executor.

The engine returns one per rendered frame list (a whole shot, a farm chunk, a Ray work item);
executors combine them with `merge`, so the local and the Ray executor report the same fields the
same way. `to_dict` is the `--json` summary hosts, farm wrappers and tests read: its keys are a
contract, so add keys rather than rename them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
class SkippedFace:
    """A tracked face the render left alone on one frame, and why (pose, or a swap that changed nothing)."""

    frame: int | None
    track_id: int
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"frame": self.frame, "track": self.track_id, "reason": self.reason}


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
    faces_skipped: tuple[SkippedFace, ...] = ()  # tracked faces left alone: not counted as replaced
    faces_warned: tuple[SkippedFace, ...] = ()  # swapped, but past the pose warning limit
    frames_without_face: tuple[int, ...] = ()
    frames_not_selected: tuple[int, ...] = ()  # a face is there, but no source replaces it
    seconds: float = 0.0
    seconds_swap: float = 0.0  # inside the swapper: the rest is I/O, colour and compositing
    swapper: Mapping[str, object] | None = None
    track_digest: str | None = None
    render_digest: str | None = None
    model_sha256: str | None = None  # the swapper's weights (content credentials)
    source_sha256: tuple[str, ...] = ()  # every source photo, in --source order
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
            faces_skipped=_sorted_faces(f for p in parts for f in p.faces_skipped),
            faces_warned=_sorted_faces(f for p in parts for f in p.faces_warned),
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
        _log_faces("skipped (matte left empty)", self.faces_skipped)
        _log_faces("swapped past the pose warning limit", self.faces_warned)
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
            "faces_skipped": len(self.faces_skipped),
            "skipped_faces": [f.to_dict() for f in self.faces_skipped],
            "warned_faces": [f.to_dict() for f in self.faces_warned],
            "frames_without_face": list(self.frames_without_face),
            "frames_not_selected": list(self.frames_not_selected),
            "seconds": round(self.seconds, 3),
            "swapper": None if self.swapper is None else dict(self.swapper),
            "track_digest": self.track_digest,
            "render_digest": self.render_digest,
            "model_sha256": self.model_sha256,
            "source_sha256": list(self.source_sha256),
        }
        if self.farm is not None:
            out.update(self.farm.to_dict())
        return out


def _sorted_faces(faces: Iterable[SkippedFace]) -> tuple[SkippedFace, ...]:
    return tuple(sorted(faces, key=lambda f: (f.track_id, -1 if f.frame is None else f.frame, f.reason)))


def _reason_kind(reason: str) -> str:
    """The reason without its per-frame numbers, so one warning line covers a run of frames."""
    return reason.split(" (")[0].rstrip("0123456789°. ").removesuffix(" turned") or reason


def _log_faces(what: str, faces: Sequence[SkippedFace]) -> None:
    """One warning per track and kind of reason, naming the frames and the first frame's reason."""
    groups: dict[tuple[int, str], list[SkippedFace]] = {}
    for face in faces:
        groups.setdefault((face.track_id, _reason_kind(face.reason)), []).append(face)
    for (track, _), group in sorted(groups.items()):
        frames = [f.frame for f in group if f.frame is not None]
        where = f"frame(s) {compact_frames(frames)}" if frames else "the still"
        log.warning("track %d: %d face(s) %s on %s: %s", track, len(group), what, where, group[0].reason)
