"""Run the `ghostswap` executable with progress and cancel; parse its `--json` summary. No `nuke`.

The engine prints progress bars on stderr ("render: 40%|... 2/5") and one JSON document on
stdout. Both pipes are drained on threads so a chatty engine can never block on a full pipe
while the host polls for its cancel button.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ghostswap_nuke import ghostswap_hostkit as hostkit
from ghostswap_nuke.jobfile import GhostSwapError

_COUNT = re.compile(r"(\d+)/(\d+)")
ProgressFn = Callable[[int, str], None]


class Cancelled(GhostSwapError):
    """The artist pressed Cancel; finished frames stay in the cache and a re-bake resumes."""


def _drain(stream: Any, sink: List[str], on_text: Optional[Callable[[str], None]] = None) -> None:
    for chunk in iter(lambda: stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096), b""):
        text = chunk.decode("utf-8", "replace")
        sink.append(text)
        if on_text:
            on_text(text)


def progress_from(text: str) -> Optional[int]:
    """Percent from the last "N/M" a progress bar printed, or None."""
    found = _COUNT.findall(text)
    if not found:
        return None
    done, total = (int(v) for v in found[-1])
    return int(100 * done / total) if total else None


def parse_summary(stdout: str, returncode: int, stderr: str, argv: Sequence[str]) -> Dict[str, Any]:
    """The JSON summary, or GhostSwapError with the engine's own message and the command line."""
    return hostkit.check_summary(stdout, returncode, stderr, argv, show_command=True)


def run(
    argv: Sequence[str],
    progress: Optional[ProgressFn] = None,
    cancelled: Optional[Callable[[], bool]] = None,
    poll: float = 0.1,
) -> Dict[str, Any]:
    """Run `argv` (a list, never a shell string); report progress; terminate on cancel."""
    try:
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise GhostSwapError(f"cannot start {argv[0]}: {exc}") from None
    out: List[str] = []
    err: List[str] = []

    latest: List[Any] = [None, ""]  # written by the stderr thread, reported from this thread

    def on_err(text: str) -> None:
        percent = progress_from(text)
        if percent is not None:
            latest[:] = [percent, text.strip().replace("\r", "\n").splitlines()[-1][:120]]

    threads = [
        threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=_drain, args=(proc.stderr, err, on_err), daemon=True),
    ]
    for thread in threads:
        thread.start()
    reported = None
    while proc.poll() is None:
        if progress and latest[0] is not None and latest[0] != reported:
            reported = latest[0]
            progress(latest[0], latest[1])
        if cancelled and cancelled():
            proc.terminate()
            proc.wait()
            raise Cancelled("bake cancelled; finished frames are kept and a new bake resumes")
        time.sleep(poll)
    for thread in threads:
        thread.join()
    return parse_summary("".join(out), proc.returncode, "".join(err), argv)
