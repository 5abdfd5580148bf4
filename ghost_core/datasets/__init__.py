"""Training data in GHOST's crop: VGGFace2-style folders and per-shot fine-tuning sets.

The functions live in `ghost_core.datasets.prepare`; this package file stays empty so the CLI
starts without loading the engine.
"""
