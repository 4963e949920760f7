"""Process-wide settings held while captures are read: the interpreter's thread switch
interval (while a reader thread runs) and the cyclic garbage collector (while a capture is
read). Each is applied by the first holder and undone by the last, so overlapping readers
restore the caller's own settings."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable

SWITCH_S = 1e-4  # the interpreter's thread switch interval while a reader runs
GC_FIRST = 20_000  # allocations between the collector's youngest collections while reading


class Held:
    """A setting applied while anyone holds it (`enter` ... `leave`, or `with`): `apply()`
    returns what `undo(saved)` needs. Holders are counted across threads."""

    def __init__(self, apply: Callable[[], object], undo: Callable[[object], None]) -> None:
        self._apply, self._undo = apply, undo
        self._lock, self._holders, self._saved = threading.Lock(), 0, None

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._saved = self._apply()
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                self._undo(self._saved)

    def __enter__(self) -> Held:
        self.enter()
        return self

    def __exit__(self, *exc) -> None:
        self.leave()


def _switch() -> float:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, SWITCH_S))
    return saved


# The reader thread needs the GIL for a moment between its reads and walks (which release
# it), while the caller mostly runs Python decoders. With the default interval (5 ms) the
# reader waited about 0.1 s a GB for the GIL, and since it is the slower thread on ordinary
# traffic the caller then waited for it: 0.41 s a GB against 0.36 s at 0.1 ms (isp mix).
SWITCH = Held(_switch, sys.setswitchinterval)


def _quiet() -> tuple[tuple[int, int, int], bool]:
    threshold, froze = gc.get_threshold(), gc.get_freeze_count() == 0
    if froze:  # (a caller's own freeze is left alone: unfreezing would undo it too)
        gc.freeze()
    gc.set_threshold(threshold[0] and max(threshold[0], GC_FIRST), *threshold[1:])  # (0: off)
    return threshold, froze


def _unquiet(saved: tuple[tuple[int, int, int], bool]) -> None:
    threshold, froze = saved
    gc.set_threshold(*threshold)
    if froze:
        gc.unfreeze()


class Collector(Held):
    """The quiet collector (COLLECTOR), which can also take in what lives now."""

    def settle(self) -> None:
        """While held with a freeze of its own: freeze what lives now too (what outlived an
        input), so that later collections skip it until the last holder leaves. Nothing
        otherwise (a caller's own freeze is never added to: it would outlive the hold)."""
        with self._lock:
            if self._holders and self._saved[1]:
                gc.freeze()


# The collector walked every object the process holds (numba's, pyarrow's: about a million)
# in its oldest collection, and a capture's decoders allocate enough to run one: 0.07 s of a
# 0.3 s read of the isp capture, and 0.02 s more in 190 young collections. Objects made before
# the read are frozen (left out of every collection) while it runs, and the youngest
# collection waits for GC_FIRST allocations instead of 700: about 0.013 s in all. Cycles made
# during the read are still collected; those among the frozen objects wait for its end.
# (gc.get_freeze_count walks the frozen objects, 16 ms for 200,000: it is asked only by the
# first holder, so `analyze` holds it across its inputs.)
COLLECTOR = Collector(_quiet, _unquiet)
