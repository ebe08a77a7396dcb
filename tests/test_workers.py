"""Worker pools: each worker has one BLAS thread, and the caller's environment is left as it was."""

from __future__ import annotations

import os

import pytest

from wfplan.workers import ONE_BLAS_THREAD, process_pool


def blas_settings() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in ONE_BLAS_THREAD}


def test_workers_start_with_one_blas_thread_and_the_callers_settings_come_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    before = blas_settings()
    with process_pool(2) as pool:
        in_workers = list(pool.map(_settings_in_worker, range(2)))
    assert in_workers == [ONE_BLAS_THREAD, ONE_BLAS_THREAD]
    assert blas_settings() == before


def _settings_in_worker(_: int) -> dict[str, str | None]:
    return blas_settings()
