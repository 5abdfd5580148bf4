"""`ghostswap train` and `ghostswap finetune`: parsing only; ghost_core.train.session owns the work.

Options that shape a run default to None here so that, with `--resume`, only what the user typed
overrides the saved configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ghost_core.errors import UsageError

DEFAULT_FINETUNE_INIT = "ghost_unet_2blocks"


def _run_arguments(parser: argparse.ArgumentParser, *, steps_help: str) -> None:
    parser.add_argument("--out", type=Path, metavar="DIR", help="run folder: weights, state, logs, previews")
    parser.add_argument("--steps", type=int, metavar="N", help=steps_help)
    parser.add_argument("--batch", dest="batch_size", type=int, metavar="N", help="batch size (GHOST: 16)")
    parser.add_argument("--seed", type=int, help="seed for initialisation and data (default 0)")
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument(
        "--precision",
        choices=("auto", "fp32", "fp16", "bf16"),
        help="autocast: auto = fp16 with loss scaling on CUDA, fp32 on CPU",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="data-loading processes (default 0)")
    parser.add_argument("--save-every", type=int, metavar="N", help="checkpoint every N steps (default 5000)")
    parser.add_argument("--preview-every", type=int, metavar="N", help="preview grid every N steps (500)")
    parser.add_argument("--log-every", type=int, metavar="N", help="scalar log every N steps (10)")
    parser.add_argument("--no-tensorboard", action="store_true", help="JSON-lines log only")
    loss = parser.add_argument_group("losses (GHOST defaults: adv 1, attr 10, id 20, rec 10, eyes 0)")
    for name in ("adv", "attr", "id", "rec", "eyes"):
        loss.add_argument(f"--weight-{name}", type=float, metavar="W")
    opt = parser.add_argument_group("optimisation (Adam, betas 0/0.999, weight decay 1e-4)")
    opt.add_argument("--lr-g", type=float, metavar="LR", help="generator learning rate (4e-4)")
    opt.add_argument("--lr-d", type=float, metavar="LR", help="discriminator learning rate (4e-4)")
    opt.add_argument("--scheduler", action="store_true", default=None, help="StepLR, stepped every iteration")
    opt.add_argument("--scheduler-step", type=int, metavar="N", help="StepLR step size in iterations (5000)")
    opt.add_argument("--scheduler-gamma", type=float, metavar="G", help="StepLR factor (0.2)")
    opt.add_argument(
        "--discr-force", action="store_true", default=None, help="D steps only while L_adv EMA < 4"
    )
    pairs = parser.add_argument_group("pairs")
    pairs.add_argument("--same-prob", type=float, metavar="P", help="share of same-identity pairs (0.2)")
    pairs.add_argument(
        "--same-photo",
        dest="same_identity",
        action="store_false",
        default=None,
        help="same pairs reuse the photo itself instead of another photo of the person",
    )
    pairs.add_argument(
        "--diff-eq-same", action="store_true", default=None, help="reconstruction on all pairs"
    )
    parser.add_argument("--resume", action="store_true", help="continue the run saved in --out")


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a GHOST generator (from scratch or from installed weights)",
        description="GHOST training on a folder of 224 aligned crops, root/<identity>/*.png "
        "(see docs/training.md). Ctrl-C saves a state that --resume continues.",
    )
    train.add_argument(
        "--data", type=Path, metavar="DIR", help="crops: DIR/<identity>/*.png or a flat folder"
    )
    train.add_argument("--blocks", dest="num_blocks", type=int, choices=(1, 2, 3), help="AAD blocks (2)")
    train.add_argument(
        "--init", metavar="NAME", help="start from an installed generator (+ its discriminator)"
    )
    _run_arguments(train, steps_help="total iterations to reach (default 100000)")
    train.set_defaults(func=cmd_train)

    finetune = subparsers.add_parser(
        "finetune",
        help="fine-tune the installed GHOST generator on one actor or shot, then register it",
        description="Fine-tune official G and D on prepared crops (--data) or on crops prepared from "
        "--source photos and a --plate, and register the result as --name for `render --model`.",
    )
    finetune.add_argument("--name", required=True, help="model name to register the result under")
    finetune.add_argument(
        "--data", type=Path, metavar="DIR", help="prepared crops (e.g. source/ and target/)"
    )
    finetune.add_argument("--source", nargs="+", metavar="IMG", help="photos of the new face")
    finetune.add_argument(
        "--plate", metavar="PATTERN", help="plate EXRs whose face is replaced: shot.####.exr"
    )
    finetune.add_argument("--frames", metavar="SPEC", help="plate frames to take crops from (default: all)")
    finetune.add_argument("--init", default=DEFAULT_FINETUNE_INIT, metavar="NAME", help="installed generator")
    finetune.add_argument("--replace", action="store_true", help="replace an earlier model of this name")
    _run_arguments(finetune, steps_help="total iterations (default 2000)")
    finetune.set_defaults(func=cmd_finetune)


_CONFIG_KEYS = (
    "num_blocks",
    "batch_size",
    "steps",
    "seed",
    "device",
    "precision",
    "workers",
    "save_every",
    "preview_every",
    "log_every",
    "lr_g",
    "lr_d",
    "scheduler",
    "scheduler_step",
    "scheduler_gamma",
    "discr_force",
    "same_prob",
    "same_identity",
    "diff_eq_same",
    "weight_adv",
    "weight_attr",
    "weight_id",
    "weight_rec",
    "weight_eyes",
)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in _CONFIG_KEYS if getattr(args, k, None) is not None}


def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.train.data import FaceFolder
    from ghost_core.train.session import build_trainer, fit
    from ghost_core.train.trainer import TrainConfig

    if args.out is None:
        raise UsageError("--out DIR is required: the run folder for weights, state and logs")
    if args.data is None:
        raise UsageError("--data DIR is required: a folder of 224 aligned crops")
    if args.resume and args.init:
        raise UsageError("--resume continues the run in --out; drop --init")
    folder = FaceFolder.scan(args.data)
    trainer, info = build_trainer(
        TrainConfig(), args.out, init=args.init, resume=args.resume, overrides=_overrides(args)
    )
    result = fit(trainer, folder, args.out, tensorboard=not args.no_tensorboard)
    return {"images": len(folder), "identities": folder.num_identities, **info, **result}


def cmd_finetune(args: argparse.Namespace) -> dict[str, Any]:
    from ghost_core.models_store import load_manifest
    from ghost_core.models_store.registration import register_local
    from ghost_core.train.checkpointing import D_FILE, G_FILE
    from ghost_core.train.data import FaceFolder
    from ghost_core.train.session import build_trainer, fit
    from ghost_core.train.trainer import TrainConfig

    if args.name in load_manifest().assets and not args.replace:
        raise UsageError(f"model {args.name!r} already exists: choose another --name or pass --replace")
    out = args.out or Path(f"finetune_{args.name}")
    prepared: dict[str, Any] | None = None
    if args.data is not None and (args.source or args.plate):
        raise UsageError("give either --data or --source/--plate, not both")
    if args.data is None:
        if not (args.source and args.plate):
            raise UsageError("finetune needs --data DIR, or --source IMG... with --plate PATTERN")
        from ghost_core.datasets.prepare import prepare_shot  # written alongside; imported only here

        data_dir = out / "data"
        prepared = prepare_shot(args.plate, list(args.source), data_dir, frames=args.frames)
    else:
        data_dir = args.data
    folder = FaceFolder.scan(data_dir)
    overrides = _overrides(args)
    defaults = TrainConfig(steps=2000, batch_size=8, save_every=500, preview_every=100)
    trainer, info = build_trainer(
        defaults, out, init=None if args.resume else args.init, resume=args.resume, overrides=overrides
    )
    result = fit(trainer, folder, out, tensorboard=not args.no_tensorboard)
    if result["interrupted"]:
        return {"registered": None, **info, **result, "prepared": prepared}
    description = f"fine-tuned from {args.init} on {data_dir} ({result['step']} steps)"
    registered = register_local(
        args.name, out / G_FILE, "generator", description=description, replace=args.replace
    )
    register_local(
        f"{args.name}_discriminator",
        out / D_FILE,
        "discriminator",
        description=f"discriminator of {args.name}",
        num_blocks=trainer.config.num_blocks,
        replace=args.replace,
    )
    return {"registered": registered, **info, **result, "prepared": prepared}
