"""Memory behaviour of frame streaming.

numpy asks the kernel for transparent huge pages (madvise) on every large array. Where the
kernel's THP defrag mode is `madvise` (a common default), that request makes page faults wait for
memory compaction, and a frame pass allocates and frees several 30-100 MB buffers per frame:
measured here, a 4K frame took ~15 % longer. Frames are short-lived, so huge pages buy nothing;
the pass turns the request off, unless the user chose explicitly with NUMPY_MADVISE_HUGEPAGE.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

try:
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # numpy < 2 keeps it under numpy.core; without it there is nothing to change
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        _set_madvise_hugepage = None


@contextlib.contextmanager
def streaming_buffers() -> Iterator[None]:
    """Within the block, numpy does not request huge pages for new arrays (restored after)."""
    if _set_madvise_hugepage is None or "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        yield
        return
    previous = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(previous)
