"""GhostSwap engine: GHOST face replacement on scene-linear frames."""

__version__ = "0.1.0"
