"""Frame sources for the compiled capture path: a pcap or pcapng stream in, batches of frames
out as (buffer, rows) with each row's timestamp, offset, lengths, link type and parsed headers
filled (`decode.framescan.PACKET`).

Both read the stream into one buffer a block at a time (stdin works: nothing seeks) and let a
compiled walker (`decode.framescan`) find the records. For pcapng the walker takes the packet
blocks; section headers, interface descriptions and every other block go through `pcap`'s own
`_Section`, so the two readers cannot disagree on what a block means. Damage is reported as
`PcapReader` reports it: `.truncated`, `.skipped`, `.error`.
"""

from __future__ import annotations

import os
import queue
import stat
import struct
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from minewatch import memory
from minewatch.decode import framescan as fs
from minewatch.decode import pcap
from minewatch.errors import DecodeError, NeedMoreData
from minewatch.ingest import process

BATCH = 1 << 16  # packet rows per compiled pass
READ = 4 << 20  # bytes read at a time: small enough to be walked while still in the L3 cache
RESERVE = 1 << 18  # room in front of a block for the record the block before cut (snaplen 256 kB)
BUFFERS = 2  # the block being handled and the one being read (a third cost 15% a GB: cache)
_EXACT = 2**53  # interface clocks beyond this go through the Python reader (float precision)


class Frames(ABC):
    """A source of frame batches: iterate for (buffer, rows, rows filled).

    A thread reads the stream a block at a time into a few buffers while the caller walks and
    handles the block before: the copy out of the page cache overlaps the caller's work
    instead of preceding it. The walk runs in the caller's thread, so the rows it writes are
    in the cache of the core that meters them (walked on the reading thread, each block's
    rows crossed from one core to the other: 0.252 s against 0.236 s a GB on isp, see the
    design notes). The caller must be done with a block's batches before it iterates on."""

    format = ""

    def __init__(self, f: BinaryIO, advance: Callable[[int], None], chunk: int | None = None):
        self._f, self.chunk = f, chunk or READ  # (READ read now: tests change it)
        self.advance, self.packets = advance, 0
        self.truncated, self.skipped, self.error = False, 0, None
        self._tail = np.empty(0, np.uint8)  # the unwalked end of the last block
        # row arrays, reused block after block (the caller is done with a block's batches
        # before the next is walked, in its own thread), and how many the block has taken
        self._pool: list[np.ndarray] = []
        self._taken = 0

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        with ReadAhead(self._f, self.chunk, RESERVE) as blocks:
            for buf, got in blocks:
                self.advance(got)
                if (yield from self._block(buf, got)) is None:
                    return
                blocks.release(buf)
        self.truncated = len(self._tail) > 0

    def _block(self, buf: np.ndarray, got: int):
        """Yield the batches of the block just read (with the end of the one before in front
        of it); return where its whole records end, None when the framing is lost."""
        self._taken = 0
        view = _behind(self._tail, buf, got)
        pos = yield from self._walk(view, len(view))
        if pos is not None:
            self._tail = view[pos:].copy()
        return pos

    def _fresh(self) -> np.ndarray:
        """Rows for the next batch of the block being walked (kept with its buffer)."""
        if self._taken == len(self._pool):
            self._pool.append(memory.zeros(BATCH, fs.PACKET))
        self._taken += 1
        return self._pool[self._taken - 1]

    @abstractmethod
    def _walk(self, buf: np.ndarray, have: int):
        """Yield batches (buf, rows, n) of the whole records in buf[:have]; return where they
        end (None after damage that loses the framing)."""

    def _stop(self, why: str) -> None:
        self.error, self.skipped = why, self.skipped + 1


class ClassicFrames(Frames):
    """Classic pcap."""

    format = "pcap"

    def __init__(self, f: BinaryIO, head: bytes, advance: Callable[[int], None],
                 chunk: int | None = None):
        super().__init__(f, advance, chunk)
        header = head + f.read(24 - len(head))
        if len(header) < 24:
            raise NeedMoreData("pcap file header cut short")
        self._layout = pcap.pcap_layout(header)
        self.linktype = self._layout[2]

    def _walk(self, buf: np.ndarray, have: int):
        pos, rows = 0, None
        while True:
            rows = self._fresh() if rows is None else rows
            n, at, why = fs.walk_pcap(buf, pos, have, self._layout, rows, 0)
            self.packets += n
            if n:
                yield buf, rows, n
                rows = None
            if why == fs.BAD_LENGTH:
                caplen = int.from_bytes(buf[at + 8:at + 12].tobytes(),
                                        "big" if self._layout[0] else "little")
                self._stop(f"record length {caplen} at packet {self.packets + 1}")
                return None
            if why == fs.NEED_MORE:
                return at
            pos = at  # (FULL: the block's next batch)


class PcapngFrames(Frames):
    """pcapng: packet blocks by the compiled walker, every other block by pcap._Section."""

    format = "pcapng"

    def __init__(self, f: BinaryIO, head: bytes, advance: Callable[[int], None],
                 chunk: int | None = None):
        super().__init__(_Prefixed(head, f), advance, chunk)
        self._section: pcap._Section | None = None
        self._state = np.zeros(3)  # big-endian, last timestamp, blocks skipped (framescan's)
        self._ifaces = np.zeros((0, 4))
        self._compiled = True  # False while an interface's clock needs Python's exact ints

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        yield from super().__iter__()
        self.skipped += int(self._state[2])  # damaged packet blocks the walker passed over
        self._state[2] = 0

    def _walk(self, buf: np.ndarray, have: int):
        pos, rows = 0, None
        while True:
            if self._section is not None and self._compiled:
                rows = self._fresh() if rows is None else rows
                n, pos, why = fs.walk_pcapng(buf, (pos, have), self._state, self._ifaces,
                                             rows, 0)
                self.packets += n
                if n:
                    yield buf, rows, n
                    rows = None
                if why == fs.FULL:
                    continue
                if why == fs.NEED_MORE:
                    return pos
            step = yield from self._python_block(buf, pos, have)
            if step is None:
                return None if self.error else pos
            pos = step

    def _python_block(self, buf: np.ndarray, pos: int, have: int):
        """The block at pos read by pcap._Section (a packet in it yielded as a batch of one);
        the position after it, or None when more bytes are needed or the framing is lost."""
        if have - pos < 12:
            return None
        length = self._block_length(buf[pos:pos + 12].tobytes())
        if length is None or have - pos < length:
            return None
        block = buf[pos:pos + length].tobytes()
        section = self._section
        section.last_ts = self._state[1]
        btype = section.head.unpack_from(block)[0]
        try:
            if section.u32.unpack_from(block, length - 4)[0] != length:
                raise ValueError("trailing length disagrees")
            raw = section.block(btype, block, 8, length - 4)
        except (ValueError, IndexError, struct.error, DecodeError):
            self.skipped, raw = self.skipped + 1, None
        self._state[1] = section.last_ts
        if btype == pcap.IDB_TYPE:
            self._interfaces()
        if raw is not None:
            self.packets += 1
            yield from self._one(raw)
        return pos + length

    def _block_length(self, head: bytes) -> int | None:
        """PcapReader._block_length: a section header starts a new section."""
        if head[:4] == pcap._SHB_HEAD:
            order = pcap._BOMS.get(head[8:12])
            if order is None:
                self._stop("section header with a bad byte-order magic")
                return None
            self._section = pcap._Section(order)
            self.skipped += int(self._state[2])
            self._state[:] = (order == ">", 0.0, 0)
            self._interfaces()
        elif self._section is None:
            self._stop("pcapng data before any section header")
            return None
        length = self._section.head.unpack_from(head)[1]
        if length < 12 or length % 4 or length > pcap.MAX_BLOCK:
            self._stop(f"block length {length} after packet {self.packets}")
            return None
        return length

    def _interfaces(self) -> None:
        found = self._section.interfaces
        self._ifaces = np.array([(i.linktype, i.units, i.offset, i.snaplen) for i in found],
                                dtype=np.float64).reshape(len(found), 4)
        self._compiled = all(i.units < _EXACT and abs(i.offset) < _EXACT for i in found)

    def _one(self, raw: pcap.RawPacket):
        rows = np.zeros(1, fs.PACKET)
        row = rows[0]
        row["ts"], row["off"], row["caplen"] = raw.ts, 0, len(raw.data)
        row["wirelen"], row["linktype"] = raw.wirelen, raw.linktype
        buf = np.frombuffer(raw.data or b"\0", np.uint8)
        fs.parse_frames(buf, rows, 0, 1)
        yield buf, rows, 1


class _Prefixed:
    """A stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, f: BinaryIO):
        self._head, self._f = head, f

    def readinto(self, view) -> int:
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._f.readinto(view)


class ReadAhead:
    """A stream read by a daemon thread into BUFFERS buffers, `chunk` bytes at a time after
    `reserve` free bytes: iterate for (buffer, bytes read) and `release` each buffer when done
    with it, so the reader is never more than BUFFERS blocks ahead. The stream ends at the
    first short block; an error in the reader is raised in the iterating thread; leaving the
    iteration early stops the reader."""

    def __init__(self, f, chunk: int, reserve: int) -> None:
        self._f, self._chunk, self._reserve = f, chunk, reserve
        self._out: queue.SimpleQueue = queue.SimpleQueue()
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(BUFFERS):
            self._free.put(memory.zeros(reserve + chunk, np.uint8))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="minewatch-read", daemon=True)

    def __enter__(self) -> ReadAhead:
        process.SWITCH.enter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._free.put(None)  # wakes a reader waiting for a buffer
        if _cannot_block(self._f):
            self._thread.join()  # (one blocked on a pipe would wait for the writer)
        process.SWITCH.leave()

    def __iter__(self) -> Iterator[tuple[np.ndarray, int]]:
        while True:
            item = self._out.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if item[1] < self._chunk:
                return

    def release(self, buf: np.ndarray) -> None:
        self._free.put(buf)

    def _read(self) -> None:
        while (buf := self._take()) is not None:
            try:
                got = _fill(self._f, buf[self._reserve:])
            except BaseException as exc:  # noqa: BLE001 - raised again in the iterating thread
                self._out.put(exc)
                return
            self._out.put((buf, got))
            if got < self._chunk:
                return

    def _take(self) -> np.ndarray | None:
        buf = self._free.get()  # (None once the caller has left: see __exit__)
        return None if self._stop.is_set() else buf


def _cannot_block(f) -> bool:
    """Whether reading f never waits for a writer: a file on disk or in memory (joining a
    reader blocked on a pipe or a terminal would wait for its writer)."""
    f = getattr(f, "_f", f)  # under _Prefixed
    try:
        fd = f.fileno()
    except (AttributeError, OSError, ValueError):
        return True  # no descriptor: in memory
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        return False


def _behind(tail: np.ndarray, buf: np.ndarray, got: int) -> np.ndarray:
    """The block buf[RESERVE:RESERVE + got] with tail in front of it, in place when the tail
    fits the reserve (a record longer than that is joined by a copy)."""
    start = RESERVE - len(tail)
    if start < 0:
        return np.concatenate([tail, buf[RESERVE:RESERVE + got]])
    buf[start:RESERVE] = tail
    return buf[start:RESERVE + got]


def _fill(f, view: np.ndarray) -> int:
    """Read into view until it is full or the stream ends; bytes read."""
    mv, have = memoryview(view), 0
    while have < len(mv):
        got = f.readinto(mv[have:])
        if not got:
            break
        have += got
    return have
