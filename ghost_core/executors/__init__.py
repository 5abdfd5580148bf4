"""Executors run `render` for one shot: `local` in this process, `ray` on a Ray cluster."""

from ghost_core.executors.base import EXECUTORS, Executor, ExecutorOptions, ShotExecutor, open_executor

__all__ = ["EXECUTORS", "Executor", "ExecutorOptions", "ShotExecutor", "open_executor"]
