"""What the side-by-side benchmarks share: one core, and the best of several timed runs.

Import it before numpy or pyarrow: the thread limits only take effect when they are set
before those libraries start their pools.
"""

from __future__ import annotations

import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_THREAD_LIMIT"):
    os.environ.setdefault(_var, "1")


def best_rate(fn, n: int, repeat: int) -> float:
    """Items/s of the fastest of `repeat` calls of `fn` (which handles `n` items)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best
