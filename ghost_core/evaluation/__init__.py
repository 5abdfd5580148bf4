"""Scoring swaps: identity retrieval with an independent recogniser, head pose, expression and jitter.

Import from the submodules (`evaluate`, `clips`, `recogniser`, `report`); this package file stays
empty so the CLI starts without loading OpenCV and onnxruntime.
"""
