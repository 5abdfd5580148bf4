"""What this machine can run (`ghostswap doctor`), so a TD can check a workstation or farm node."""

from __future__ import annotations

import os
import platform
from typing import Any

from ghost_core import __version__


def machine_report() -> dict[str, Any]:
    """Versions, accelerators and the providers onnxruntime would use, in preference order."""
    import onnxruntime as ort
    import torch

    from ghost_core.runtime.devices import ort_providers

    providers = ort_providers("auto")
    cuda = torch.cuda.is_available()
    return {
        "ghostswap": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_threads": os.cpu_count(),
        "torch": torch.__version__,
        "torch_cuda": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "onnxruntime": ort.__version__,
        "onnxruntime_providers": [p if isinstance(p, str) else p[0] for p in providers],
        "default_precision": "fp16" if cuda or len(providers) > 1 else "fp32",
    }
