"""memory.zeros: np.zeros, on 2 MB pages when large."""

import mmap
from types import SimpleNamespace

import numpy as np
import pytest
from numba import njit

from minewatch import memory
from minewatch.flows import conntable as ct

HUGE_OK = hasattr(mmap, "MADV_HUGEPAGE")


@njit(cache=False)
def _fill(a):
    for i in range(a.shape[0]):
        a[i] = i


@pytest.mark.parametrize("shape,dtype", [
    (10, np.int64), ((3, 7), np.uint8), (memory.HUGE, np.uint8), ((1024, 65536), np.uint8),
    (1 << 16, ct.FLOW), (3 * memory.HUGE // 8 + 5, np.float64)])
def test_zeros_is_np_zeros(shape, dtype):
    got = memory.zeros(shape, dtype)
    want = np.zeros(shape, dtype)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.flags.c_contiguous and got.flags.writeable
    assert got.tobytes() == want.tobytes()


@pytest.mark.skipif(not HUGE_OK, reason="no MADV_HUGEPAGE on this system")
def test_large_arrays_start_on_a_huge_page_and_small_ones_are_plain():
    large = memory.zeros(1 << 16, ct.FLOW)
    assert large.ctypes.data % memory.HUGE == 0 and _mapped(large)
    small = memory.zeros(memory.HUGE // 8 - 1, np.int64)
    assert not _mapped(small)


def _mapped(a: np.ndarray) -> bool:
    """Whether a's memory is a mapping of its own (np.frombuffer of an mmap)."""
    base = a
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if isinstance(base, np.ndarray) else getattr(
            base, "obj", None)
    return isinstance(base, mmap.mmap)


def test_compiled_code_writes_them_and_they_outlive_their_maker():
    a = memory.zeros(memory.HUGE // 8 * 3, np.int64)[::1]
    _fill(a)
    b = a[10:20].copy()
    del a
    assert b.tolist() == list(range(10, 20))


def test_refused_mappings_fall_back_to_np_zeros(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(memory, "mmap", SimpleNamespace(
        mmap=refuse, MAP_PRIVATE=mmap.MAP_PRIVATE, MAP_ANONYMOUS=mmap.MAP_ANONYMOUS))
    got = memory.zeros((4, memory.HUGE), np.uint8)
    assert got.shape == (4, memory.HUGE) and not got.any() and not _mapped(got)
