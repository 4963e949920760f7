"""TCP reassembly that survives real captures: loss, reordering, retransmission, overlap,
sequence wraparound, captures that start mid-session, and capture drops that never heal.

`StreamReassembler` orders one direction's bytes. `TcpConnectionTable` pairs directions into
connections, decides which side is the client, and turns Segments into events: data chunks
`(ConnKey, 'up' | 'down', ts, bytes)` ('up' = sent by the client) and `ConnClosed` when a
connection ends (FIN both ways, RST, idle timeout, eviction, port reuse, flush).

A RST ends a connection rst_grace s of capture time after it, not at once: the other side's
bytes already in flight when it was sent reach a tap after it (a pool's last job crossing a
miner's reset), and they continue that side's stream. The RST's sender says nothing more.

Which side is the client:
1. a SYN without ACK was sent by the client; a SYN+ACK was sent to it (also when the caller
   read the handshake and this table sees the connection only from a later segment: `add`'s
   `client`);
2. without a SYN seen, the side on the more "service-like" port is the server: ports below 1024
   first, then the well-known service and mining-pool ports of SERVICE_PORTS, then any other;
3. between two ports of the same kind, the higher (ephemeral) port is the client's;
4. equal ports: the sender of the first segment seen is taken as the client.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from minewatch.decode.packet import ACK, FIN, RST, SYN, TCP_PROTO, Segment

_MOD, _HALF = 1 << 32, 1 << 31
_START = itemgetter(0)

# Registered ports that are almost always the server side: proxies, databases, P2P and the
# usual mining-pool ports. A tie between two such ports falls back to the higher-port rule.
SERVICE_PORTS = frozenset({
    1080, 1433, 1521, 2375, 3128, 3306, 3333, 3334, 3335, 3336, 3389, 4444, 5432, 5555, 5900,
    6379, 6666, 7777, 8000, 8008, 8080, 8332, 8333, 8443, 8888, 9000, 9050, 9332, 9333, 9999,
    14433, 14444, 20535, 20580, 34254, 45560, 45700,
})  # (34254: Stratum V2 pools', the port of its specification's pool URL)


class StreamReassembler:
    """One direction of a TCP connection: segments in any order, contiguous bytes out once.

    The first data-bearing segment (or SYN) seen anchors the stream: bytes before it are never
    delivered. Overlapping data keeps the bytes seen first. Out-of-order data waits in a buffer
    of at most `limit` bytes; when that overflows, or the oldest waiting data is older than
    `max_wait` s of capture time, or the receiver acknowledges the hole (`acked`: the capture
    dropped it), or on flush(), the hole before it is given up on: counted in
    `.gaps` / `.gap_bytes`, and delivery continues after it: an empty chunk marks the hole (the
    chunk after it does not follow the one before), so a reader can resynchronise there.
    """

    __slots__ = ("limit", "max_wait", "gaps", "gap_bytes", "delivered", "fin_at", "_next",
                 "_pending", "_buffered", "_waiting_since")

    def __init__(self, limit: int = 1 << 20, max_wait: float | None = None):
        self.limit, self.max_wait = limit, max_wait
        self.gaps = self.gap_bytes = self.delivered = 0
        self.fin_at: int | None = None  # stream offset of the FIN, once seen
        self._next: int | None = None  # next byte expected, in unwrapped sequence space
        self._pending: list[tuple[int, bytes, float]] = []  # (start, data, ts), disjoint, sorted
        self._buffered = 0
        self._waiting_since = 0.0

    @property
    def finished(self) -> bool:
        """A FIN was seen and every byte before it has been delivered."""
        return self.fin_at is not None and self._next is not None and self._next >= self.fin_at

    @property
    def position(self) -> int | None:
        """The next byte expected (unwrapped sequence space); None before the stream starts."""
        return self._next

    @property
    def settled(self) -> bool:
        """Started, in order, nothing waiting and no FIN: its position is all there is to it."""
        return self._next is not None and not self._pending and self.fin_at is None

    def read_elsewhere(self, n: int) -> None:
        """The next n bytes were read by another reader (the compiled pool reader)."""
        self._next += n
        self.delivered += n

    def add(self, seq: int, payload: bytes, ts: float, syn: bool = False,
            fin: bool = False) -> list[tuple[float, bytes]]:
        """(ts, bytes) chunks this segment made contiguous; ts is this segment's, or each
        piece's own arrival after a hole given up on."""
        if syn:
            seq += 1  # the SYN itself takes one sequence number
        if self._next is None:
            # pure ACKs do not anchor: a keep-alive sits one byte before the stream position
            if not (payload or syn or fin):
                return []
            self._next = seq & (_MOD - 1)
        start = self._unwrap(seq)
        if fin:
            self.fin_at = start + len(payload)
        out = self._accept(start, payload, ts) if payload else []
        if self._pending and self.max_wait is not None and ts - self._waiting_since > self.max_wait:
            out += self._skip_gap(ts)
        return out

    def acked(self, ack: int, ts: float) -> list[tuple[float, bytes]]:
        """The receiver acknowledged every byte before `ack` (its 32-bit ACK number): a hole
        that lies wholly before it was received, so the capture dropped it and it will never
        fill. Give up on such holes now, not after max_wait: meanwhile the other direction
        (the replies to what waits here) would be delivered ahead of what it answers."""
        out: list[tuple[float, bytes]] = []
        if self._pending and self._next is not None:
            upto, last = self._unwrap(ack), self._pending[-1]
            if upto > last[0] + len(last[1]) + self.limit:
                return out  # far beyond anything seen: not a number to trust (ack 0, garbage)
            while self._pending and self._pending[0][0] <= upto:
                out += self._skip_gap(ts)
        return out

    def flush(self) -> list[tuple[float, bytes]]:
        """Deliver everything buffered, skipping the holes; each piece at its arrival time."""
        out = []
        while self._pending:
            out += self._skip_gap(None)
        return out

    def _unwrap(self, seq: int) -> int:
        """The 32-bit seq as the nearest position to the next expected byte (wraparound)."""
        delta = (seq - self._next) % _MOD
        return self._next + (delta - _MOD if delta >= _HALF else delta)

    def _accept(self, start: int, data: bytes, ts: float) -> list[tuple[float, bytes]]:
        nxt = self._next
        if start + len(data) <= nxt:
            return []  # a retransmission of delivered bytes
        if start < nxt:
            data, start = data[nxt - start:], nxt
        if start == nxt and not self._pending:  # the common case: in order, nothing waiting
            self._next, self.delivered = nxt + len(data), self.delivered + len(data)
            return [(ts, data)]
        if not self._pending:
            self._waiting_since = ts
        self._insert(start, data, ts)
        out = self._drain(ts)
        while self._buffered > self.limit:
            out += self._skip_gap(ts)
        return out

    def _insert(self, start: int, data: bytes, ts: float) -> None:
        """Buffer the parts of data that no buffered piece covers yet (first seen wins)."""
        pieces, base, end = self._pending, start, start + len(data)
        i = bisect_left(pieces, start, key=_START)
        if i and pieces[i - 1][0] + len(pieces[i - 1][1]) > start:
            start = pieces[i - 1][0] + len(pieces[i - 1][1])
        fresh = []
        while start < end:
            if i < len(pieces) and pieces[i][0] <= start:  # covered: hop over that piece
                start, i = max(start, pieces[i][0] + len(pieces[i][1])), i + 1
                continue
            cut = min(pieces[i][0], end) if i < len(pieces) else end
            fresh.append((start, data[start - base:cut - base], ts))
            start = cut
        for piece in fresh:
            insort(pieces, piece, key=_START)
            self._buffered += len(piece[1])

    def _drain(self, ts: float | None) -> list[tuple[float, bytes]]:
        """Deliver the buffered pieces that now follow on, at ts (the segment that made them
        follow on), or at None each at its own arrival: after a hole is given up on, whose
        timing depends on which packets a reader was shown (bare ACKs or not)."""
        pieces, nxt, taken = self._pending, self._next, 0
        while taken < len(pieces) and pieces[taken][0] == nxt:
            nxt += len(pieces[taken][1])
            taken += 1
        if not taken:
            return []
        run = pieces[:taken]
        del pieces[:taken]
        size = nxt - self._next
        self._next, self._buffered = nxt, self._buffered - size
        self.delivered += size
        if ts is not None:
            return [(ts, b"".join(p[1] for p in run))]
        out: list[tuple[float, bytes]] = []
        for _, data, when in run:
            if out and out[-1][0] == when:
                out[-1] = (when, out[-1][1] + data)
            else:
                out.append((when, data))
        return out

    def _skip_gap(self, ts: float | None) -> list[tuple[float, bytes]]:
        """Give up on the hole before the first buffered piece and deliver what follows it,
        after an empty chunk that marks the hole."""
        gap = self._pending[0][0] - self._next
        self.gaps, self.gap_bytes = self.gaps + 1, self.gap_bytes + gap
        self._next = self._pending[0][0]
        out = self._drain(None)
        if ts is not None:
            self._waiting_since = ts
        return [(out[0][0], b"")] + out


class ConnKey(NamedTuple):
    """A connection, client side first. A NamedTuple, not a dataclass, because it is hashed on
    every packet and must equal the plain (ip, port, ip, port) tuple it is looked up with."""

    client_ip: str
    client_port: int
    server_ip: str
    server_port: int


@dataclass(frozen=True, slots=True)
class ConnClosed:
    key: ConnKey
    ts: float  # the segment that closed it, or the last one seen (idle, evicted, flush)
    reason: str  # fin, rst, idle, evicted, reused, flush
    bytes_up: int  # payload bytes delivered client -> server
    bytes_down: int
    gaps: int  # holes given up on, both directions
    gap_bytes: int


StreamData = tuple[ConnKey, str, float, bytes]  # (key, 'up' | 'down', ts, payload bytes)
Event = StreamData | ConnClosed


@dataclass(frozen=True, slots=True)
class TcpConfig:
    idle_timeout: float = 300.0  # s of capture time without a segment before a connection ends
    buffer_limit: int = 1 << 20  # out-of-order bytes buffered per direction
    max_wait: float = 30.0  # s out-of-order data waits for a hole to fill (capture drops)
    max_connections: int = 500_000  # the least recently active one is evicted beyond this
    sweep_interval: float = 1.0  # s of capture time between idle sweeps
    rst_grace: float = 1.0  # s after a RST the other side's data in flight is still read


class _Connection:
    __slots__ = ("key", "up", "down", "last_ts", "isn", "closed", "reset")

    def __init__(self, key: ConnKey, config: TcpConfig, isn: int | None):
        self.key, self.last_ts, self.isn, self.closed = key, 0.0, isn, False
        self.reset: tuple[float, bool] | None = None  # (ts, sent by the client) of a RST
        self.up = StreamReassembler(config.buffer_limit, config.max_wait)
        self.down = StreamReassembler(config.buffer_limit, config.max_wait)


def client_is_source(seg: Segment) -> bool:
    """Whether seg was sent by its connection's client (see the module docstring)."""
    if seg.flags & SYN:
        return not seg.flags & ACK
    src_rank, dst_rank = _port_rank(seg.sport), _port_rank(seg.dport)
    if src_rank != dst_rank:
        return src_rank > dst_rank
    return seg.sport >= seg.dport


def _port_rank(port: int) -> int:
    """0 for well-known ports, 1 for registered service ports, 2 for anything else."""
    if port < 1024:
        return 0
    return 1 if port in SERVICE_PORTS else 2


class TcpConnectionTable:
    """Every TCP connection of a capture, in least-recently-active order (for cheap expiry).

    A connection closed by FIN or RST stays in the table, closed, until it has been idle for
    idle_timeout: the retransmissions and late ACKs that follow a close are absorbed there
    instead of opening a phantom connection. A SYN with a new initial sequence number on the
    same ports starts a new connection. A connection reset is closed (reason rst, at the RST's
    time) once rst_grace has passed: at the first segment or sweep after it.
    """

    def __init__(self, config: TcpConfig = TcpConfig()):
        self.config = config
        self._conns: dict[ConnKey, _Connection] = {}
        self._next_sweep = float("-inf")
        self._resets: dict[ConnKey, float] = {}  # connections reset -> when they end
        self.opened = self.closed = 0
        self.strays = 0  # segments of no open connection: after a close, or ACKs never paired

    def __len__(self) -> int:
        return len(self._conns)

    def add(self, seg: Segment, client: int = -1) -> list[Event]:
        """Events caused by one segment (and by idle connections it shows have expired).
        `client`: 1 if seg's sender is the client, 0 if the server, as a handshake read
        elsewhere showed (-1: unknown, the segment and its ports tell)."""
        if seg.proto != TCP_PROTO:
            return []
        events = self.expire(seg.ts) if seg.ts >= self._next_sweep else []
        if self._resets:
            events += self._end_resets(seg.ts)
        conn, up = self._find(seg)
        if conn is not None and seg.flags & SYN and not seg.flags & ACK and conn.isn != seg.seq:
            if not conn.closed:
                events += self._end(conn, "reused", conn.last_ts)
            conn = None  # the ports were reused by a new connection
        if conn is None:
            conn = self._open(seg, client)
            if conn is None:
                self.strays += 1
                return events
            up = conn.key.client_ip == seg.src and conn.key.client_port == seg.sport
            if len(self._conns) >= self.config.max_connections:
                events += self._remove_oldest("evicted")
        conn.last_ts = seg.ts
        self._conns[conn.key] = conn  # (re)inserted last: the dict stays in activity order
        if conn.closed or (conn.reset is not None and conn.reset[1] == up):
            self.strays += 1  # (after a RST its sender sends nothing the other side reads)
            return events
        return events + self._feed(conn, up, seg)

    def open_connection(self, key: ConnKey) -> _Connection | None:
        """The connection of key while it is open (and not reset)."""
        conn = self._conns.get(key)
        return conn if conn is not None and not conn.closed and conn.reset is None else None

    def adopt(self, key: ConnKey, isn: int | None, last_ts: float, streams: list[tuple],
              closed: bool, now: float) -> _Connection | None:
        """Take in a connection read elsewhere until a packet at `now` (the compiled page
        reader's, ingest.pagefetch), as this table would hold it had it read those packets:
        streams = ((started, next byte, bytes delivered, FIN offset or None) up and down), in
        order with nothing waiting. None when this table would have ended it by now: idle at
        its last sweep, or at the sweep the packet at `now` makes (it would have been first
        in line); an idle connection holds nothing the caller needs (see ingest.pagefetch)."""
        idle = self.config.idle_timeout
        if last_ts < self._next_sweep - self.config.sweep_interval - idle \
                or (now >= self._next_sweep and last_ts < now - idle):
            return None
        conn = _Connection(key, self.config, isn)
        conn.last_ts, conn.closed = last_ts, closed
        for stream, (started, nxt, delivered, fin_at) in zip((conn.up, conn.down), streams):
            if started:
                stream._next, stream.delivered = nxt, delivered
            stream.fin_at = fin_at
        self._conns.pop(key, None)
        self._conns[key] = conn
        self.opened += 1
        return conn

    def touch(self, key: ConnKey, ts: float) -> None:
        """A packet of key's connection at ts was read elsewhere: it is active."""
        conn = self._conns.pop(key, None)
        if conn is not None:
            conn.last_ts = ts
            self._conns[key] = conn

    def sweep(self, now: float) -> list[Event]:
        """An idle sweep at `now` if one is due (as `add` makes one before a segment): for
        the capture time that passes in segments read elsewhere."""
        events = self.expire(now) if now >= self._next_sweep else []
        return events + self._end_resets(now) if self._resets else events

    def expire(self, now: float) -> list[Event]:
        """Close connections idle for more than idle_timeout s before now (capture time)."""
        self._next_sweep = now + self.config.sweep_interval
        events, limit = [], now - self.config.idle_timeout
        while self._conns and next(iter(self._conns.values())).last_ts < limit:
            events += self._remove_oldest("idle")
        return events

    def flush(self) -> list[Event]:
        """Close every connection (end of input)."""
        events = []
        while self._conns:
            events += self._remove_oldest("flush")
        return events

    def _remove_oldest(self, reason: str) -> list[Event]:
        conn = self._conns.pop(next(iter(self._conns)))
        return [] if conn.closed else self._end(conn, reason, conn.last_ts)

    def _end_resets(self, now: float) -> list[Event]:
        """Close the reset connections whose grace has passed by `now` (in the order of their
        RSTs, which is the order of their deadlines)."""
        events: list[Event] = []
        while self._resets:
            key, until = next(iter(self._resets.items()))
            if until >= now:
                break
            del self._resets[key]
            conn = self._conns.get(key)
            if conn is not None and not conn.closed and conn.reset is not None:
                events += self._close(conn, "rst", conn.reset[0])
        return events

    def _end(self, conn: _Connection, reason: str, ts: float) -> list[Event]:
        """Close conn for `reason` at ts, or as reset at its RST's time if it was."""
        if conn.reset is not None:
            return self._close(conn, "rst", conn.reset[0])
        return self._close(conn, reason, ts)

    def _find(self, seg: Segment) -> tuple[_Connection | None, bool]:
        """The segment's connection (popped from the table) and whether it travels up."""
        conn = self._conns.pop((seg.src, seg.sport, seg.dst, seg.dport), None)
        if conn is not None:
            return conn, True
        return self._conns.pop((seg.dst, seg.dport, seg.src, seg.sport), None), False

    def _open(self, seg: Segment, client: int) -> _Connection | None:
        """A new connection for seg, or None for a stray segment."""
        syn = seg.flags & SYN
        if not (syn or seg.payload) or seg.flags & RST:
            return None  # a stray ACK/FIN/RST of a connection never seen
        if client == 1 or (client < 0 and client_is_source(seg)):
            key, isn = ConnKey(seg.src, seg.sport, seg.dst, seg.dport), seg.seq if syn else None
        else:
            key, isn = ConnKey(seg.dst, seg.dport, seg.src, seg.sport), None
        self.opened += 1
        return _Connection(key, self.config, isn)

    def _feed(self, conn: _Connection, up: bool, seg: Segment) -> list[Event]:
        flags = seg.flags
        stream, direction = (conn.up, "up") if up else (conn.down, "down")
        events: list[Event] = []
        if flags & ACK:  # what it acknowledges was sent before it: delivered first
            other, back = (conn.down, "down") if up else (conn.up, "up")
            events += [(conn.key, back, ts, data) for ts, data in other.acked(seg.ack, seg.ts)]
        chunks = stream.add(seg.seq, seg.payload, seg.ts, bool(flags & SYN), bool(flags & FIN))
        events += [(conn.key, direction, ts, data) for ts, data in chunks]
        if flags & RST and conn.reset is None:
            conn.reset = (seg.ts, up)  # closed after rst_grace: see the module docstring
            self._resets.pop(conn.key, None)  # (a reused key's old entry: keep deadline order)
            self._resets[conn.key] = seg.ts + self.config.rst_grace
        elif conn.up.finished and conn.down.finished:
            events += self._end(conn, "fin", seg.ts)
        return events

    def _close(self, conn: _Connection, reason: str, ts: float) -> list[Event]:
        """Deliver what is buffered, then the ConnClosed."""
        conn.closed = True
        if conn.reset is not None:
            self._resets.pop(conn.key, None)
        self.closed += 1
        events: list[Event] = [(conn.key, "up", t, d) for t, d in conn.up.flush()]
        events += [(conn.key, "down", t, d) for t, d in conn.down.flush()]
        up, down = conn.up, conn.down
        events.append(ConnClosed(conn.key, ts, reason, up.delivered, down.delivered,
                                 up.gaps + down.gaps, up.gap_bytes + down.gap_bytes))
        return events
