"""Scoring swaps: identity retrieval with an independent recogniser, head pose, expression and jitter."""

from ghost_core.evaluation.clips import Clip, read_clip
from ghost_core.evaluation.evaluate import EvalSettings, evaluate
from ghost_core.evaluation.recogniser import Recogniser, open_recogniser
from ghost_core.evaluation.report import write_report

__all__ = ["Clip", "EvalSettings", "Recogniser", "evaluate", "open_recogniser", "read_clip", "write_report"]
