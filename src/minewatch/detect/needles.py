"""Which of a fixed set of byte strings occur in a text, in one compiled pass.

Page and script bodies are scanned for a few dozen browser-miner indicators. Testing each with
`in` reads the body once per indicator (0.3 ms for a 35 kB page and 33 indicators); here every
position is looked up once in a table of the needles' first two bytes, and only the needles
listed there are compared (about 20x less). The result is exactly `[n in text for n in needles]`.
"""

from __future__ import annotations

import numpy as np
from numba import njit


class NeedleSet:
    """A fixed list of non-empty byte strings, compared byte for byte (fold case before)."""

    def __init__(self, needles: list[bytes]) -> None:
        if any(not n for n in needles):
            raise ValueError("empty needle")
        self.needles = list(needles)
        self._bytes = np.frombuffer(b"".join(needles) or b"\0", np.uint8)
        self._ends = np.cumsum([len(n) for n in needles], dtype=np.int64)
        self._starts = self._ends - np.array([len(n) for n in needles], np.int64)
        heads = np.array([_head(n) for n in needles], np.int64)
        order = np.argsort(heads, kind="stable")
        self._order = order.astype(np.int64)  # needle indices grouped by their first two bytes
        self._first = np.searchsorted(heads[order], np.arange(65537)).astype(np.int32)
        self._any = (self._first[1:] > self._first[:-1]).astype(np.uint8)  # 64 kB: stays in L2
        self._single = [i for i, n in enumerate(needles) if len(n) == 1]

    def arrays(self) -> tuple:
        """The compiled scan's tables (`scan`'s needles, starts, ends, order and heads), for
        compiled callers (detect.pages); its one-byte needles are not in them."""
        return self._bytes, self._starts, self._ends, self._order, (self._any, self._first)

    def present(self, text: bytes) -> list[bool]:
        """For each needle, whether it occurs in text."""
        found = np.zeros(len(self.needles), np.bool_)
        if self.needles and text:
            scan(np.frombuffer(text, np.uint8), self._bytes, self._starts, self._ends,
                  self._order, (self._any, self._first), found)
            for i in self._single:  # one-byte needles: no two-byte head
                found[i] = self.needles[i] in text
        return found.tolist()


def _head(needle: bytes) -> int:
    """The table key of a needle: its first two bytes (one-byte needles are tested apart)."""
    return needle[0] << 8 | needle[1] if len(needle) > 1 else 65536


@njit(cache=True, nogil=True)
def scan(text, needles, starts, ends, order, heads, found) -> None:
    any_head, first = heads
    n = len(text)
    for pos in range(n - 1):
        key = (np.int64(text[pos]) << 8) | text[pos + 1]
        if not any_head[key]:
            continue
        for k in range(first[key], first[key + 1]):
            i = order[k]
            size = ends[i] - starts[i]
            if found[i] or pos + size > n:
                continue
            same = True
            for j in range(2, size):
                if text[pos + j] != needles[starts[i] + j]:
                    same = False
                    break
            found[i] = same
