"""OpenCue: a PyOutline outline (a track layer, a render layer depending on it) as Cue job-spec XML.

PyOutline (`opencue-pyoutline`, the `farm` extra) serialises an outline without a Cuebot, so the
spec is written here and submitted later with pycue (`opencue.api.launchSpec`). The render layer
gets `--frames #FRAMESPEC#`: Cuebot replaces the token with the frames of the chunk (`1001-1010`,
`1001-1019x2`), which stays right for stepped ranges where `#FRAME_END#` (first frame + chunk - 1)
would not. The dependency is layer-on-layer: every render frame waits for the whole track layer.

RQD runs a frame's command through the shell on Linux, so the command is one POSIX-quoted string;
paths with spaces or quotes survive (PyOutline would join a list with bare spaces).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ghost_core.errors import UsageError
from ghost_core.farm.model import FarmJob

SPEC_NAME = "job.xml"
FRAMESPEC = "#FRAMESPEC#"


def _outline_modules() -> tuple[Any, Any, Any, Any]:
    try:
        import outline
        import outline.depend
        import outline.modules.shell
        from outline.backend.cue import serialize_simple
        from outline.cuerun import OutlineLauncher
    except ImportError as exc:
        raise UsageError(
            f"OpenCue files need PyOutline ({exc.name or exc} is missing); "
            "install it with: pip install 'ghostswap[farm]'"
        ) from None
    return outline, outline.modules.shell.Shell, OutlineLauncher, serialize_simple


def _layer_args(job: FarmJob) -> dict[str, Any]:
    p = job.placement
    args: dict[str, Any] = {}
    if p.service:
        args["service"] = p.service
    if p.tags:
        args["tags"] = list(p.tags)
    if p.gpus > 0:
        args["gpus"] = p.gpus
    if p.gpu_memory_gib:
        args["gpu_memory"] = f"{p.gpu_memory_gib:g}g"
    if p.memory_gib:
        args["memory"] = f"{p.memory_gib:g}g"
    if p.cores:
        args["cores"] = p.cores
    return args


def spec_xml(job: FarmJob) -> str:
    """The Cue job spec (XML text) for `job`, built and serialised by PyOutline."""
    outline, shell, launcher_type, serialize = _outline_modules()
    ol = outline.Outline(job.safe_name, shot=job.shot or job.safe_name, show=job.show)
    track = shell(
        "track", command=shlex.join(job.track_argv()), range=str(job.frames[0]), chunk=1, **_layer_args(job)
    )
    render = shell(
        "render",
        command=shlex.join(job.render_argv(FRAMESPEC)),
        range=job.frame_spec,
        chunk=job.chunk_size,
        **_layer_args(job),
    )
    render.depend_on(track, outline.depend.DependType.LayerOnLayer)
    ol.add_layer(track)
    ol.add_layer(render)
    launcher = launcher_type(ol, priority=job.priority, maxretries=job.retries, pause=False, nomail=True)
    return serialize(launcher)


def build(job: FarmJob) -> dict[str, str]:
    return {SPEC_NAME: spec_xml(job) + "\n"}


def submit_commands(job: FarmJob, out_dir: Path) -> list[list[str]]:
    """pycue's launchSpec with the written file (needs CUEBOT_HOSTS or opencue.yaml for the server)."""
    code = (
        "import opencue, pathlib, sys; "
        'print(opencue.api.launchSpec(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")))'
    )
    return [["python", "-c", code, str(Path(out_dir) / SPEC_NAME)]]
