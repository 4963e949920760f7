"""Plaintext web page fetches read in compiled code, from the handshake to the close.

A connection whose first payload is `GET /` is almost always a browser or an app fetching a
page, and almost never a browser-miner's: the Python path (`ingest.packets`: the reassembler,
the classifier, `BrowserScan`, and the entities read at the close) cost about 190 us a
connection, which on an ISP's link full of plain HTTP is the whole cost of a capture. Here
the connection table routes such a connection (`flows.conntable.PAGE`) to `page_pass`, which
does what Python would do with it while that is certain to come to nothing:

* TCP as `flows.tcp.TcpConnectionTable` does for one connection in order: which side is the
  client, each direction's position (anchored by a SYN or the first data), retransmissions
  absorbed, an overlap's new bytes kept, a FIN each way closing it;
* the classifier's and the page reader's rules: the first data must be the client's `GET /`
  (`ingest.packets.PacketIngest._classify`), a client chunk that opens with `POST ` makes a
  session of it, and GIVE_UP_CHUNKS chunks and GIVE_UP_BYTES bytes give it up;
* the browser scan's input: the first CAP bytes of each direction are kept (the client's with
  each chunk's time), and searched, folding ASCII case, for every indicator a `BrowserScan`
  could report (listed hosts, script paths, markers) and for what it would read otherwise
  (a compressed or chunked body, a 101 answer): `browser_needles`. Without any of them a
  `BrowserScan` of the same bytes reports nothing, so nothing is lost by never making one.
  A connection that holds one is `marked` and read on all the same: what its scan reports
  is made in Python at its end (`ingest.pagefetch`), from the bytes kept here.

Whatever is not that, it hands to Python before changing anything (`ADOPT`): a RST, data out
of order, a new SYN, a pause near the reassembler's idle timeout, a packet after the close, a
first chunk that is not a page's, a POST, full buffers, and for a marked connection the packet
that ends it (the last FIN, the chunk it is given up at). `ingest.pagefetch` then builds the
connection Python would have at that packet (the reassembler's positions, the classifier's
record, a `BrowserScan` fed the same chunks) and Python reads on from the packet.

tests/ingest/test_pagefetch.py holds the two paths to the same tables.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch import memory
from minewatch.decode import jsonscan as js
from minewatch.detect.browser import CAP, BrowserIntel
from minewatch.detect.needles import NeedleSet, scan
from minewatch.flows.tcp import SERVICE_PORTS, TcpConfig

IDLE_S = TcpConfig().idle_timeout
NEAR_IDLE_S = IDLE_S - 2.0  # a longer pause is Python's to judge (its sweeps run each second)
UP_CAP = 16 * 1024  # client bytes kept (requests); a longer client stream goes to Python
UP_CHUNKS = 64  # client chunks kept with their times
GIVE_UP_CHUNKS, GIVE_UP_BYTES = 64, 4096  # ingest.packets' (asserted there)
FREE, OPEN, ADOPTED = 0, 1, 2  # a STATE row's `live`
CONSUMED, ADOPT, GIVE_UP = 0, 1, 2  # what became of a packet
FEED, MARK = 3, 4  # a chunk for the browser scan, one holding an indicator
UP, DOWN = 0, 1
_FIN, _SYN, _RST, _ACK = 0x01, 0x02, 0x04, 0x10
_MOD = np.int64(1) << 32
_HALF = np.int64(1) << 31
_SERVICE = np.array(sorted(SERVICE_PORTS), np.int64)
_GET = np.frombuffer(b"GET /", np.uint8)
_POST = np.frombuffer(b"POST ", np.uint8)

STATE = np.dtype([
    ("live", "u1"), ("opened", "u1"), ("classified", "u1"), ("closed", "u1"),
    ("marked", "u1"),  # an indicator seen: its end (and what its scan reports) is Python's
    ("ticket", "u4"),
    ("c_hi", "u8"), ("c_lo", "u8"), ("s_hi", "u8"), ("s_lo", "u8"),  # client, server
    ("c_port", "u2"), ("s_port", "u2"), ("ver", "u1"),
    ("has_isn", "u1"), ("isn", "u4"),  # the client's SYN, when it opened the connection
    # per direction (UP, DOWN), as StreamReassembler keeps them: started, next byte expected
    # (unwrapped, as Python's), bytes delivered, the FIN's stream offset (-1: none)
    ("anchored", "u1", (2,)), ("next", "i8", (2,)), ("delivered", "i8", (2,)),
    ("fin_at", "i8", (2,)),
    ("last_ts", "f8"), ("first_ts", "f8"),  # the last packet, the first data chunk
    ("chunks", "i8"), ("seen", "i8"),  # data chunks and bytes (ingest.packets._spoke_long)
    ("fed", "i8", (2,)),  # bytes a BrowserScan would have taken each way (<= CAP)
    ("buf", "i8"),  # the row of its buffers (-1: none yet)
    ("n_up", "i8"),  # client chunks recorded
    ("row", "i8"),  # ADOPTED: the batch row of the packet Python reads first
])


def browser_needles(intel: BrowserIntel) -> list[bytes]:
    """Lower-case byte strings, one of which occurs (ASCII case folded) in the bytes of any
    connection a BrowserScan reports on: every listed host (a subdomain's name holds it), path
    and marker, and what makes it read a body otherwise than as sent: a Content-Encoding
    (inflated first), chunked transfer coding (a chunk's header may split an indicator) and a
    101 status (a WebSocket's frames)."""
    texts = {i.value.lower().encode("latin-1") for i in intel.hosts.values()}
    texts |= {i.value.lower().encode("latin-1") for i in intel.paths}
    texts |= {v.lower().encode("latin-1") for v in intel.markers}
    texts |= {b"content-encoding", b"chunked", b" 101"}
    return sorted(texts)


def needle_table(needles: list[bytes]) -> tuple:
    """A NeedleSet's compiled tables of lower-case needles of two bytes or more, and the
    length of the longest."""
    assert needles and all(len(n) >= 2 and n == n.lower() for n in needles)
    return NeedleSet(needles).arrays() + (max(len(n) for n in needles),)


def buffers(n: int) -> tuple:
    """(client bytes, server bytes, client chunk times, client chunk ends) for n states."""
    return (memory.zeros((n, UP_CAP), np.uint8), memory.zeros((n, CAP), np.uint8),
            np.zeros((n, UP_CHUNKS)), np.zeros((n, UP_CHUNKS), np.int64))


# --- the pass over a batch ----------------------------------------------------------------------

@njit(cache=True, nogil=True)
def page_pass(buf, rows, routes, tables, out):
    """Read the packets routed to page states. routes = (route, slot of each row, codes: (the
    page route, DPI, no route, the connection table's CANDIDATE, IGNORED and PAGE)).
    tables = (connection slots, STATE, buffers, needle table, free lists: (free state rows,
    [free states], free buffer rows, [free buffers], [the last ticket])). out = (adopted
    state rows, [adopted], [packets read here]). A state adopted by Python stays ADOPTED
    until Python has read it; its connection's later packets go to DPI."""
    route, slot_of, codes = routes
    to_page, dpi, none, candidate, ignored, page = codes
    slots, st, bufs, needles, free = tables
    adopted, n_adopted, consumed = out
    for i in range(rows.shape[0]):
        if route[i] != to_page:
            continue
        conn = slots[slot_of[i]]
        if conn.dpi != page:  # adopted or given up earlier in this batch
            route[i] = dpi if conn.dpi == candidate else none
            continue
        f = np.int64(conn.page) - 1
        if f < 0:
            f = _open_state(st, free)
            if f < 0:  # no room: Python reads it all
                conn.dpi = candidate
                route[i] = dpi
                continue
            conn.page, conn.ticket = f + 1, st[f].ticket
        said = _packet(buf, rows[i], st[f], bufs, (needles, free))
        if said == CONSUMED:
            route[i] = none
            consumed[0] += 1
        elif said == GIVE_UP:
            free_state(st, f, free)
            conn.dpi, conn.page = ignored, 0
            route[i] = none
            consumed[0] += 1
        else:
            st[f].live, st[f].row = ADOPTED, i
            adopted[n_adopted[0]] = f
            n_adopted[0] += 1
            conn.dpi, conn.page = candidate, 0
            route[i] = dpi
    return 0


@njit(cache=True, nogil=True)
def _open_state(st, free):
    """A fresh state row for a connection (-1 when none is free)."""
    rows, n_rows, _, _, ticket = free
    if n_rows[0] == 0:
        return -1
    n_rows[0] -= 1
    f = rows[n_rows[0]]
    s = st[f]
    s.live, s.opened, s.classified, s.closed, s.marked, s.has_isn = OPEN, 0, 0, 0, 0, 0
    ticket[0] += 1
    s.ticket = ticket[0] & 0xFFFFFFFF
    for d in range(2):
        s.anchored[d], s.next[d], s.delivered[d], s.fin_at[d], s.fed[d] = 0, 0, 0, -1, 0
    s.chunks, s.seen, s.buf, s.n_up = 0, 0, -1, 0
    s.last_ts, s.first_ts = 0.0, 0.0
    return f


@njit(cache=True, nogil=True)
def free_state(st, f, free):
    """Give state row f (and its buffers) back to the free lists."""
    rows, n_rows, _, _, _ = free
    _free_buffer(st[f], free)
    st[f].live = FREE
    rows[n_rows[0]] = f
    n_rows[0] += 1


@njit(cache=True, nogil=True)
def _free_buffer(s, free):
    if s.buf >= 0:
        _give_buffer(free, s.buf)
        s.buf = -1


# --- one packet ---------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _packet(buf, row, s, bufs, work):
    """One packet of state s: CONSUMED (read here), GIVE_UP (read, and the page reader would
    stop here) or ADOPT (nothing of it read: Python reads it, after taking the state over)."""
    flags, ts, n = row.flags, row.ts, np.int64(row.pl_len)
    syn, fin = flags & _SYN, flags & _FIN
    if s.closed or (s.opened and (flags & _RST or ts - s.last_ts > NEAR_IDLE_S)):
        return ADOPT
    if not s.opened:
        if flags & _RST or not (syn or n > 0):
            return CONSUMED  # a stray segment: Python opens no connection for it
        up = _client_is_source(row)
    else:
        up = row.src_lo == s.c_lo and row.src_hi == s.c_hi and row.sport == s.c_port
        if syn and not flags & _ACK and (not s.has_isn or s.isn != row.seq):
            return ADOPT  # the ports reused by a new connection
    d = UP if up else DOWN
    seq = np.int64(row.seq) + (1 if syn else 0)
    anchored, nxt = s.anchored[d], s.next[d]
    if not anchored and (n > 0 or syn or fin):
        anchored, nxt = 1, seq & (_MOD - 1)
    fin_at, lo, size = s.fin_at[d], np.int64(0), np.int64(0)
    if anchored:
        delta = (seq - nxt) % _MOD
        start = nxt + (delta - _MOD if delta >= _HALF else delta)
        if fin:
            fin_at = start + n
        if n > 0 and start + n > nxt:
            if start > nxt:
                return ADOPT  # out of order: Python buffers it
            lo = nxt - start  # (an overlap: the bytes not delivered yet)
            size = n - lo
    said, b, take = FEED, s.buf, np.int64(0)
    if size > 0:
        said, b, take = _chunk(buf, (row.pl_off + lo, size, d), s, bufs, work)
        if said == ADOPT:
            return ADOPT
    closes = anchored and fin_at >= 0 and nxt + size >= fin_at and _finished(s, 1 - d)
    if (s.marked or said == MARK) and (said == GIVE_UP or closes):
        if b != s.buf:
            _give_buffer(work[1], b)  # (taken for this first chunk)
        return ADOPT  # its browser scan reports at its end: Python's to end it
    if not s.opened:
        _open(s, row, up, syn)
    s.last_ts = ts
    s.anchored[d], s.fin_at[d], s.next[d] = anchored, fin_at, nxt + size
    s.delivered[d] += size
    if said == GIVE_UP:
        return GIVE_UP
    if size > 0:
        _fed(s, bufs, (b, take, ts, d, size), said == MARK)
    if closes:
        s.closed = 1  # FIN both ways: Python's page reader reports nothing; strays go to it
        _free_buffer(s, work[1])
    return CONSUMED


@njit(cache=True, nogil=True)
def _finished(s, d):
    return s.anchored[d] and s.fin_at[d] >= 0 and s.next[d] >= s.fin_at[d]


@njit(cache=True, nogil=True)
def _open(s, row, up, syn):
    """The connection Python's reassembler opens for this first packet (client side first)."""
    s.opened, s.ver = 1, row.ver
    if up:
        s.c_hi, s.c_lo, s.c_port = row.src_hi, row.src_lo, row.sport
        s.s_hi, s.s_lo, s.s_port = row.dst_hi, row.dst_lo, row.dport
        s.has_isn, s.isn = (1, row.seq) if syn else (0, 0)
    else:
        s.c_hi, s.c_lo, s.c_port = row.dst_hi, row.dst_lo, row.dport
        s.s_hi, s.s_lo, s.s_port = row.src_hi, row.src_lo, row.sport


@njit(cache=True, nogil=True)
def _client_is_source(row):
    """flows.tcp.client_is_source, compiled."""
    if row.flags & _SYN:
        return not row.flags & _ACK
    a, b = _rank(np.int64(row.sport)), _rank(np.int64(row.dport))
    if a != b:
        return a > b
    return row.sport >= row.dport


@njit(cache=True, nogil=True)
def _rank(port):
    if port < 1024:
        return 0
    k = np.searchsorted(_SERVICE, port)
    return 1 if k < len(_SERVICE) and _SERVICE[k] == port else 2


# --- one data chunk -----------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _chunk(buf, chunk, s, bufs, work):
    """A data chunk as ingest.packets reads a page fetch's: the first must be the client's
    GET, a client POST makes a session, a long connection is given up; the rest is the
    browser scan's input, kept after what came before (bytes copied only, nothing counted).
    (FEED, MARK (it holds an indicator) or GIVE_UP or ADOPT, the buffer row, bytes kept)."""
    p, size, d = chunk
    needles, free = work
    first = not s.classified
    if first and (d != UP or size == 64 or not js.is_at(buf, p, p + size, _GET)):
        return ADOPT, -1, 0  # not a page fetch by the classifier's rules
    if d == UP and js.is_at(buf, p, p + size, _POST):
        return ADOPT, -1, 0
    if s.chunks + 1 > GIVE_UP_CHUNKS and s.seen + size > GIVE_UP_BYTES:
        return GIVE_UP, s.buf, 0
    b = s.buf
    if first:
        b = _take_buffer(free)
        if b < 0:
            return ADOPT, -1, 0
    take = min(CAP - s.fed[d], size)
    if take <= 0:
        return FEED, b, 0
    old = s.fed[d]
    if d == UP and (old + take > UP_CAP or s.n_up >= UP_CHUNKS):
        if first:
            _give_buffer(free, b)
        return ADOPT, -1, 0  # more than it keeps of the client's
    kept = bufs[0][b] if d == UP else bufs[1][b]
    kept[old:old + take] = buf[p:p + take]
    if not s.marked and _hit(kept, max(np.int64(0), old - needles[5] + 1), old + take, needles):
        return MARK, b, take
    return FEED, b, take


@njit(cache=True, nogil=True)
def _fed(s, bufs, chunk, mark):
    """Count a chunk read (its bytes kept already): the page reader's record, and the browser
    scan's client chunks with their times."""
    b, take, ts, d, size = chunk
    if not s.classified:
        s.classified, s.first_ts, s.buf = 1, ts, b
    s.chunks, s.seen = s.chunks + 1, s.seen + size
    if mark:
        s.marked = 1
    if take > 0:
        if d == UP:
            bufs[2][b, s.n_up], bufs[3][b, s.n_up] = ts, s.fed[UP] + take
            s.n_up += 1
        s.fed[d] += take


@njit(cache=True, nogil=True)
def _take_buffer(free):
    _, _, buf_rows, n_bufs, _ = free
    if n_bufs[0] == 0:
        return -1
    n_bufs[0] -= 1
    return buf_rows[n_bufs[0]]


@njit(cache=True, nogil=True)
def _give_buffer(free, b):
    _, _, buf_rows, n_bufs, _ = free
    buf_rows[n_bufs[0]] = b
    n_bufs[0] += 1


@njit(cache=True, nogil=True)
def _lower(c):
    return np.int64(c) + 32 if 65 <= c <= 90 else np.int64(c)


@njit(cache=True, nogil=True)
def _hit(text, lo, hi, needles):
    """Whether a needle occurs in text[lo:hi], ASCII case folded (NeedleSet's scan of a
    lower-cased copy)."""
    data, starts, ends, order, heads, _ = needles
    window = np.empty(max(hi - lo, 0), np.uint8)
    for k in range(len(window)):
        window[k] = _lower(text[lo + k])
    found = np.zeros(len(starts), np.bool_)
    scan(window, data, starts, ends, order, heads, found)
    return found.any()
