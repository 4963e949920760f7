"""The streaming packet path (sim/spill.py): same packets, same order, same bytes as sorting all."""

import numpy as np

from minewatch.flows.meter import FlowMeter
from minewatch.sim import run
from minewatch.sim.packets import SimPacket, merge
from minewatch.sim.spill import PacketRuns


def _streams(rng, n_streams=60, sorted_=True):
    """Many short streams on a coarse clock: lots of equal timestamps across and within streams."""
    streams = []
    for s in range(n_streams):
        n = int(rng.integers(0, 40))
        ts = rng.integers(0, 25, n).astype(float) * 0.5 + 1000.0
        if sorted_:
            ts.sort()
        src, dst = f"10.0.{s % 7}.{s}", f"203.0.113.{s % 5}"
        proto = 6 if s % 3 else 17
        streams.append([SimPacket(float(t), src, dst, 40000 + s, 443, proto, 0x18 if proto == 6 else 0,
                                  int(rng.integers(0, 2**32)), int(rng.integers(0, 2**32)),
                                  bytes([s, i]) * int(rng.integers(0, 30)))
                        for i, t in enumerate(ts)])
    return streams


def _pcap(path, packets) -> tuple[bytes, list[dict]]:
    meter = FlowMeter(run.EXPORT_METER)
    run._write_packets(path, packets, meter)
    return path.read_bytes(), meter.flush()


def _runs(streams, **kw) -> PacketRuns:
    runs = PacketRuns(**kw)
    for s in streams:
        runs.add(s)
    return runs


def test_streaming_writer_same_bytes_as_sort_all(tmp_path):
    streams = _streams(np.random.default_rng(7))
    # The straightforward way: every packet in memory, one stable sort on time (ties: the earlier
    # stream first, then the stream's own order), then write.
    flat = [p for s in streams for p in s]
    sort_all = sorted(flat, key=lambda p: p.ts)
    want_bytes, want_flows = _pcap(tmp_path / "a.pcap", sort_all)
    runs = _runs(streams, run_packets=50)  # many small runs spilled to disk
    got_bytes, got_flows = _pcap(tmp_path / "b.pcap", runs)
    assert runs.packets == len(flat) and len(runs._runs) == 0  # all came back, files closed
    assert got_bytes == want_bytes
    assert got_flows == want_flows
    assert _pcap(tmp_path / "c.pcap", merge(streams))[0] == want_bytes  # and what the simulator did before


def test_same_order_as_heapq_merge_with_ties_and_run_sizes():
    rng = np.random.default_rng(11)
    streams = _streams(rng, 80)
    want = list(merge(streams))
    for run_packets in (1, 7, 100, 10**9):
        assert list(_runs(streams, run_packets=run_packets)) == want
    assert list(_runs(streams, run_bytes=200)) == want  # spilled by payload bytes


def test_unsorted_stream_merges_like_heapq_merge():
    """A stream that goes back in time still comes out as heapq.merge would give it."""
    rng = np.random.default_rng(3)
    for _ in range(20):
        streams = _streams(rng, 12, sorted_=False)
        assert list(_runs(streams, run_packets=5)) == list(merge(streams))


def test_empty():
    assert list(PacketRuns()) == []
    assert list(_runs([[], []], run_packets=1)) == []
