"""Where a running `ghostswap serve` says how to reach it: the state folder and its connection file.

The connection file holds the port and the bearer token. It is created with mode 0600 (never
chmod-ed afterwards, so there is no moment when another user could read it) and replaced
atomically, so a client sees the old file or the new one, never half of one. Only the user who
started the server can read the token, and the server answers nothing without it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from ghost_core.errors import ServiceError, UsageError

CONNECTION_FILE = "server.json"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Connection:
    port: int
    token: str
    pid: int
    version: str

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def default_state_dir() -> Path:
    """`$GHOSTSWAP_STATE_DIR`, else `$XDG_RUNTIME_DIR/ghostswap` (per-user, 0700), else ~/.cache."""
    if os.environ.get("GHOSTSWAP_STATE_DIR"):
        return Path(os.environ["GHOSTSWAP_STATE_DIR"]).expanduser()
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "ghostswap"
    return Path.home() / ".cache" / "ghostswap" / "serve"


def state_dir(given: str | Path | None) -> Path:
    return Path(given).expanduser() if given else default_state_dir()


def prepare_state_dir(folder: Path) -> Path:
    """Create the state folder private to this user (0700); refuse one that others may write into."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ServiceError(
            f"{folder}: cannot create the serve state folder ({exc.strerror}); "
            "pass --state-dir or set GHOSTSWAP_STATE_DIR"
        ) from None
    info = folder.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ServiceError(
            f"{folder}: belongs to another user; pass a state folder of your own (--state-dir)"
        )
    if info.st_mode & 0o022:
        raise ServiceError(
            f"{folder}: other users can write into this folder; run `chmod 700 {folder}` or pass --state-dir"
        )
    return folder


def loopback_address(text: str) -> str:
    """The address to listen on: IPv4 loopback only, so no other machine can ever reach the worker."""
    host = LOOPBACK if text == "localhost" else text
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(
            f"--bind {text!r} is not an IP address; ghostswap serve listens on {LOOPBACK}"
        ) from None
    if address.version != 4 or not address.is_loopback:
        raise UsageError(
            f"--bind {text}: ghostswap serve listens on the loopback interface ({LOOPBACK}) only, so no "
            "other machine can send it jobs; for remote use, tunnel the port (e.g. ssh -L)"
        )
    return host


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_connection(folder: Path, connection: Connection) -> Path:
    """Atomically publish the connection file, readable by this user only from its first byte."""
    target = folder / CONNECTION_FILE
    tmp = folder / f".{CONNECTION_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(connection), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target


def read_connection(folder: Path) -> Connection | None:
    """The published connection, or None when there is no (readable, well-formed) file."""
    try:
        data = json.loads((folder / CONNECTION_FILE).read_text(encoding="utf-8"))
        return Connection(int(data["port"]), str(data["token"]), int(data["pid"]), str(data["version"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_connection(folder: Path, connection: Connection) -> None:
    """Remove the file on exit, but only if it is still ours (never another server's)."""
    if read_connection(folder) == connection:
        with contextlib.suppress(OSError):
            (folder / CONNECTION_FILE).unlink()


def pid_alive(pid: int) -> bool:
    """True while `pid` runs; an exited process its parent has not reaped yet (a zombie) counts as dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True  # no /proc (macOS): the signal test is all there is
    return fields[0] != "Z"
