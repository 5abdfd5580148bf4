"""Resumable, verified downloads with the standard library only.

The official weights are hundreds of MB on GitHub releases; farm networks drop connections, so a
transfer streams into `<file>.part`, resumes it with an HTTP Range request, and is hashed while it
streams. Only a file whose size and sha256 check out is renamed to its final name.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from ghost_core import __version__
from ghost_core.console import log, progress
from ghost_core.errors import DownloadError
from ghost_core.models_store.hashing import CHUNK, finish, part_path, sha256_file
from ghost_core.models_store.manifest import MIRROR_ENV

DEFAULT_TIMEOUT = 30.0  # seconds without a byte before a connect or read gives up
ATTEMPTS = 3  # transfers that break off mid-stream are resumed this many times in all
RETRY_DELAYS = (2.0, 5.0)

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*$")


class _Interrupted(Exception):
    """The connection broke mid-transfer; the `.part` file keeps what arrived."""


class _RangeRefused(Exception):
    """HTTP 416: the server will not serve from our offset (often because we already have it all)."""

    def __init__(self, total: int | None) -> None:
        super().__init__(total)
        self.total = total


def fetch(
    url: str,
    dest: Path,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    timeout: float | None = None,
    attempts: int | None = None,
) -> str:
    """Download `url` to `dest` (atomically, verified) and return its sha256."""
    timeout = timeout or DEFAULT_TIMEOUT
    attempts = attempts or ATTEMPTS
    part = part_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    fresh_start_tried = False
    while True:
        resumed = part.exists() and part.stat().st_size > 0
        try:
            actual = _transfer(url, part, expected_size, timeout, dest.name)
        except _Interrupted as exc:
            failures += 1
            kept = part.stat().st_size if part.exists() else 0
            if failures >= attempts:
                raise DownloadError(
                    f"download of {dest.name} from {url} was interrupted ({exc}); {kept} bytes are kept "
                    f"in {part}: rerun the same command to resume"
                ) from None
            delay = RETRY_DELAYS[min(failures - 1, len(RETRY_DELAYS) - 1)]
            log.warning("%s: %s; resuming from byte %d in %.0f s", dest.name, exc, kept, delay)
            time.sleep(delay)
            continue
        try:
            finish(dest, actual, expected_sha256, expected_size)
        except DownloadError:
            # A stale .part from another source spoils the hash; one clean download settles it.
            if resumed and not fresh_start_tried:
                fresh_start_tried = True
                log.warning("%s did not verify after resuming an old partial file; starting over", dest.name)
                continue
            raise
        return actual


def _transfer(url: str, part: Path, expected_size: int | None, timeout: float, label: str) -> str:
    """Bring `part` to the full remote content (resuming when possible); returns its sha256."""
    for _ in range(2):  # the second pass starts from zero after a refused or garbled resume
        offset = part.stat().st_size if part.exists() else 0
        if expected_size is not None and offset > expected_size:
            part.unlink()
            offset = 0
        if offset and offset == expected_size:
            return sha256_file(part)
        try:
            response = _open(url, offset, timeout)
        except _RangeRefused as refused:
            if offset and refused.total == offset:
                return sha256_file(part)  # the earlier attempt had already received everything
            part.unlink()
            continue
        with response:
            status = response.status or 200  # file:// mirrors report no status
            total: int | None = None
            if offset and status == 206:
                start, total = _parse_content_range(response.headers.get("Content-Range"))
                if start != offset:
                    log.warning("%s: the server answered the resume request oddly; starting over", label)
                    part.unlink()
                    continue
            elif offset:
                log.info("%s: the server ignores resume requests; downloading from the start", label)
                offset = 0
            return _stream(response, part, offset, total, label)
    raise DownloadError(f"{url} refuses to resume {part.name}: delete {part} and rerun the command")


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": f"ghostswap/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            total = _parse_content_range(exc.headers.get("Content-Range"))[1]
            exc.close()
            raise _RangeRefused(total) from None
        exc.close()
        raise DownloadError(
            f"{url} answered HTTP {exc.code} {exc.reason}: check the URL in the manifest or {MIRROR_ENV}"
        ) from None
    except urllib.error.URLError as exc:
        raise DownloadError(_unreachable(url, exc.reason)) from None
    except (http.client.HTTPException, ConnectionError, TimeoutError) as exc:
        raise _Interrupted(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise DownloadError(_unreachable(url, exc)) from None


def _stream(
    response: http.client.HTTPResponse, part: Path, offset: int, total: int | None, label: str
) -> str:
    """Append the response body to `part` from `offset`, hashing everything; returns the sha256."""
    digest = hashlib.sha256()
    if offset:
        with open(part, "rb") as earlier:
            while chunk := earlier.read(CHUNK):
                digest.update(chunk)
    length_header = response.headers.get("Content-Length")
    length = int(length_header) if length_header and length_header.isdigit() else None
    if total is None and length is not None:
        total = offset + length
    bar = progress(total=total, desc=label, unit="B", unit_scale=True)
    if offset:  # show the resumed bytes as done without counting them in the rate
        bar.initial = bar.n = bar.last_print_n = offset
        bar.refresh()
    received = 0
    # read1 hands over whatever has arrived, so a stalled connection loses nothing already received
    read = getattr(response, "read1", response.read)
    try:
        with open(part, "ab" if offset else "wb") as out:
            while True:
                try:
                    chunk = read(CHUNK)
                except (http.client.HTTPException, OSError) as exc:
                    raise _Interrupted(f"{type(exc).__name__}: {exc}") from None
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
                received += len(chunk)
    except OSError as exc:
        raise DownloadError(
            f"cannot write {part} ({exc.strerror}): free disk space there or point GHOSTSWAP_HOME elsewhere"
        ) from None
    finally:
        bar.close()
    if (length is not None and received < length) or (total is not None and offset + received < total):
        expected = length if length is not None else (total or 0) - offset
        raise _Interrupted(f"connection closed after {received} of {expected} bytes")
    return digest.hexdigest()


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) from `bytes 100-199/200` or `bytes */200`; None where unknown."""
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def _unreachable(url: str, reason: object) -> str:
    return (
        f"cannot reach {url} ({reason}): check the network, set {MIRROR_ENV}, "
        "or copy the file and run `ghostswap models install --from DIR`"
    )
