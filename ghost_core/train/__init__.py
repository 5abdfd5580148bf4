"""GHOST training and fine-tuning: data pairs, losses, the iteration, checkpoints and the CLI."""

from ghost_core.train.data import FaceFolder, PairDataset
from ghost_core.train.losses import LossWeights
from ghost_core.train.trainer import TrainConfig, Trainer

__all__ = ["FaceFolder", "LossWeights", "PairDataset", "TrainConfig", "Trainer"]
