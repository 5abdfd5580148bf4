"""Hostile-input classes of issue #15 whose tests already live beside the code they cover.

Rather than copy them here, this names each one; the test fails if a named test is renamed or
removed, so the sweep's list stays true.
"""

from __future__ import annotations

import importlib

import pytest

COVERED = {
    "track file from another shot": (
        "tests.engine.test_bad_track",
        "test_another_shots_track_file_is_refused_before_rendering",
    ),
    "serve: wrong tokens": ("tests.service.test_serve", "test_every_request_needs_the_token"),
    "serve: malformed job body": (
        "tests.service.test_serve",
        "test_a_bad_job_is_rejected_with_the_validation_message",
    ),
    "serve: SIGKILL then resume": (
        "tests.service.test_serve",
        "test_a_killed_server_resumes_its_job_without_redoing_finished_frames",
    ),
    "SIGINT mid-bake keeps finished frames": (
        "tests.service.test_serve",
        "test_ctrl_c_in_bake_cancels_the_server_job_and_keeps_finished_frames",
    ),
    "checkpoint whose pickle runs code": ("tests.test_checkpoints", "test_pickled_code_is_never_executed"),
    "models install: tampered file": (
        "tests.test_models_store",
        "test_first_install_pins_hash_and_tampering_is_caught",
    ),
    "models install: checksum mismatch": (
        "tests.test_models_store",
        "test_checksum_mismatch_is_refused_and_nothing_is_left",
    ),
    "job files with relative paths": (
        "tests.jobs.test_job_schema",
        "test_relative_paths_resolve_against_the_job_folder",
    ),
    "zero-byte and renamed plate frames": ("tests.robustness.test_fuzz_exr", "test_every_variant_in_process"),
    "NaN/Inf/negative pixels kept by convert": (
        "tests.io.test_frames_cli",
        "test_nan_inf_negative_survive_convert_bit_exact",
    ),
    "NaN/Inf pixels in the paste-back": ("tests.test_composite", ""),
    "serve: many concurrent clients": (
        "tests.robustness.test_serve_concurrency",
        "test_many_concurrent_clients_lose_and_duplicate_nothing",
    ),
}


@pytest.mark.parametrize("case", list(COVERED))
def test_the_covering_test_exists(case: str) -> None:
    module, name = COVERED[case]
    loaded = importlib.import_module(module)
    if name:
        assert callable(getattr(loaded, name, None)), f"{case}: {COVERED[case]} is gone"
