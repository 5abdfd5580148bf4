"""Package list for setuptools; all other metadata is in pyproject.toml.

Auto-discovery only sees folders under ghost_core/, but ghost_core.manifests is the top-level
models/ folder (mapped by `package-dir` in pyproject.toml), so it is added here by name.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["ghost_core", "ghost_core.*"]), "ghost_core.manifests"])
