"""Process-wide settings held while captures are read (ingest.process)."""

from __future__ import annotations

import gc
import io
import weakref

import numpy as np
import pytest

from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import PcapWriter
from minewatch.ingest import process
from minewatch.ingest.capture import read_capture
from minewatch.sim import background as bg


@pytest.fixture
def collector():
    """The collector's settings before the test, restored after it whatever happens."""
    saved, frozen = gc.get_threshold(), gc.get_freeze_count()
    yield saved, frozen
    gc.set_threshold(*saved)
    assert gc.get_freeze_count() == frozen


def test_the_collector_is_quiet_while_held_and_restored_by_the_last_holder(collector):
    saved, frozen = collector
    gc.set_threshold(700, 10, 10)
    with process.COLLECTOR:
        assert gc.get_threshold() == (process.GC_FIRST, 10, 10)
        assert gc.get_freeze_count() > frozen
        process.COLLECTOR.enter()  # a second reader, overlapping the first
    assert gc.get_threshold() == (process.GC_FIRST, 10, 10)  # (the second still reads)
    process.COLLECTOR.leave()
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == frozen


def test_a_collector_switched_off_stays_off_and_a_lazier_one_keeps_its_pace(collector):
    for before, during in [((0, 10, 10), (0, 10, 10)), ((50_000, 5, 5), (50_000, 5, 5))]:
        gc.set_threshold(*before)
        with process.COLLECTOR:
            assert gc.get_threshold() == during
        assert gc.get_threshold() == before


def test_a_callers_own_freeze_is_left_alone(collector):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with process.COLLECTOR:  # (frozen objects may die meanwhile: the count can only fall)
            assert 0 < gc.get_freeze_count() <= frozen
        assert 0 < gc.get_freeze_count() <= frozen  # still the caller's
    finally:
        gc.unfreeze()


def test_settle_freezes_what_lives_now_until_the_hold_ends(collector):
    class Node:
        pass

    _, frozen = collector
    with process.COLLECTOR:
        held = gc.get_freeze_count()
        kept = [Node() for _ in range(1000)]  # what an input leaves behind
        process.COLLECTOR.settle()
        assert gc.get_freeze_count() >= held + 1000
        a, b = Node(), Node()  # a cycle made after it is still collected
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None
    assert gc.get_freeze_count() == frozen and kept


def test_settle_freezes_nothing_unheld_or_over_a_callers_freeze(collector):
    _, frozen = collector
    process.COLLECTOR.settle()
    assert gc.get_freeze_count() == frozen
    gc.freeze()
    try:
        mine = gc.get_freeze_count()
        with process.COLLECTOR:
            junk = [[] for _ in range(1000)]  # (containers: the collector tracks them)
            process.COLLECTOR.settle()  # (the caller's unfreeze would thaw them, not ours)
            assert gc.get_freeze_count() <= mine and junk
    finally:
        gc.unfreeze()


def test_cycles_made_while_held_are_still_collected(collector):
    class Node:
        pass

    with process.COLLECTOR:
        a, b = Node(), Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None


def test_read_capture_holds_it_while_reading_and_lets_go_after_an_error(collector):
    saved, frozen = collector
    rng, buf = np.random.default_rng(3), io.BytesIO()
    writer = PcapWriter(buf)
    for k in range(20):
        for p in bg.https_session("10.0.0.7", "198.51.100.4", f"s{k}.example.com", 100 + 10.0 * k,
                                  rng):
            writer.write(p.ts, encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags,
                                          p.payload))
    data, seen = buf.getvalue(), []

    class Watched(io.BytesIO):
        """Notes the collector's state at each read; fails once `fail` bytes are read."""

        fail = len(data) + 1

        def readinto(self, view):
            seen.append((gc.get_freeze_count() > frozen, gc.get_threshold()[0]))
            if self.tell() >= self.fail:
                raise OSError(5, "Input/output error")
            return super().readinto(view[:4096])

    tables, _, _ = read_capture(Watched(data), "t", "t")
    assert tables["tls_hellos"].num_rows == 20
    assert len(seen) > 10 and all(now and first >= process.GC_FIRST for now, first in seen)
    assert gc.get_threshold() == saved and gc.get_freeze_count() == frozen
    Watched.fail = len(data) // 2
    with pytest.raises(OSError):
        read_capture(Watched(data), "t", "t")
    assert gc.get_threshold() == saved and gc.get_freeze_count() == frozen
