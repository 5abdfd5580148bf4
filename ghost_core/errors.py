"""Typed errors: each carries a one-line message that names the file and the fix.

The CLI maps every subclass to its own exit code and prints only the message, never a
traceback, because these are user or environment problems, not bugs. Exit codes:

    0   success
    2   UsageError (and any other GhostSwapError)
    3   InputError: a missing, unreadable, damaged or unsupported input (frame, photo, job)
    4   ModelError: a model not installed or not verifying
    5   DownloadError
    6   OutputError
    7   ServiceError
    130 Cancelled (also Ctrl-C)
    141 StdoutClosed: whoever read stdout went away (`ghostswap ... | head -1`)
"""

from __future__ import annotations

from typing import Any


class GhostSwapError(Exception):
    """Base of every error a user can act on.

    `details` is extra machine-readable context (e.g. every problem `job check` found) that the
    CLI adds to its `--json` error document; the message stays one line.
    """

    exit_code = 2

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = details or {}


class UsageError(GhostSwapError):
    """Wrong arguments or an impossible combination of options."""

    exit_code = 2


class InputError(GhostSwapError):
    """A missing, unreadable or invalid input file (frame, image, job)."""

    exit_code = 3


class TrackFileError(InputError):
    """A track file that is damaged, too new, or belongs to another shot, photos or frame size.

    One class so hosts and farm wrappers can tell "re-run `ghostswap track`" apart from a missing plate.
    """


class ModelError(GhostSwapError):
    """A model that is not installed, does not verify, or does not match its architecture."""

    exit_code = 4


class CheckpointMismatchError(ModelError):
    """A checkpoint whose keys or shapes differ from the official layout."""


class DownloadError(ModelError):
    """A download that could not complete (offline, HTTP error, checksum mismatch)."""

    exit_code = 5


class OutputError(GhostSwapError):
    """An output that cannot be written (permissions, disk, name clash with the input)."""

    exit_code = 6


class Cancelled(GhostSwapError):
    """A job stopped on request (Ctrl-C, `ghostswap serve` cancel): finished frames are kept."""

    exit_code = 130


class ServiceError(GhostSwapError):
    """`ghostswap serve` is not running, not reachable, or refused a request."""

    exit_code = 7


class CredentialsError(GhostSwapError):
    """A file whose content credentials (C2PA) are missing, do not verify, or cannot be signed."""

    exit_code = 8


class StdoutClosed(GhostSwapError):
    """stdout was closed by its reader (`| head -1`): nothing is printed, the CLI exits quietly.

    141 is what a shell reports for a program ended by SIGPIPE, so `set -o pipefail` scripts see
    the same status as with `grep` or `cat`; GhostSwap exits with it instead of being killed.
    """

    exit_code = 141
