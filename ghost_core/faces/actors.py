"""Actors: the tracks of one person, joined across cuts and long absences by identity alone.

`link_tracks` ends a track at a cut and after a long absence, because position says nothing there.
An identity embedding per track (`engine/identify.py`: ArcFace when installed, else dlib's offline
recogniser) then joins tracks into one *actor*: repeatedly, the two most similar groups of tracks
that never share a frame (two faces in one frame are two people) are merged while their cosine
similarity is at least the recogniser's `link_threshold`. An actor's id is its lowest track id, so
a shot where nothing merged has actor ids equal to track ids. Targets are chosen per actor: the
default "the only face" and `--track-id N` (any track id of the actor, or the actor id) replace
every track of that actor.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ghost_core.errors import UsageError
from ghost_core.faces.tracking import DEFAULT_SIMILARITY_THRESHOLD, Track, select_targets


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float64).reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def link_actors(
    tracks: Sequence[Track], embeddings: Mapping[int, np.ndarray], threshold: float
) -> dict[int, int]:
    """Actor id of every track (``{track id: actor id}``); tracks without an embedding stay alone."""
    groups: list[list[Track]] = [[t] for t in sorted(tracks, key=lambda t: t.id)]
    mean: list[np.ndarray | None] = [
        _unit(embeddings[t.id]) if t.id in embeddings else None for t in (g[0] for g in groups)
    ]
    frames = [set(g[0].frames) for g in groups]
    while True:
        best: tuple[float, int, int] | None = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = mean[i], mean[j]
                if a is None or b is None or frames[i] & frames[j]:
                    continue
                sim = float(a @ b)
                if sim >= threshold and (best is None or sim > best[0]):
                    best = (sim, i, j)
        if best is None:
            break
        _, i, j = best
        weight_i, weight_j = len(groups[i]), len(groups[j])
        merged = _unit(weight_i * mean[i] + weight_j * mean[j])  # type: ignore[operator]
        groups[i] += groups.pop(j)
        frames[i] |= frames.pop(j)
        mean.pop(j)
        mean[i] = merged
    return {t.id: min(m.id for m in g) for g in groups for t in g}


def actor_tracks(tracks: Sequence[Track], actors: Mapping[int, int]) -> list[Track]:
    """One Track per actor (id = actor id) over all its tracks' frames, for target choice."""
    by_actor: dict[int, list[Track]] = {}
    for t in tracks:
        by_actor.setdefault(actors.get(t.id, t.id), []).append(t)
    out = []
    for actor, members in sorted(by_actor.items()):
        pairs = sorted((f, d) for t in members for f, d in zip(t.frames, t.detections, strict=True))
        out.append(Track(id=actor, frames=[f for f, _ in pairs], detections=[d for _, d in pairs]))
    return out


def actor_embedding(
    tracks: Sequence[Track], actors: Mapping[int, int], embeddings: Mapping[int, np.ndarray], actor: int
) -> np.ndarray | None:
    """An actor's identity: the mean of its tracks' unit embeddings, weighted by their frames."""
    rows = [
        _unit(embeddings[t.id]) * len(t.frames)
        for t in tracks
        if actors.get(t.id, t.id) == actor and t.id in embeddings
    ]
    return _unit(np.sum(rows, axis=0)) if rows else None


def select_actors(
    tracks: Sequence[Track],
    actors: Mapping[int, int],
    *,
    n_sources: int = 1,
    track_ids: Sequence[int] | None = None,
    all_tracks: bool = False,
    track_embeddings: Mapping[int, np.ndarray] | None = None,
    reference_embeddings: Sequence[np.ndarray] | np.ndarray | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
) -> dict[int, int]:
    """`select_targets` over actors; returns ``{track id: source}`` for every track of a chosen actor.

    `track_ids` may name an actor or any of its tracks; two ids of one actor are refused.
    """
    actor_of = {t.id: actors.get(t.id, t.id) for t in tracks}
    chosen_actors: list[int] | None = None
    if track_ids is not None:
        unknown = [i for i in track_ids if i not in actor_of]
        if unknown:
            raise UsageError(
                f"--track-id {unknown[0]}: this shot has tracks {sorted(actor_of) or 'none'}"
                f" (actors {sorted(set(actor_of.values())) or 'none'}); see the track file"
            )
        chosen_actors = [actor_of[i] for i in track_ids]
        if len(set(chosen_actors)) != len(chosen_actors):
            raise UsageError(
                f"--track-id {list(track_ids)} name one actor twice (tracks of one person share"
                f" actor ids {chosen_actors}); give each actor once"
            )
    merged = actor_tracks(tracks, actors)
    embeddings = None
    if track_embeddings is not None:
        embeddings = {}
        for a in merged:
            e = actor_embedding(tracks, actors, track_embeddings, a.id)
            if e is not None:
                embeddings[a.id] = e
    per_actor = select_targets(
        merged,
        n_sources=n_sources,
        track_ids=chosen_actors,
        all_tracks=all_tracks,
        track_embeddings=embeddings,
        reference_embeddings=reference_embeddings,
        threshold=threshold,
        noun="actor",
    )
    return {tid: per_actor[a] for tid, a in actor_of.items() if a in per_actor}
