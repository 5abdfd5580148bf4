"""Data-only package: the model manifest, installed as ghost_core.manifests (see pyproject.toml)."""
