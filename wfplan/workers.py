"""Worker processes for parallel solves, each with one BLAS thread.

numpy's OpenBLAS starts a thread per core for a large enough vector
operation (a dot product over a model's 12,000 columns is one) and leaves it
busy-waiting afterwards.  In a pool of one worker per core those threads take
the cores the solvers need: a two-worker Norfolk & Waveney sweep ran at the
speed of one worker (22 s for 100 samples either way; 10 s with one BLAS
thread per worker).  Nothing wfplan does with numpy gains from BLAS threads,
so workers get one each.

Workers are spawned, not forked: forking a process whose solver threads have
started can deadlock the child.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Read by OpenBLAS, OpenMP and MKL when a process loads them: set before a worker starts."""


@contextmanager
def process_pool(workers: int, initializer: Callable[..., None] | None = None,
                 initargs: tuple = ()) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes with one BLAS thread each.

    Workers inherit the environment when they start, which the pool does on
    demand, so the variables are set for the pool's whole life and restored
    when it closes.
    """
    saved = {name: os.environ.get(name) for name in ONE_BLAS_THREAD}
    os.environ.update(ONE_BLAS_THREAD)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=initializer, initargs=initargs) as pool:
            yield pool
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
