"""`ghostswap models ...`: parsing and printing only; the work happens in `store.ModelStore`.

Handlers return a dict that the CLI prints as JSON under `--json`; without it, `list`, `verify`
and `path` print their answer on stdout (so `$(ghostswap models path NAME)` works) and logs
and progress bars go to stderr.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ghost_core.errors import InputError, ModelError, UsageError
from ghost_core.models_store.store import ModelStore


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `models` command family to the top-level parser."""
    models = subparsers.add_parser(
        "models",
        help="list, install, verify and locate the model weights",
        description="Manage the official GHOST weights in the local cache ($GHOSTSWAP_HOME).",
    )
    actions = models.add_subparsers(dest="models_action", metavar="ACTION", required=True)

    actions.add_parser(
        "list", help="every known model, whether it is installed, size and licence"
    ).set_defaults(func=cmd_list)

    install = actions.add_parser(
        "install",
        help="download models (or copy them from a folder) and verify them",
        description="Download and verify models. With --from DIR, copy them from a folder instead "
        "(air-gapped machines); without names, every manifest file found in DIR is installed.",
    )
    install.add_argument("names", nargs="*", metavar="NAME", help="model names from `ghostswap models list`")
    install.add_argument("--from", dest="from_dir", type=Path, metavar="DIR", help="copy from this folder")
    install.set_defaults(func=cmd_install)

    verify = actions.add_parser("verify", help="re-hash installed models against their pinned sha256")
    verify.add_argument("names", nargs="*", metavar="NAME", help="default: every installed model")
    verify.set_defaults(func=cmd_verify)

    export = actions.add_parser(
        "export",
        help="build the ONNX graphs of installed networks now (e.g. on farm nodes before a render)",
        description="Export installed inference networks to ONNX next to their weights, so the first "
        "render on a machine does not pay for it. Cached by the weights' sha256.",
    )
    export.add_argument("names", nargs="+", metavar="NAME", help="generator, arcface or enhancer models")
    export.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "tensorrt"])
    export.add_argument("--precision", default="auto", choices=["auto", "fp32", "fp16"])
    export.set_defaults(func=cmd_export)

    register = actions.add_parser(
        "register",
        help="add your own weights (e.g. a fine-tuned generator) to the cache under a new name",
        description="Copy a checkpoint in the official layout into the cache as NAME (sha256 pinned), "
        "so `ghostswap render --model NAME` can use it. The file must load strictly.",
    )
    register.add_argument("name", metavar="NAME")
    register.add_argument("file", type=Path, metavar="FILE")
    register.add_argument("--kind", default="generator", help="generator (default), discriminator, ...")
    register.add_argument("--blocks", type=int, metavar="N", help="a discriminator's generator block count")
    register.add_argument("--description", default="", help="shown by `ghostswap models list`")
    register.add_argument("--replace", action="store_true", help="replace an earlier registration")
    register.set_defaults(func=cmd_register)

    path = actions.add_parser("path", help="print where an installed model lives")
    path.add_argument("name", metavar="NAME")
    path.set_defaults(func=cmd_path)


def cmd_list(args: argparse.Namespace) -> dict[str, Any]:
    store = ModelStore()
    rows = store.list_models()
    if not args.json:
        print(format_table(rows))
        print(f"\ncache: {store.root}\nmanifest: {store.manifest.source}")
    return {"action": "list", "root": str(store.root), "manifest": store.manifest.source, "models": rows}


def cmd_install(args: argparse.Namespace) -> dict[str, Any]:
    store = ModelStore()
    names: list[str] = list(args.names)
    if not names and args.from_dir is None:
        raise UsageError("name the models to install (see `ghostswap models list`) or pass --from DIR")
    for name in names:  # fail on a typo before spending minutes on the other downloads
        store.manifest.get(name)
    if not names:
        names = store.available_in(args.from_dir)
        if not names:
            examples = ", ".join(a.file for a in list(store.manifest.assets.values())[:3])
            raise InputError(
                f"no model file from the manifest found in {args.from_dir} (e.g. {examples}): "
                "copy the files there or pick another --from folder"
            )
    results = [store.install(name, args.from_dir) for name in names]
    return {"action": "install", "installed": results}


def cmd_verify(args: argparse.Namespace) -> dict[str, Any]:
    store = ModelStore()
    results = store.verify(list(args.names) or None)
    if not args.json:
        for result in results:
            print(
                f"{result['name']}: {result['status']}"
                + (f" ({result['detail']})" if result["detail"] else "")
            )
        if not results:
            print("nothing installed to verify")
    failed = [r for r in results if not r["ok"]]
    if failed:
        details = "; ".join(f"{r['name']}: {r['status']}: {r['detail']}" for r in failed)
        raise ModelError(f"{len(failed)} of {len(results)} models failed verification: {details}")
    return {"action": "verify", "results": results}


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.runtime import open_model  # torch and onnxruntime load only for this action

    results = []
    for name in args.names:
        backend = open_model(name, backend="onnxruntime", device=args.device, precision=args.precision)
        results.append({"name": name, "onnx": backend.onnx_path, **backend.describe()})
        if not args.json:
            print(f"{name}: {backend.onnx_path} ({backend.precision}, {backend.device})")
    return {"action": "export", "exported": results}


def cmd_register(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.models_store.registration import register_local

    result = register_local(
        args.name,
        args.file,
        args.kind,
        description=args.description,
        num_blocks=args.blocks,
        replace=args.replace,
    )
    if not args.json:
        print(f"{args.name}: {result['path']}")
    return {**result, "action": "register"}


def cmd_path(args: argparse.Namespace) -> dict[str, Any]:
    path = ModelStore().resolve(args.name)
    if not args.json:
        print(path)
    return {"action": "path", "name": args.name, "path": str(path)}


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain aligned text table of `list_models()` rows."""
    header = ("NAME", "KIND", "INSTALLED", "SIZE", "LICENCE")
    lines = [
        (
            row["name"] + (" (default)" if row["default"] else ""),
            row["kind"],
            "yes" if row["installed"] else "no",
            human_size(row["size"]),
            row["licence"],
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line[:-1], widths, strict=True))
        + "  "
        + line[-1]
        for line in [header, *lines]
    )


def human_size(size: int | None) -> str:
    """Bytes as B/KB/MB/GB with binary steps; '?' when unknown (not yet installed, no manifest size)."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
