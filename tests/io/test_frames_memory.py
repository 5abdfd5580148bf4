"""Frame passes switch numpy's huge-page advice off, restore it, and respect the user's choice."""

from __future__ import annotations

import pytest

from ghost_core.io import memory


def _state() -> bool:
    current = memory._set_madvise_hugepage(True)
    memory._set_madvise_hugepage(current)
    return current


@pytest.mark.skipif(memory._set_madvise_hugepage is None, reason="numpy without the switch")
def test_streaming_buffers_turns_advice_off_and_restores(monkeypatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    memory._set_madvise_hugepage(True)
    with memory.streaming_buffers():
        assert _state() is False
    assert _state() is True
    with pytest.raises(RuntimeError), memory.streaming_buffers():
        raise RuntimeError("frame failed")
    assert _state() is True


@pytest.mark.skipif(memory._set_madvise_hugepage is None, reason="numpy without the switch")
def test_user_setting_wins(monkeypatch):
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    memory._set_madvise_hugepage(True)
    with memory.streaming_buffers():
        assert _state() is True
