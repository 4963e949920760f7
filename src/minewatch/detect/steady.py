"""A pool session's steady state, compiled: the shares, jobs, difficulties and replies of a
pool connection, read without a Python object per message.

A mining session spends almost all its messages on a few things: the pool sends jobs and now
and then a new difficulty, the miner submits shares (and, with ETHProxy, polls for work and
reports its hashrate), and the pool answers each. `StratumSession` reads them at about 40 us
a message, which on a link full of miners is the whole cost of a capture. Once a session is
settled in Python (dialect, wallet and job shape known; both directions in order),
`ingest.handoff` moves its bookkeeping here, into one row of `steady_book.STATE` and its rings,
and the connection table routes the connection's packets to `steady_pass` instead of Python.

This module follows each direction's TCP sequence and frames its bytes: JSON lines for
Stratum v1, EthereumStratum and ETHProxy, HTTP messages for ETHProxy's polls
(`steady_http`); an encrypted Stratum V2 session's bytes are only counted, as `Sv2Session`
counts them. Each message then goes to `steady_dialects`, which does what
`StratumSession`'s handlers would do with it: the same job -> price table, pending request
ids, share and reply counts, and one event row per message (`steady_book.EVENT` rows and an
arena of text). Prices are ids of texts that Python interned, so every conversion to hashes
stays in Python and the two paths agree to the bit.

Whatever it is not sure of, it hands back before changing anything: a line that
`decode.jsonscan` cannot vouch for, another method, a price whose text Python has not seen,
a reply to a request it may have forgotten, an error reply, a gap, an overlapping
retransmission, SYN/FIN/RST, a pause as long as the reassembler's idle timeout, a full ring.
Handing back marks the state RETURNED and routes the packet to Python; `ingest.handoff` gives
the session its book back before Python reads the packet, with the reassembler placed at the
first byte Python must read (the start of the message it could not read).

tests/ingest/test_handoff.py holds the two paths to the same tables on real captures and on
conversations of every dialect cut, reordered, retransmitted and paused at random.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.decode import jsonscan as js
from minewatch.detect import steady_book as bk
from minewatch.detect import steady_http
from minewatch.detect.steady_dialects import message
from minewatch.flows.tcp import TcpConfig

IDLE_S = TcpConfig().idle_timeout  # a longer pause is the reassembler's call
_MOD = np.int64(1) << 32
_HALF = np.int64(1) << 31
_SYN_FIN_RST = 0x07


# --- the pass over a batch ----------------------------------------------------------------------

@njit(cache=True, nogil=True)
def steady_pass(buf, rows, routes, tables, out):
    """Read the packets routed to the steady reader. routes = (route, slot of each row, codes:
    (the steady route, DPI, no route, the connection table's CANDIDATE)); a packet of a state
    handed back is routed to DPI, and so are its connection's later packets, whose slot is a
    CANDIDATE again. tables = (the connection table's slots, STATE, rings, price table);
    out = (EVENT rows, arena, [events, arena bytes used], returned state ids, [returned])."""
    route, slot_of, codes = routes
    steady, dpi, none, candidate = codes
    slots, st, rg, prices = tables
    scratch = np.empty(bk.CARRY + (1 << 16) + 2 * bk.ID_LEN, np.uint8)  # (+ an HTTP id)
    tok = np.zeros(js.SIZE, np.int64)
    fields, spans = np.empty((steady_http.FIELDS, 2), np.int64), np.empty((5, 2), np.int64)
    for i in range(rows.shape[0]):
        if route[i] != steady:
            continue
        conn = slots[slot_of[i]]
        f = np.int64(conn.fast) - 1
        row = rows[i]
        if f < 0 or st[f].live != bk.LIVE or st[f].ticket != conn.ticket:
            # handed back earlier in this batch, or Python ended the connection (idle)
            conn.dpi, conn.fast = candidate, 0
            route[i] = dpi if (row.pl_len > 0 or row.flags & _SYN_FIN_RST) else none
            continue
        if _packet(buf, (row, i), f, (st, rg, prices, scratch, tok, fields, spans), out):
            route[i] = none
        else:
            _hand_back(st, f, out)
            conn.dpi, conn.fast = candidate, 0
            route[i] = dpi


@njit(cache=True, nogil=True)
def _hand_back(st, f, out):
    st[f].live = bk.RETURNED
    returned, count = out[3], out[4]
    returned[count[0]] = f
    count[0] += 1


@njit(cache=True, nogil=True)
def _packet(buf, at, f, work, out):
    """Read one packet (at = (row, its index)) of state f; False to hand the state back
    (nothing of this packet consumed except whole lines before the one it could not read)."""
    row, i = at
    st = work[0]
    s = st[f]
    if row.flags & _SYN_FIN_RST or row.ts - s.pkt_last > IDLE_S:
        s.why = bk.WHY_FLAGS if row.flags & _SYN_FIN_RST else bk.WHY_IDLE
        return False
    up = row.src_lo == s.c_lo and row.src_hi == s.c_hi and row.sport == s.c_port
    d = bk.UP if up else bk.DOWN
    expected = s.seq_up if d == bk.UP else s.seq_dn
    seq = np.int64(row.seq)
    n = np.int64(row.pl_len)
    if seq != expected:
        behind = (expected - seq) % _MOD
        if 0 < behind < _HALF and behind >= n:  # a retransmission of bytes already read
            s.pkt_last, s.last_row, s.touched = row.ts, i, 1
            return True
        s.why = bk.WHY_SEQUENCE  # a gap, an overlap, or data from before the hand-off
        return False
    s.pkt_last, s.last_row, s.touched = row.ts, i, 1
    if n == 0:
        return True
    s.ts_first, s.ts_last = min(s.ts_first, row.ts), max(s.ts_last, row.ts)
    if s.dialect == bk.NOISE:  # encrypted: its bytes, counted in order, are all there is
        if d == bk.UP:
            s.bytes_up += n
        else:
            s.bytes_dn += n
        bk.set_seq(s, d, (seq + n) % _MOD)
        return True
    if s.dialect == bk.ETHPROXY_HTTP:
        read = _http(buf, row.pl_off, n, (f, d, row.ts), work, out)
    else:
        read = _lines(buf, row.pl_off, n, (f, d, row.ts), work, out)
    if read < 0:  # all of it is read: whole lines, and the rest in the carry
        bk.set_seq(s, d, (seq + n) % _MOD)
        return True
    bk.set_seq(s, d, (seq + read) % _MOD)  # where Python starts reading (the carry is its own)
    return False


@njit(cache=True, nogil=True)
def _lines(buf, p, n, where, work, out):
    """Read the lines of the payload buf[p:p+n]; -1 when all of it is read, else the offset in
    the payload of the first byte Python must read (0: all of it, after the carry)."""
    f, d, ts = where
    st, scratch = work[0], work[3]
    s = st[f]
    carry, base = work[1][0][f], bk.CARRIED + d * bk.CARRY
    stop, q = p + n, p
    held = bk.carry_len(s, d)
    if held:
        nl = _newline(buf, p, stop)
        if nl < 0:
            if held + n > bk.CARRY:
                s.why = bk.WHY_CARRY
                return 0
            carry[base + held:base + held + n] = buf[p:stop]
            bk.set_carry(s, d, held + n)
            return -1
        size = held + nl - p
        scratch[:held] = carry[base:base + held]
        scratch[held:size] = buf[p:nl]
        s.why = _line(scratch, 0, size, (f, d, ts), work, out)
        if s.why:
            return 0
        bk.set_carry(s, d, 0)
        q = nl + 1
    while q < stop:
        nl = _newline(buf, q, stop)
        if nl < 0:
            if stop - q > bk.CARRY:
                s.why = bk.WHY_CARRY
                return q - p
            carry[base:base + stop - q] = buf[q:stop]
            bk.set_carry(s, d, stop - q)
            return -1
        s.why = _line(buf, q, nl, (f, d, ts), work, out)
        if s.why:
            return q - p
        q = nl + 1
    return -1


@njit(cache=True, nogil=True)
def _http(buf, p, n, where, work, out):
    """_lines for HTTP messages: the carry and the payload are read together in the scratch
    buffer (a head or a body may be cut anywhere)."""
    f, d, ts = where
    s, carry, scratch = work[0][f], work[1][0][f], work[3]
    held, base = bk.carry_len(s, d), bk.CARRIED + d * bk.CARRY
    scratch[:held] = carry[base:base + held]
    scratch[held:held + n] = buf[p:p + n]
    at = steady_http.messages(scratch, held + n, (f, d, ts), work, out)
    if at < 0:
        return -1
    if at < held:
        return 0  # (the message Python must read began in the carry, at its start)
    bk.set_carry(s, d, 0)
    return at - held


@njit(cache=True, nogil=True)
def _newline(b, p, stop):
    for k in range(p, stop):
        if b[k] == 10:
            return k
    return -1


@njit(cache=True, nogil=True)
def _line(b, start, stop, where, work, out):
    """One line (without its newline): 0 when read and booked, else why not (nothing changed)."""
    f, d, ts = where
    st, tok = work[0], work[4]
    s = st[f]
    blank = True
    for k in range(start, stop):
        c = b[k]
        if not (c == 32 or 9 <= c <= 13):
            blank = False
            break
    if blank:
        return 0  # LineFramer skips blank lines
    if not js.scan_line(b, start, stop, tok):
        return bk.WHY_JSON
    why = message(b, d, (f, ts), work, out)
    if why == 0:
        if d == bk.UP:
            s.lines_up += 1
        else:
            s.lines_dn += 1
    return why
