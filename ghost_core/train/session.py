"""A training run: networks from scratch, from installed weights or from a resumable state, then the
loop with logging, previews, checkpoints and a Ctrl-C that saves before it stops."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ghost_core.console import log, progress
from ghost_core.errors import ModelError, OutputError, UsageError
from ghost_core.io.atomic import check_output_folder
from ghost_core.nets import AEINet, MultiscaleDiscriminator, infer_num_blocks, load_arcface, weight_init
from ghost_core.nets.checkpoints import read_state_dict, rename_legacy_generator
from ghost_core.train.checkpointing import D_FILE, G_FILE, read_training_state, save_checkpoint
from ghost_core.train.data import FaceFolder, PairDataset, batch_loader
from ghost_core.train.fan import FAN, load_fan
from ghost_core.train.monitor import Monitor
from ghost_core.train.trainer import TrainConfig, Trainer

# What a resumed run may change; everything else comes from the saved state.
RESUME_OVERRIDABLE = ("steps", "save_every", "preview_every", "log_every", "workers", "device")


# ---- networks from the model manager -------------------------------------------------------------


def companion_discriminator(generator_name: str) -> str | None:
    """The discriminator saved with a generator: `<name>_discriminator` (a registered fine-tune),
    else the official one with the same number of blocks."""
    from ghost_core.models_store import load_manifest

    manifest = load_manifest()
    generator = manifest.get(generator_name)
    if generator.kind != "generator":
        raise UsageError(f"--init {generator_name}: that is a {generator.kind}, not a generator")
    own = f"{generator_name}_discriminator"
    if own in manifest.assets and manifest.assets[own].kind == "discriminator":
        return own
    matches = [
        a.name
        for a in manifest.assets.values()
        if a.kind == "discriminator" and a.num_blocks == generator.num_blocks
    ]
    return sorted(matches, key=lambda n: not n.startswith("ghost_"))[0] if matches else None


def load_lenient(module: nn.Module, state: dict[str, torch.Tensor], source: str) -> dict[str, list[str]]:
    """GHOST loads pretrained G/D with strict=False; do the same but say what did not match."""
    own = module.state_dict()
    shapes = sorted(k for k in own.keys() & state.keys() if own[k].shape != state[k].shape)
    usable = {k: v.to(own[k].dtype) for k, v in state.items() if k in own and k not in shapes}
    result = module.load_state_dict(usable, strict=False)
    report = {
        "missing": sorted(result.missing_keys),
        "unexpected": sorted(k for k in state if k not in own),
        "wrong_shape": shapes,
    }
    for label, keys in report.items():
        if keys:
            log.warning(
                "%s: %d %s key(s) (%s%s)",
                source,
                len(keys),
                label,
                ", ".join(keys[:5]),
                ", ..." if len(keys) > 5 else "",
            )
    return report


def initial_networks(
    num_blocks: int, init: str | None
) -> tuple[AEINet, MultiscaleDiscriminator, dict[str, Any]]:
    """G and D from scratch (GHOST's initialisation), or from an installed generator and its D."""
    if init is None:
        generator = AEINet(num_blocks)
        generator.apply(weight_init)
        return generator, MultiscaleDiscriminator(), {"init": None}
    from ghost_core.models_store import resolve

    g_path = resolve(init)
    g_state = rename_legacy_generator(read_state_dict(g_path))
    blocks = infer_num_blocks(g_state)
    generator = AEINet(blocks)
    info: dict[str, Any] = {"init": init, "generator": str(g_path), "num_blocks": blocks}
    info["generator_keys"] = load_lenient(generator, g_state, str(g_path))
    discriminator = MultiscaleDiscriminator()
    d_name = companion_discriminator(init)
    if d_name is None:
        log.warning("no discriminator installed for %s: D starts from scratch", init)
    else:
        try:
            d_path = resolve(d_name)
        except ModelError as exc:
            raise ModelError(f"{exc} (the discriminator that goes with --init {init})") from None
        info["discriminator"] = str(d_path)
        info["discriminator_keys"] = load_lenient(discriminator, read_state_dict(d_path), str(d_path))
    return generator, discriminator, info


def open_identity_encoder(name: str | None = None) -> nn.Module:
    """The installed ArcFace (default: the manifest's default arcface), loaded strictly."""
    from ghost_core.models_store import load_manifest, resolve

    manifest = load_manifest()
    asset = manifest.get(name) if name else manifest.default("arcface")
    return load_arcface(resolve(asset.name))


def open_eye_net(name: str = "wflw_4hg") -> FAN:
    from ghost_core.models_store import resolve

    return load_fan(resolve(name))


# ---- the run -------------------------------------------------------------------------------------


def build_trainer(
    config: TrainConfig,
    out: Path,
    *,
    init: str | None = None,
    resume: bool = False,
    identity: nn.Module | None = None,
    eye_net: FAN | None = None,
    overrides: dict[str, Any] | None = None,
) -> tuple[Trainer, dict[str, Any]]:
    """A Trainer ready for its next step. With `resume`, config and state come from `out`."""
    overrides = overrides or {}
    if resume:
        state = read_training_state(out)
        saved = TrainConfig.from_dict(state["config"])
        ignored = sorted(
            k for k, v in overrides.items() if k not in RESUME_OVERRIDABLE and v != getattr(saved, k)
        )
        if ignored:
            log.warning("--resume keeps the saved %s; ignoring the new value(s)", ", ".join(ignored))
        config = replace(saved, **{k: v for k, v in overrides.items() if k in RESUME_OVERRIDABLE})
        generator = AEINet(config.num_blocks)
        discriminator = MultiscaleDiscriminator()
        from ghost_core.nets.checkpoints import load_into

        load_into(generator, read_state_dict(out / G_FILE), str(out / G_FILE))
        load_into(discriminator, read_state_dict(out / D_FILE), str(out / D_FILE))
        info: dict[str, Any] = {"resumed_from": int(state["step"])}
    else:
        config = replace(config, **overrides)
        torch.manual_seed(config.seed)
        generator, discriminator, info = initial_networks(config.num_blocks, init)
        config.num_blocks = generator.num_blocks
    if identity is None:
        identity = open_identity_encoder()
    if eye_net is None and config.weight_eyes > 0:
        eye_net = open_eye_net()
    trainer = Trainer(config, generator, discriminator, identity, eye_net)
    if resume:
        trainer.load_state_dict(state)
    return trainer, info


class _StopRequest:
    """First Ctrl-C: finish the current step, save, stop. Second: abort at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        log.warning("stopping after this step and saving a resumable state (Ctrl-C again to abort)")

    @contextmanager
    def installed(self) -> Iterator[_StopRequest]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        self._previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, self._previous)


def fit(trainer: Trainer, folder: FaceFolder, out: Path, tensorboard: bool = True) -> dict[str, Any]:
    """Run steps trainer.step .. config.steps-1 on `folder`, saving into `out`."""
    cfg = trainer.config
    check_output_folder(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    dataset = PairDataset(folder, cfg.same_prob, cfg.same_identity)
    start = trainer.step
    loader = batch_loader(dataset, cfg.batch_size, cfg.seed, start, cfg.steps, cfg.workers)
    monitor = Monitor(out, tensorboard=tensorboard)
    stop = _StopRequest()
    last: dict[str, float] = {}
    first: dict[str, float] = {}
    saved_at = -1
    began = time.perf_counter()
    try:
        with stop.installed(), progress(total=max(0, cfg.steps - start), desc="train", unit="it") as bar:
            for batch in loader:
                last = trainer.train_step(batch)
                first = first or dict(last)
                step = trainer.step
                bar.update(1)
                bar.set_postfix(g=f"{last['loss_g']:.3f}", d=f"{last['loss_d']:.3f}", id=f"{last['id']:.3f}")
                if step % max(1, cfg.log_every) == 0 or step == cfg.steps:
                    monitor.scalars(step, last)
                if cfg.preview_every and step % cfg.preview_every == 0 and trainer.last_output is not None:
                    monitor.preview(step, batch, trainer.last_output)
                if cfg.save_every and step % cfg.save_every == 0:
                    save_checkpoint(out, trainer.G, trainer.D, trainer.state_dict())
                    saved_at = step
                if stop.requested:
                    break
        if saved_at != trainer.step:
            save_checkpoint(out, trainer.G, trainer.D, trainer.state_dict())
    finally:
        monitor.close()
    elapsed = time.perf_counter() - began
    done = trainer.step - start
    return {
        "out": str(out),
        "generator": str(out / G_FILE),
        "discriminator": str(out / D_FILE),
        "start_step": start,
        "step": trainer.step,
        "steps": cfg.steps,
        "interrupted": stop.requested,
        "seconds": round(elapsed, 3),
        "iterations_per_s": round(done / elapsed, 4) if done and elapsed > 0 else None,
        "first_losses": first,
        "losses": last,
        "num_blocks": cfg.num_blocks,
        "device": str(trainer.device),
        "precision": str(trainer.amp_dtype or torch.float32).replace("torch.", ""),
    }
