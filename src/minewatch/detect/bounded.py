"""Bounded memory for per-connection state: a session on a long capture must not grow forever."""

from __future__ import annotations

from collections import OrderedDict

MAX_TRACKED = 4096  # unanswered requests remembered per session (oldest dropped)
JOB_WINDOW = 128  # a pool's latest job announcements a share is priced by (see JobWindow)
MAX_EVIDENCE = 24  # facts kept per session


def remember(table: OrderedDict, key, value, limit: int = MAX_TRACKED) -> None:
    """Put key -> value as the newest entry, dropping the oldest beyond `limit`."""
    table[key] = value
    table.move_to_end(key)
    if len(table) > limit:
        table.popitem(last=False)


def add_fact(evidence: list[str], text: str, limit: int = MAX_EVIDENCE) -> None:
    """Append a fact once, up to `limit` facts."""
    if text not in evidence and len(evidence) < limit:
        evidence.append(text)


class JobWindow:
    """The jobs of a pool's latest `size` announcements, by id; a repeated id names its latest
    announcement. A share for a job announced before them is stale (pools refuse those) and
    is priced as the session's current jobs are. An announcement that repeats the one just
    before it (a getwork poller is sent the newest job again and again) is not counted.

    The window is counted in announcements, not in distinct ids, so that compiled code can
    keep the same jobs in a ring of `size` slots (`detect.steady_book`), and neither side
    ever has to ask the other whether it still knows a job."""

    def __init__(self, size: int = JOB_WINDOW):
        self.size, self.count = size, 0  # announcements so far
        # job id -> (price, number of its latest announcement), in the order of those
        self._latest: dict = {}
        self._newest: tuple | None = None  # (job id, price) announced last

    def announce(self, job: str, price) -> None:
        if self.count and self._newest == (job, price):
            return
        self._put(job, price, self.count)
        self._newest = (job, price)
        self.count += 1
        if len(self._latest) > 2 * self.size:
            self._prune()

    def get(self, job: str):
        """The price of a job in the window; None if it is not there (or had none)."""
        entry = self._latest.get(job)
        return entry[0] if entry is not None and entry[1] >= self.count - self.size else None

    def window(self) -> list[tuple[int, str, object]]:
        """(number, job id, price) of the jobs in the window, oldest first."""
        first, out = self.count - self.size, []
        for job, (price, n) in reversed(self._latest.items()):
            if n < first:
                break
            out.append((n, job, price))
        return out[::-1]

    def resume(self, count: int, entries: list[tuple[int, str, object]]) -> None:
        """Go on from a ring kept elsewhere: `count` announcements so far, and the ones it
        added (as `window` lists them)."""
        for n, job, price in entries:
            self._put(job, price, n)
        if entries:
            self._newest = entries[-1][1:]
        self.count = count
        self._prune()

    def _put(self, job: str, price, n: int) -> None:
        self._latest.pop(job, None)  # (to the end: the order is that of the announcements)
        self._latest[job] = (price, n)

    def _prune(self) -> None:
        first = self.count - self.size
        for job, (_, n) in list(self._latest.items())[:max(0, len(self._latest) - self.size)]:
            if n >= first:
                break
            del self._latest[job]
