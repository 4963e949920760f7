"""JobWindow against a plain list of announcements (the definition, written out)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.detect.bounded import JobWindow

JOBS = st.sampled_from(["a", "b", "c", "d", "e", "f", "g"])
PRICES = st.sampled_from([None, ("diff", 1.0), ("diff", 2.0)])


class Announcements:
    """The definition: every announcement in a list; a job's price is that of its latest
    announcement among the last `size`; one equal to the one just before is none."""

    def __init__(self, size: int):
        self.size, self.all = size, []

    def announce(self, job, price):
        if not (self.all and self.all[-1] == (job, price)):
            self.all.append((job, price))

    def get(self, job):
        for j, price in reversed(self.all[-self.size:]):
            if j == job:
                return price
        return None


def test_the_window_counts_announcements_not_ids():
    w = JobWindow(size=3)
    for job in ["a", "b", "a", "c"]:  # a again: its latest announcement counts
        w.announce(job, ("diff", 1.0))
    assert w.count == 4 and w.get("a") == ("diff", 1.0) and w.get("b") == ("diff", 1.0)
    w.announce("d", ("diff", 2.0))  # b's announcement leaves the window
    assert w.get("b") is None and w.get("a") == ("diff", 1.0)
    w.announce("d", ("diff", 2.0))  # a poller's repeat is no announcement
    assert w.count == 5 and [job for _, job, _ in w.window()] == ["a", "c", "d"]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.lists(st.tuples(JOBS, PRICES), max_size=60),
       st.integers(0, 60), st.lists(st.tuples(JOBS, PRICES), max_size=30))
def test_window_and_resume_agree_with_the_definition(size, first, cut, later):
    """Announcements split anywhere between this window and a ring that resumes it (the
    ring sees the window as `window` lists it and gives back only what it added)."""
    w, truth = JobWindow(size), Announcements(size)
    for job, price in first[:cut]:
        w.announce(job, price)
        truth.announce(job, price)
    ring = JobWindow(size)  # what compiled code does with its copy of the window
    ring.resume(w.count, w.window())
    since = ring.count
    for job, price in first[cut:] + later:
        ring.announce(job, price)
        truth.announce(job, price)
    w.resume(ring.count, [e for e in ring.window() if e[0] >= since])
    assert w.count == len(truth.all)
    for job in "abcdefgh":
        assert w.get(job) == truth.get(job)
    if truth.all:
        w.announce(*truth.all[-1])  # a repeat of the newest is none
        assert w.count == len(truth.all)
