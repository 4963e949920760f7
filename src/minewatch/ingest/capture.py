"""A capture file or stream in, raw tables out, at memory speed.

The compiled path: frames are read in large blocks (`ingest.frames`: classic pcap as tcpdump
writes it, pcapng as Wireshark does), their headers parsed into columns (`decode.framescan`),
and every packet metered in one compiled connection table (`flows.conntable`). Only the packets
that could belong to a pool session, a TLS ClientHello, a DNS answer or a flow export reach the
Python decoders of `PacketIngest`, which make every decision about them exactly as when they
read a capture packet by packet (docs/design-notes.md, "Reading captures"); a settled pool
session (`ingest.handoff`) and a plain HTTP page fetch (`ingest.pagefetch`) are read in
compiled code, and handed to Python where it must read them.

Memory is bounded by the read block, one batch of packet rows and the live connections: rows
go to the caller's sink in blocks as they are made, never held for the whole capture.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch import memory, schema
from minewatch.decode import framescan as fs
from minewatch.decode.packet import Segment, decode_frame
from minewatch.decode.pcap import sniff
from minewatch.detect import steady
from minewatch.errors import DecodeError
from minewatch.flows import conntable as ct
from minewatch.ingest import process
from minewatch.ingest.fragments import FragmentRows
from minewatch.ingest.frames import BATCH, ClassicFrames, Frames, PcapngFrames
from minewatch.ingest.handoff import SteadyReader
from minewatch.ingest.packets import PacketIngest, Sink
from minewatch.ingest.pagefetch import PageReader

_NONE = np.zeros(0, np.int64)
EXPIRE_EVERY = 1 << 16  # packets between sweeps for idle flow records
HELLO_BLOCK = 1 << 13  # server names read by the compiled path, gathered before going to Arrow
TLS_COLUMNS = schema.column_names("tls_hellos")


def read_capture(f: BinaryIO, input_id: str, exporter: str,
                 advance: Callable[[int], None] = lambda n: None,
                 sink: Sink | None = None, steady: bool = True, pages: bool = True
                 ) -> tuple[dict, CaptureIngest, Frames]:
    """(tables, the ingest with its counters, the frame source with its framing state) of a
    pcap or pcapng stream. With a `sink`, large blocks of rows (flows, events, DNS answers,
    server names) go to it as they are made and the tables hold only the rest. `steady`
    False keeps every pool message in Python, `pages` False every page fetch (the tests
    compare both ways). Raises DecodeError/NeedMoreData for a bad or cut file header."""
    head = f.read(4)
    kind = sniff(head)
    if kind is None:
        raise DecodeError(f"not a pcap or pcapng file (magic {head.hex()})")
    frames = (ClassicFrames if kind == "pcap" else PcapngFrames)(f, head, advance)
    with process.COLLECTOR:
        ingest = CaptureIngest(input_id, exporter, sink, steady, pages)
        for buf, rows, n in frames:
            ingest.batch(buf, rows, n)
        return ingest.finish(), ingest, frames


@dataclass
class CaptureIngest:
    """The state of one capture on the compiled path: the connection table, the flow records
    it has ended, and the Python `PacketIngest` that inspects what is routed to it."""

    input_id: str
    exporter: str
    sink: Sink | None = None
    steady: bool = True  # settled pool sessions are read in compiled code (ingest.handoff)
    pages: bool = True  # page fetches are read in compiled code (ingest.pagefetch)

    def __post_init__(self) -> None:
        self.dpi = PacketIngest(self.input_id, exporter=self.exporter, sink=self.sink)
        self.reader = SteadyReader(self.input_id) if self.steady else None
        if self.reader is not None:
            self.dpi.ready = []
            self.dpi.on_close = lambda key: self.reader.closing(key, self.dpi)
        self.counters = self.dpi.counters
        self.pager = PageReader() if self.pages else None
        self.table = ct.ConnTable(ct.TableConfig(pages=self.pages))
        self.fragments = FragmentRows()
        self._ended = memory.zeros(BATCH, ct.ENDED)
        self._flows: list[pa.Table] = []
        self._pending: list[np.ndarray] = []  # ended records not yet made flow rows
        self._pending_rows = 0
        self.routed = 0  # packets handed to the Python decoders
        self._addresses = AddressText()
        self._unswept = 0  # packets since the last sweep for idle records
        self._hello_at = np.empty(HELLO_BLOCK, fs.PACKET)  # packet rows of server names...
        self._names: list[str] = []  # ...and the names, gathered over batches
        self._until = 0.0  # the latest time in the batch being read
        self._counts, self._times = np.zeros(4, np.int64), np.zeros(3)  # (batch_stats')

    def batch(self, buf: np.ndarray, rows: np.ndarray, n: int) -> None:
        """Meter and route rows[:n], whose frames are in buf and headers parsed (with the
        datagrams its IP fragments complete, `ingest.fragments`)."""
        merged = self.fragments.merge(buf, rows, n)
        if merged is None:
            self._batch(buf, rows, n)
        else:
            self._batch(*merged)

    def _batch(self, buf: np.ndarray, rows: np.ndarray, n: int, added=_NONE) -> None:
        """rows[:n] metered and routed; `added` (sorted) are the indices of those that are no
        frames of the capture but came of its IP fragments."""
        swept = False
        for ended in self.table.evict(n, self._ended):
            self._keep(ended)
            swept = True
        if swept:
            self._orphans()
        r = self.table.route(buf, rows, n, self._ended)
        self._keep(r.ended)
        self._count(rows[:n], r.slot, n - len(added))
        self._hellos(buf, rows, r.hellos)
        if self.reader is not None:
            self.reader.run(buf, rows[:n], r, (self.table, self.dpi))
        if self.pager is not None:
            self.pager.run(buf, rows[:n], r, self.table)
        self._dispatch(buf, rows, r, added)
        if self.pager is not None:
            self.pager.release()
        if (self.reader is not None and self.reader.touches) \
                or (self.pager is not None and self.pager.moved):
            self.dpi.sweep(self._now)  # time passed in packets Python did not see
        self._unswept += n
        if self._unswept >= EXPIRE_EVERY and self.dpi.first_ts is not None:
            self._unswept = 0
            for ended in self.table.expire(self._now, self._ended):
                self._keep(ended)
            self._orphans()

    def _orphans(self) -> None:
        """After a sweep: pool sessions and page fetches in compiled code whose connections it
        ended."""
        if self.reader is not None and self.reader.owners:
            self.reader.orphans(self.table, self.dpi)
        if self.pager is not None:
            self.pager.orphans(self.table, self.dpi, self._addresses.text)

    def finish(self) -> dict[str, pa.Table]:
        left = self.fragments.flush()
        if left is not None:
            self._batch(*left)
        self.counters.fragments_left = self.fragments.left
        # (the table counts copies as it meters; the reassembler, copies of fragments)
        self.counters.duplicates = self.table.duplicates + self.fragments.gather.repeats
        if self.reader is not None:
            self.reader.finish(self.dpi)
        if self.pager is not None:
            self.pager.finish(self.dpi, self._addresses.text)
        for ended in self.table.expire(float("inf"), self._ended):
            self._keep(ended)
        self._keep(0)
        self._hello_rows()
        flows = pa.concat_tables(self._flows) if self._flows else None
        return self.dpi.finish(flows if flows is not None else _flow_table(
            np.zeros(0, ct.ENDED), self.exporter, self.input_id))

    def _count(self, rows: np.ndarray, slots: np.ndarray, frames: int) -> None:
        c, dpi, counts, times = self.counters, self.dpi, self._counts, self._times
        ct.batch_stats(rows, slots, counts, times)
        non_ip, cut, longest, ok = counts.tolist()
        c.packets += frames
        c.non_ip += non_ip
        if cut:
            c.cut(cut, longest)
        if ok:
            first, latest, last = times.tolist()
            if dpi.first_ts is None:
                dpi.first_ts = first
            dpi.last_ts = max(dpi.last_ts, latest)
            self._now = last

    def _hellos(self, buf: np.ndarray, rows: np.ndarray, hellos: np.ndarray) -> None:
        """TLS server names read by the compiled path, gathered over batches (a batch of web
        traffic holds a few dozen; building Arrow columns for each cost a fifth of the isp
        capture's time) and written as the Python decoder writes them. Their packet rows are
        copied into one array as they come: joining a list of small structured arrays at the
        end cost numpy a field promotion per piece."""
        if not len(hellos):
            return
        names = [buf[off:off + n].tobytes().decode("ascii").lower().rstrip(".")
                 for off, n in zip(hellos["off"].tolist(), hellos["len"].tolist())]
        keep = np.array([bool(name) for name in names])
        picked, names = rows[hellos["row"][keep]], [name for name in names if name]
        room = self._hello_at
        if len(self._names) + len(picked) > len(room):
            self._hello_rows()
        if len(picked) > len(room):  # (more in one batch than a block: written at once)
            self._hello_table(picked, names)
            return
        room[len(self._names):len(self._names) + len(picked)] = picked
        self._names += names
        if len(self._names) >= HELLO_BLOCK:
            self._hello_rows()

    def _hello_rows(self) -> None:
        """The gathered server names to tls_hellos rows, one Arrow block."""
        if self._names:
            names, self._names = self._names, []
            self._hello_table(self._hello_at[:len(names)], names)

    def _hello_table(self, r: np.ndarray, names: list[str]) -> None:
        self.dpi.tls_rows.add_table(pa.table({
            "ts": r["ts"].copy(), "input_id": [self.input_id] * len(r), "sni": names,
            "client_ip": ip_texts(r["ver"], r["src_hi"], r["src_lo"]),
            "client_port": r["sport"].astype(np.int64),
            "server_ip": ip_texts(r["ver"], r["dst_hi"], r["dst_lo"]),
            "server_port": r["dport"].astype(np.int64),
            "proxy": pa.nulls(len(r), pa.string())}).select(TLS_COLUMNS))

    def _dispatch(self, buf: np.ndarray, rows: np.ndarray, r: ct.Routes,
                  added: np.ndarray) -> None:
        """The routed packets through the Python decoders, in capture order. A pool session
        that settles on the way moves to compiled code at once: its later packets in the
        batch are read there after this pass (`_read_deferred`)."""
        idx = np.flatnonzero(r.route)
        self.routed += len(idx)
        first = self.counters.packets - len(r.route) + len(added) + 1
        skip, dpi, sel, ready = set(), self.dpi, rows[idx], {}
        fast, deferred = {}, []  # slots handed over in this batch (their keys), later rows
        # a session handed over mid-batch has its later packets read after this pass, so no
        # packet read before them may end its connection: the batch must end within the
        # reassembler's idle timeout
        self._until = float(rows["ts"][:len(r.route)].max()) if len(r.route) else 0.0
        touches = self.reader.touches if self.reader is not None else []
        adopts = self.pager.adopts if self.pager is not None else {}
        sides = ct.client_side(sel, self.table.slots, r.slot[idx])
        t = 0
        for k, (i, where, slot, seg, side) in enumerate(zip(
                idx.tolist(), r.route[idx].tolist(), r.slot[idx].tolist(),
                self._segments(buf, sel), sides)):
            while t < len(touches) and touches[t][0] < i:  # packets read in compiled code
                dpi.tcp.touch(touches[t][1], touches[t][2])
                t += 1
            if where == ct.DPI:
                if i in adopts:  # a page fetch Python takes over from compiled code here
                    self.pager.adopt(adopts[i], dpi, self._addresses.text, seg.ts)
                self._read_routed(i, slot, seg, (fast, deferred, skip, ready), side)
            elif where == ct.DNS:
                dpi.dns(seg)
            elif where == ct.EXPORT:
                dpi.export(seg)
            else:  # a frame the compiled parser could not read: decode_frame says why
                number = first + i - int(np.searchsorted(added, i, side="right"))
                self.counters.error(f"packet {number}: {_why(buf, sel[k])}")
        for _, key, ts in touches[t:]:
            dpi.tcp.touch(key, ts)
        if deferred:
            self._read_deferred(buf, rows, r, (deferred, skip, ready))
        self.table.ignore(sorted(skip))
        for key, (slot, st) in ready.items():  # settled but left waiting (see _settled)
            self._hand_off(key, st, slot, skip)

    def _read_routed(self, i: int, slot: int, seg: Segment, marks: tuple,
                     side: int = -1) -> None:
        """Row i, routed to DPI, through the Python decoders, unless its session moved to
        compiled code earlier in this round: then it waits for the next round (`deferred`).
        A session it settles moves at once (`fast`); marks = (fast, deferred, skip, ready);
        `side`: whether the row's sender is its connection's client (ct.client_side)."""
        fast, deferred, skip, ready = marks
        if slot in fast:
            deferred.append(i)
            self._defer(fast, slot, seg)
            return
        self._inspect(seg, slot, skip, side)
        if self.dpi.ready:
            fast.update(self._settled(seg, slot, (skip, ready)))

    def _inspect(self, seg: Segment, slot: int, skip: set, side: int) -> None:
        """seg through the Python decoders; its slot joins `skip` if they stopped reading it."""
        if slot not in skip and any(_same(key, seg) for key in self.dpi.inspect(seg, side)):
            skip.add(slot)

    def _hand_off(self, key, st, slot: int, skip: set) -> bool:
        """Move a ready session to compiled code if it is still the connection's and ready."""
        return slot not in skip and self.dpi.conns.get(key) is st \
            and st.session.steady_ready() \
            and self.reader.hand_off(key, st.session, slot, (self.table, self.dpi))

    def _settled(self, seg: Segment, slot: int, marks: tuple[set, dict]) -> dict:
        """Hand over the pool session of seg's connection if the packet settled it: {slot:
        key} when it now goes on in compiled code; else it waits in `ready` for the end of the
        batch."""
        (skip, ready), dpi, handed = marks, self.dpi, {}
        soon = self._until - seg.ts < steady.IDLE_S
        for key, st in dpi.ready:
            if not _same(key, seg):
                continue
            if soon and self._hand_off(key, st, slot, skip):
                handed[slot] = key
            else:
                ready[key] = (slot, st)
        dpi.ready.clear()
        return handed

    def _defer(self, fast: dict, slot: int, seg: Segment) -> None:
        """A packet of a session handed over in this batch, read after this pass: it counts
        as activity now (the reassembler's idle sweep relies on the order of activity),
        unless it comes after a pause the reassembler would end the connection for; then
        the compiled reader hands it back, and the connection's later packets wait too."""
        key = fast[slot]
        conn = self.dpi.tcp.open_connection(key) if key is not None else None
        if conn is None or seg.ts - conn.last_ts > steady.IDLE_S:
            fast[slot] = None
            return
        self.dpi.tcp.touch(key, seg.ts)

    def _read_deferred(self, buf: np.ndarray, rows: np.ndarray, r: ct.Routes, work) -> None:
        """Read in compiled code the rows of sessions handed over during this batch, then in
        Python (in order) those it hands back. A session that settles again on the way moves
        again at once, its later rows read in the next round, until no row is left (each
        round reads at least the row that made a session hand back)."""
        deferred, skip, ready = work
        dpi = self.dpi
        while deferred:
            route = np.zeros(len(r.route), np.uint8)
            route[deferred] = ct.TO_STEADY
            self.reader.run(buf, rows[:len(route)], ct.Routes(route, r.slot, r.hellos),
                            (self.table, dpi))  # (its touches were made in order, by _defer)
            back = np.flatnonzero(route == ct.DPI)
            self.routed -= len(deferred) - len(back)
            fast, deferred = {}, []
            for i, slot, seg in zip(back.tolist(), r.slot[back].tolist(),
                                    self._segments(buf, rows[back])):
                self._read_routed(i, slot, seg, (fast, deferred, skip, ready))

    def _segments(self, buf: np.ndarray, sel: np.ndarray) -> Iterator[Segment | None]:
        """The rows as the Segments decode_frame would make of their frames."""
        text = self._addresses.text
        cols = [sel[name].tolist() for name in (
            "status", "ts", "ver", "src_hi", "src_lo", "dst_hi", "dst_lo", "proto", "sport",
            "dport", "flags", "seq", "ack", "pl_off", "pl_len", "ip_len", "mark")]
        for (status, ts, ver, shi, slo, dhi, dlo, proto, sport, dport, flags, seq, ack, off, n,
             ip_len, mark) in zip(*cols):
            if status != fs.OK:
                yield None
                continue
            yield Segment(ts, text(ver, shi, slo), text(ver, dhi, dlo), proto, sport, dport,
                          flags, seq, ack, buf[off:off + n].tobytes(), ip_len, mark)

    def _keep(self, ended: int) -> None:
        """Ended records, gathered and turned into flow rows a large block at a time."""
        if ended:
            self._pending.append(self._ended[:ended].copy())
            self._pending_rows += ended
        if self._pending_rows >= BATCH or (not ended and self._pending):
            block = _flow_table(np.concatenate(self._pending), self.exporter, self.input_id)
            self._pending, self._pending_rows = [], 0
            if self.sink is not None and block.num_rows >= BATCH:
                self.sink("flows", block)
            else:
                self._flows.append(block)


def _why(buf: np.ndarray, row) -> str:
    """decode_frame's reason for rejecting a frame (one source for error messages)."""
    data = buf[row["off"]:row["off"] + row["caplen"]].tobytes()
    try:
        decode_frame(int(row["linktype"]), data, float(row["ts"]))
    except DecodeError as exc:
        return str(exc)
    return "undecodable frame"  # the compiled parser and decode_frame disagree


class AddressText:
    """Address columns to the text decode_frame writes, remembered (a capture repeats them)."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self._known: dict[int | tuple[int, int], str] = {}

    def text(self, ver: int, hi: int, lo: int) -> str:
        key = lo if ver == 4 else (hi, lo)  # an int for IPv4, a pair for IPv6: never equal
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            found = self._known[key] = _address(ver, hi, lo)
        return found


def _address(ver: int, hi: int, lo: int) -> str:
    if ver == 4:
        return socket.inet_ntoa(lo.to_bytes(4, "big"))
    return ipaddress.IPv6Address((hi << 64) | lo).compressed


def _same(key, seg) -> bool:
    """Whether a ConnKey is the connection of seg."""
    return (key.client_ip, key.client_port, key.server_ip, key.server_port) in (
        (seg.src, seg.sport, seg.dst, seg.dport), (seg.dst, seg.dport, seg.src, seg.sport))


def _flow_table(e: np.ndarray, exporter: str, input_id: str) -> pa.Table:
    """Ended records as rows of the flows table (what FlowMeter's rows hold)."""
    n = len(e)
    return pa.table({
        "ts_start": e["start"], "ts_end": e["end"],
        "src_ip": ip_texts(e["ver"], e["src_hi"], e["src_lo"]), "src_port": e["sport"].astype(np.int64),
        "dst_ip": ip_texts(e["ver"], e["dst_hi"], e["dst_lo"]), "dst_port": e["dport"].astype(np.int64),
        "proto": e["proto"].astype(np.int64), "packets": e["packets"], "bytes": e["bytes"],
        "tcp_flags": e["flags"].astype(np.int64), "psh_packets": e["psh"],
        "bytes_sq": e["bytes_sq"], "gap_sq": e["gap_sq"], "gap_max": e["gap_max"],
        "tls_packets": e["tls"],
        "sampling_rate": np.ones(n, np.int64),
        "exporter": [exporter] * n, "source": ["pcap"] * n, "input_id": [input_id] * n,
    }, schema=schema.arrow_schema("flows"))


def ip_texts(ver: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> pa.Array:
    """Address text of (version, high 64 bits, low 64 bits) columns: dotted quads for IPv4
    (vectorised), ipaddress's compressed form for IPv6 (as decode_frame writes them)."""
    octets = [pa.array(((lo >> np.uint64(s)) & np.uint64(255)).astype(np.uint8)).cast(pa.string())
              for s in (24, 16, 8, 0)]
    text = pc.binary_join_element_wise(*octets, ".")
    v6 = np.flatnonzero(ver == 6)
    if not len(v6):
        return text
    texts = text.to_pylist()
    for j in v6.tolist():
        texts[j] = ipaddress.IPv6Address((int(hi[j]) << 64) | int(lo[j])).compressed
    return pa.array(texts, pa.string())
