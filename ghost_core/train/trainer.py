"""One GHOST training iteration (GHOST_REFERENCE.md §4.3) with torch.amp instead of apex.

The identity encoder is any frozen module mapping B×3×112×112 RGB in [-1, 1] to B×D embeddings:
the official ArcFace iresnet100 for real training, a smaller IResNet where tests need speed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ghost_core.errors import UsageError
from ghost_core.nets.aei_net import AEINet
from ghost_core.train import losses
from ghost_core.train.fan import FAN

PRECISIONS = ("auto", "fp32", "fp16", "bf16")
ARCFACE_INPUT = 112
# GHOST's --discr_force: D only steps while an EMA (0.98/0.02) of L_adv, started at 20, is below 4.
_FORCE_START, _FORCE_LIMIT, _FORCE_KEEP = 20.0, 4.0, 0.98


@dataclass
class TrainConfig:
    """Everything that defines a run; saved in the training state so `--resume` reuses it."""

    num_blocks: int = 2
    batch_size: int = 16
    steps: int = 100_000
    lr_g: float = 4e-4
    lr_d: float = 4e-4
    weight_decay: float = 1e-4
    weight_adv: float = 1.0
    weight_attr: float = 10.0
    weight_id: float = 20.0
    weight_rec: float = 10.0
    weight_eyes: float = 0.0
    same_prob: float = 0.2
    same_identity: bool = True
    diff_eq_same: bool = False
    discr_force: bool = False
    scheduler: bool = False
    scheduler_step: int = 5000
    scheduler_gamma: float = 0.2
    precision: str = "auto"
    device: str = "auto"
    seed: int = 0
    save_every: int = 5000
    preview_every: int = 500
    log_every: int = 10
    workers: int = 0

    @property
    def weights(self) -> losses.LossWeights:
        return losses.LossWeights(
            self.weight_adv, self.weight_attr, self.weight_id, self.weight_rec, self.weight_eyes
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def validate(self) -> None:
        if self.num_blocks not in (1, 2, 3):
            raise UsageError(f"--blocks must be 1, 2 or 3 (got {self.num_blocks})")
        if self.batch_size < 1 or self.steps < 1:
            raise UsageError("--batch and --steps must be at least 1")
        if not 0.0 <= self.same_prob <= 1.0:
            raise UsageError(f"--same-prob must lie in [0, 1] (got {self.same_prob})")
        if self.precision not in PRECISIONS:
            raise UsageError(f"unknown precision {self.precision!r}: use one of {', '.join(PRECISIONS)}")


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("CUDA requested but this torch build sees no GPU: use --device cpu")
    return device


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """None means plain fp32. auto: fp16 on CUDA (GHOST trained with apex O2), fp32 elsewhere."""
    if precision == "auto":
        return torch.float16 if device.type == "cuda" else None
    if precision == "fp16":
        if device.type != "cuda":
            raise UsageError("fp16 training needs a CUDA GPU; on the CPU use --precision bf16 or fp32")
        return torch.float16
    if precision == "bf16":
        return torch.bfloat16
    return None


def _frozen(module: nn.Module) -> nn.Module:
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


@contextlib.contextmanager
def _no_param_grads(module: nn.Module) -> Iterator[None]:
    """D's weights get no gradient from the generator loss (GHOST zeroes them anyway: this saves work)."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(module.parameters(), flags, strict=True):
            p.requires_grad_(flag)


class Trainer:
    """Generator + discriminator, their optimisers, scalers and schedulers, and the step counter."""

    def __init__(
        self,
        config: TrainConfig,
        generator: AEINet,
        discriminator: nn.Module,
        identity: nn.Module,
        eye_net: FAN | None = None,
    ) -> None:
        config.validate()
        if config.weight_eyes > 0 and eye_net is None:
            raise UsageError("--weight-eyes > 0 needs the FAN eye-landmark model (wflw_4hg)")
        self.config = config
        self.device = pick_device(config.device)
        self.amp_dtype = autocast_dtype(config.precision, self.device)
        self.G = generator.to(self.device).train()
        self.D = discriminator.to(self.device).train()
        self.identity = _frozen(identity.to(self.device))
        self.eye_net = (
            _frozen(eye_net.to(self.device)) if eye_net is not None and config.weight_eyes > 0 else None
        )
        betas = (0.0, 0.999)
        self.opt_g = torch.optim.Adam(
            self.G.parameters(), config.lr_g, betas=betas, weight_decay=config.weight_decay
        )
        self.opt_d = torch.optim.Adam(
            self.D.parameters(), config.lr_d, betas=betas, weight_decay=config.weight_decay
        )
        scale = self.amp_dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=scale)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=scale)
        self.sched_g = self.sched_d = None
        if config.scheduler:
            step, gamma = config.scheduler_step, config.scheduler_gamma
            self.sched_g = torch.optim.lr_scheduler.StepLR(self.opt_g, step_size=step, gamma=gamma)
            self.sched_d = torch.optim.lr_scheduler.StepLR(self.opt_d, step_size=step, gamma=gamma)
        self.step = 0
        self.adv_ema = _FORCE_START
        self.last_output: torch.Tensor | None = None

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Identity embedding of [-1, 1] images of any size, resized to 112 as GHOST trains."""
        small = F.interpolate(images, (ARCFACE_INPUT, ARCFACE_INPUT), mode="bilinear", align_corners=False)
        return self.identity(small)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """G step, then D step on D(Xs) real / D(Y.detach()) fake; returns the losses as floats."""
        cfg, w = self.config, self.config.weights
        xs_orig, xs, xt = (batch[k].to(self.device, non_blocking=True) for k in ("xs_orig", "xs", "xt"))
        same = batch["same"].to(self.device).float()
        if cfg.diff_eq_same:
            same = torch.ones_like(same)
        weight = torch.ones(xs.shape[0], device=self.device)  # GHOST's diff_person

        with torch.no_grad(), self._autocast():
            source_embed = self.embed(xs_orig).float()

        with _no_param_grads(self.D), self._autocast():
            y, target_attrs = self.G(xt, source_embed)
            l_adv = losses.generator_adversarial(self.D(y), weight)
            l_id = losses.identity_loss(source_embed, self.embed(y))
            l_attr = losses.attribute_loss(target_attrs, self.G.attributes(y))
            l_rec = losses.reconstruction_loss(y, xt, same)
            l_eye = torch.zeros((), device=self.device)
            if self.eye_net is not None:
                with torch.no_grad():
                    target_eyes = self.eye_net.eye_heatmaps(xt)
                l_eye = losses.eye_loss(target_eyes, self.eye_net.eye_heatmaps(y))
            l_g = w.adv * l_adv + w.attr * l_attr + w.id * l_id + w.rec * l_rec + w.eyes * l_eye
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(l_g).backward()
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        if self.sched_g is not None:
            self.sched_g.step()

        fake = y.detach()
        with self._autocast():
            l_d = losses.discriminator_hinge(self.D(xs), self.D(fake), weight)
        self.adv_ema = _FORCE_KEEP * self.adv_ema + (1 - _FORCE_KEEP) * float(l_adv.detach())
        d_stepped = not cfg.discr_force or self.adv_ema < _FORCE_LIMIT
        self.opt_d.zero_grad(set_to_none=True)
        if d_stepped:
            self.scaler_d.scale(l_d).backward()
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()
        if self.sched_d is not None:
            self.sched_d.step()

        self.step += 1
        self.last_output = fake
        values = {"loss_g": l_g, "loss_d": l_d, "adv": l_adv, "id": l_id, "attr": l_attr, "rec": l_rec}
        return {
            **{k: float(v.detach()) for k, v in values.items()},
            "eyes": float(l_eye.detach()),
            "lr_g": self.opt_g.param_groups[0]["lr"],
            "d_stepped": float(d_stepped),
        }

    # ---- resumable state (everything but the network weights, which go to G/D_latest.pth) -------

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "step": self.step,
            "adv_ema": self.adv_ema,
            "config": self.config.to_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler_g": self.scaler_g.state_dict(),
            "scaler_d": self.scaler_d.state_dict(),
            "rng_cpu": torch.get_rng_state(),
        }
        if self.sched_g is not None and self.sched_d is not None:
            state["sched_g"] = self.sched_g.state_dict()
            state["sched_d"] = self.sched_d.state_dict()
        if self.device.type == "cuda":
            state["rng_cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.adv_ema = float(state["adv_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.scaler_g.load_state_dict(state["scaler_g"])
        self.scaler_d.load_state_dict(state["scaler_d"])
        if self.sched_g is not None and "sched_g" in state:
            self.sched_g.load_state_dict(state["sched_g"])
            self.sched_d.load_state_dict(state["sched_d"])  # type: ignore[union-attr]
        torch.set_rng_state(state["rng_cpu"])
        if self.device.type == "cuda" and "rng_cuda" in state:
            torch.cuda.set_rng_state_all(state["rng_cuda"])
