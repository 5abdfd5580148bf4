"""GHOST training and fine-tuning: data pairs, losses, the iteration, checkpoints and the CLI.

Import from the submodules (`ghost_core.train.trainer`, `.data`, `.losses`): this package file
stays empty so `ghostswap` can list its commands without importing torch.
"""
