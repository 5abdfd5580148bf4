"""Training data in GHOST's crop: VGGFace2-style folders and per-shot fine-tuning sets."""

from ghost_core.datasets.prepare import prepare_folder, prepare_shot

__all__ = ["prepare_folder", "prepare_shot"]
