"""Packets of many streams in, one time-ordered stream out, with bounded memory.

`PacketRuns` takes the packet lists of a capture one stream at a time, in the order the
simulation draws them, and gives them back in exactly the order `packets.merge(streams)`
(`heapq.merge` keyed on `ts`) gives for the same list of streams, without holding them all:
the streams are buffered, sorted and spilled to temporary files as runs, and the runs are
merged back lazily.

The order `heapq.merge` produces is a sort on (effective ts, stream index, position in stream),
where a packet's effective ts is the largest ts so far in its stream (its own ts when the
stream is sorted, as every stream of the simulator is; a packet that goes back in time leaves
the merge right after the packet before it, and the running maximum reproduces that). The
buffer holds its packets in (stream index, position) order, so a stable sort on the effective ts
puts a run in the merge's order; runs cover increasing (stream index, position) ranges, so
`heapq.merge` over the runs, keyed on the effective ts alone, breaks ties by run as the original
merge broke them by stream.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import BinaryIO

from minewatch.sim.packets import SimPacket

RUN_PACKETS = 200_000  # packets a run buffer holds before it is spilled
RUN_BYTES = 64 << 20  # or payload bytes
BATCH = 4096  # records per pickle in a run file: what a run's reader holds while merging

_KEY = itemgetter(0)


class PacketRuns:
    """Streams added in order; iterating once yields all their packets in merge order."""

    def __init__(self, run_packets: int = RUN_PACKETS, run_bytes: int = RUN_BYTES,
                 tmpdir: str | None = None):
        self._run_packets, self._run_bytes, self._tmpdir = run_packets, run_bytes, tmpdir
        self._buf: list[tuple] = []
        self._bytes = 0
        self._runs: list[BinaryIO] = []
        self.packets = 0

    def add(self, stream: Iterable[SimPacket]) -> None:
        """The next stream (a connection, a host's traffic...), its packets in its own order."""
        buf = self._buf
        eff = float("-inf")
        for p in stream:
            ts = p.ts
            if ts > eff:
                eff = ts
            buf.append((eff, ts, p.src, p.dst, p.sport, p.dport, p.proto, p.flags, p.seq, p.ack,
                        p.payload))
            self._bytes += len(p.payload)
        if len(buf) >= self._run_packets or self._bytes >= self._run_bytes:
            self._spill()

    def extend(self, streams: Iterable[Iterable[SimPacket]]) -> None:
        for s in streams:
            self.add(s)

    def _spill(self) -> None:
        if not self._buf:
            return
        self._buf.sort(key=_KEY)  # stable: ties stay in (stream, position) order
        f = tempfile.TemporaryFile(dir=self._tmpdir)  # unlinked at once: nothing left behind
        buf = self._buf
        for i in range(0, len(buf), BATCH):
            pickle.dump(buf[i:i + BATCH], f, protocol=pickle.HIGHEST_PROTOCOL)
        f.flush()
        self.packets += len(buf)
        self._runs.append(f)
        self._buf, self._bytes = [], 0

    def __iter__(self) -> Iterator[SimPacket]:
        """All packets in merge order; the run files are closed at the end."""
        tail, self._buf, self._bytes = self._buf, [], 0
        tail.sort(key=_KEY)
        self.packets += len(tail)
        runs, self._runs = self._runs, []
        try:
            sources = [_read_run(f) for f in runs] + [iter(tail)]
            for r in heapq.merge(*sources, key=_KEY):
                yield SimPacket(*r[1:])
        finally:
            for f in runs:
                f.close()

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs, self._buf = [], []


def _read_run(f: BinaryIO) -> Iterator[tuple]:
    f.seek(0)
    while True:
        try:
            batch = pickle.load(f)
        except EOFError:
            return
        yield from batch
