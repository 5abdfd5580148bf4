"""The identity part of the track pass: one embedding per track, actors, and `--target` photos.

Embeddings cost a plate read and a network call per sampled frame, so they are made only when
they decide something: a `--target` photo, or a shot with more than one track (which actors
merge). The identity model is `faces.recognition.open_identity`'s choice, recorded in the track
file's `tracking.identity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ghost_core.console import log, progress
from ghost_core.engine.colours import Colours
from ghost_core.engine.crops import cut_face
from ghost_core.engine.sources import load_photo
from ghost_core.faces.actors import link_actors
from ghost_core.faces.recognition import IdentityModel, open_identity
from ghost_core.faces.tracking import Track, track_embedding
from ghost_core.io.exr import read_frame
from ghost_core.io.sequence import FramePattern
from ghost_core.knobs import ShotSettings

EMBED_SAMPLES = 5


@dataclass
class Identities:
    """What identity found: the model (None without one), per-track embeddings, actors, references."""

    model: IdentityModel | None = None
    embeddings: dict[int, np.ndarray] = field(default_factory=dict)
    actors: dict[int, int] = field(default_factory=dict)
    references: np.ndarray | None = None

    def describe(self) -> dict[str, Any] | None:
        return None if self.model is None else self.model.describe()


def _frame_of(pattern: FramePattern, key: int) -> int | None:
    return key if pattern.is_sequence else None


def track_embeddings(
    tracks: Sequence[Track], pattern: FramePattern, colours: Colours, model: IdentityModel
) -> dict[int, np.ndarray]:
    """Each track's identity from up to EMBED_SAMPLES evenly spaced detected (not bridged) frames."""
    out: dict[int, np.ndarray] = {}
    for track in progress(tracks, total=len(tracks), desc="identify tracks", unit="track"):
        seen = [i for i, f in enumerate(track.frames) if f not in track.interpolated]
        picks = np.unique(np.linspace(0, len(seen) - 1, min(EMBED_SAMPLES, len(seen))).round()).astype(int)
        crops = []
        for i in (seen[p] for p in picks):
            plate = read_frame(pattern.path(_frame_of(pattern, track.frames[i])))
            crop = cut_face(plate.rgba_source(), colours(plate), track.detections[i].kps)
            if crop is not None:
                crops.append(crop.seen)
        if crops:
            out[track.id] = track_embedding(model.embed(np.stack(crops)))
    return out


def identify(
    settings: ShotSettings,
    tracks: Sequence[Track],
    pattern: FramePattern,
    colours: Colours,
    detector: Any,
) -> Identities:
    """Embeddings, actors and reference embeddings for this shot (empty when nothing needs them)."""
    if not settings.targets and len(tracks) < 2:
        return Identities()
    model = open_identity(settings.backend, settings.device, required=bool(settings.targets))
    if model is None:
        return Identities()
    found = Identities(model=model)
    found.embeddings = track_embeddings(tracks, pattern, colours, model)
    found.actors = link_actors(tracks, found.embeddings, model.link_threshold)
    joined = {a for t, a in found.actors.items() if a != t}
    for actor in sorted(joined):
        members = sorted(t for t, a in found.actors.items() if a == actor)
        log.info("actor %d: tracks %s are one person (%s, cosine ≥ %g)", actor, members, model.name,
                 model.link_threshold)  # fmt: skip
    if settings.targets:
        photos = [load_photo(p, detector) for p in settings.targets]
        found.references = model.embed(np.stack([p.crop for p in photos]))
    return found
