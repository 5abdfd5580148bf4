"""`ghostswap serve`, `serve status` and `serve stop`: parsing only; server.py and client.py own the logic."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ghost_core.errors import ServiceError
from ghost_core.service.connection import pid_alive, state_dir


def _add_state_dir(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        default=default,
        help="where the connection file and job records live (default: $GHOSTSWAP_STATE_DIR, "
        "else $XDG_RUNTIME_DIR/ghostswap, else ~/.cache/ghostswap/serve)",
    )


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve", help="run a warm local worker that `ghostswap bake` hands jobs to (models stay loaded)"
    )
    _add_state_dir(serve, None)
    serve.add_argument(
        "--bind",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="listen address; only loopback (127.0.0.1) is accepted",
    )
    serve.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="stop after this many seconds with no job and no request",
    )
    serve.add_argument(
        "--warm-shots",
        type=int,
        default=2,
        metavar="N",
        help="how many loaded model sets (per photos and swapper) to keep (default 2)",
    )
    serve.set_defaults(func=_serve)
    commands = serve.add_subparsers(dest="serve_command", metavar="SUBCOMMAND")
    status = commands.add_parser("status", help="is a server running; its queue")
    _add_state_dir(status, argparse.SUPPRESS)
    status.set_defaults(func=_status)
    stop = commands.add_parser(
        "stop", help="stop the running server (a running job resumes on the next start)"
    )
    _add_state_dir(stop, argparse.SUPPRESS)
    stop.set_defaults(func=_stop)


def _serve(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.service.server import serve

    if args.idle_exit is not None and args.idle_exit <= 0:
        raise ServiceError("--idle-exit must be a positive number of seconds")
    return serve(
        state_dir(args.state_dir), bind=args.bind, idle_exit=args.idle_exit, warm_shots=args.warm_shots
    )


def _status(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.service.client import find_server

    folder = state_dir(args.state_dir)
    client = find_server(folder)
    if client is None:
        if not args.json:
            print(f"ghostswap serve is not running ({folder})")
        return {"running": False, "state_dir": str(folder)}
    health = client.health()
    jobs = client.jobs()
    active = [j for j in jobs if j["state"] in ("queued", "running")]
    if not args.json:
        print(f"ghostswap serve {health['version']}: pid {health['pid']}, {client.connection.url}")
        for job in active:
            prog = job["progress"]
            print(f"  {job['id']}  {job['state']:<8} {prog['done']}/{prog['total']}  {job['plate']}")
    return {
        "running": True,
        "state_dir": str(folder),
        **health,
        "port": client.connection.port,
        "jobs": active,
    }


def _stop(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.service.client import find_server

    folder = state_dir(args.state_dir)
    client = find_server(folder)
    if client is None:
        raise ServiceError(f"ghostswap serve is not running ({folder})")
    pid = client.connection.pid
    client.shutdown()
    deadline = time.monotonic() + 60
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        raise ServiceError(f"ghostswap serve (pid {pid}) did not stop within 60 s")
    if not args.json:
        print(f"stopped ghostswap serve (pid {pid})")
    return {"stopped": True, "pid": pid, "state_dir": str(folder)}
