"""The model manager: official GHOST weights described by a manifest, downloaded, verified, cached.

Render code only needs `resolve(name)` (and `file_sha256(name)` to key derived files such as
ONNX exports); installing is the job of `ghostswap models install`.
"""

from ghost_core.models_store.home import cache_root
from ghost_core.models_store.manifest import Asset, Manifest
from ghost_core.models_store.registration import register_local
from ghost_core.models_store.store import (
    ModelStore,
    file_sha256,
    install,
    list_models,
    load_manifest,
    resolve,
    verify,
)

__all__ = [
    "Asset",
    "Manifest",
    "ModelStore",
    "cache_root",
    "file_sha256",
    "install",
    "list_models",
    "load_manifest",
    "register_local",
    "resolve",
    "verify",
]
