"""Tractor: an Alfred job script (`.alf`) with a track task, then one render task per chunk.

Tractor's Python authoring API ships only with Tractor, so the script is written directly. It is
Tcl: the job runs its two subtasks in order (`-serialsubtasks 1`), so every chunk of the `render`
task waits for `track`, while the chunks themselves run in parallel. A command's argv is a Tcl
list, and the whole list is one more Tcl word of `RemoteCmd`; both levels are quoted the way
Tcl's own `list` command quotes, so paths with spaces, braces, quotes or `$` reach `execvp`
unchanged (tests parse the script with a real Tcl interpreter).

GPU placement is the service key expression (`-service`, matched against blade profiles) and
limit tags (`-tags`). Retries: a command whose exit code is in `-retryrc` is run again (how often
is the engine's automatic-retry setting in tractor.config); GhostSwap's usage, input and model
errors (exit 2, 3, 4) are left out because running them again cannot help.
"""

from __future__ import annotations

from pathlib import Path

from ghost_core.farm.model import FarmJob

SCRIPT_NAME = "job.alf"
DEFAULT_SERVICE = "PixarRender"  # Tractor's stock service key
# 1: an unexpected error (a crash, CUDA out of memory); 5: a download failed; 6: an output
# could not be written (a full or flaky share).
RETRY_EXIT_CODES = (1, 5, 6)
_TCL_SPECIAL = set(' \t\n\r\v\f;"\\{}[]$')
_TCL_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\v": "\\v", "\f": "\\f"}


def _braces_balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def tcl_word(text: str) -> str:
    """`text` as one Tcl word/list element: bare when safe, in braces when that keeps it literal,
    else backslash-escaped (unbalanced braces, backslashes)."""
    if text == "":
        return "{}"
    if not any(c in _TCL_SPECIAL for c in text) and not text.startswith("#"):
        return text
    if "\\" not in text and _braces_balanced(text):
        return "{" + text + "}"
    escaped = []
    for char in text:
        if char in _TCL_ESCAPES:
            escaped.append(_TCL_ESCAPES[char])
        elif char in _TCL_SPECIAL or char == "#":
            escaped.append("\\" + char)
        else:
            escaped.append(char)
    return "".join(escaped)


def tcl_list(words: list[str]) -> str:
    return " ".join(tcl_word(w) for w in words)


def _command(job: FarmJob, argv: list[str]) -> str:
    p = job.placement
    parts = [f"RemoteCmd {tcl_word(tcl_list(argv))}", f"-service {tcl_word(p.service or DEFAULT_SERVICE)}"]
    if p.tags:
        parts.append(f"-tags {tcl_word(tcl_list(list(p.tags)))}")
    if job.retries > 0:
        parts.append(f"-retryrc {tcl_word(tcl_list([str(c) for c in RETRY_EXIT_CODES]))}")
    return " ".join(parts)


def script(job: FarmJob) -> str:
    p = job.placement
    title = f"GhostSwap {job.name}"
    lines = [
        "##AlfredToDo 3.0",
        f"Job -title {tcl_word(title)} -priority {job.priority} "
        f"-service {tcl_word(p.service or DEFAULT_SERVICE)} -serialsubtasks 1 -subtasks {{",
        "    Task {track} -cmds {",
        f"        {_command(job, job.track_argv())}",
        "    }",
        "    Task {render} -subtasks {",
    ]
    for chunk in job.chunks:
        lines += [
            f"        Task {tcl_word('render ' + chunk.spec)} -cmds {{",
            f"            {_command(job, job.render_argv(chunk.spec))}",
            "        }",
        ]
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


def build(job: FarmJob) -> dict[str, str]:
    return {SCRIPT_NAME: script(job)}


def submit_commands(job: FarmJob, out_dir: Path) -> list[list[str]]:
    return [["tractor-spool", str(Path(out_dir) / SCRIPT_NAME)]]
