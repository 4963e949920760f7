"""A pool session's steady state, compiled: the shares, jobs, difficulties and replies of a
JSON-lines pool connection, read without a Python object per message.

A mining session spends almost all its messages on four things: the pool sends a job
(`mining.notify`) and now and then a difficulty (`mining.set_difficulty`), the miner submits
shares (`mining.submit`), and the pool answers each. `StratumSession` reads them at about 40 us a
message, which on a link full of miners is the whole cost of a capture. Once a session is
settled in Python (dialect, wallet and job shape known; both directions in order, no partial
line held), `ingest.handoff` moves its bookkeeping here, into one row of `STATE` and its rings,
and the connection table routes the connection's packets to `steady_pass` instead of Python.

`steady_pass` does exactly what `StratumSession` would do with those four messages, for the
dialects of `DIALECTS`: the same job -> price table, pending share ids, share and reply counts,
and one event row per message (columns, written to `EVENT` rows and an arena of text). Prices
are ids of texts that Python interned (`PRICE` rows), so every conversion to hashes stays in
Python and the two paths agree to the bit. Whatever it is not sure of, it hands back before
changing anything: a line that `decode.jsonscan` cannot vouch for, any other method, a
difficulty whose text Python has not seen, a reply it has no request for while requests may
have been forgotten, an error reply, a gap, a retransmission that overlaps, SYN/FIN/RST,
a pause longer than the reassembler's idle timeout, a full ring, a full event buffer. Handing
back marks the state RETURNED and routes the packet to Python, and `ingest.handoff` gives the
session its bookkeeping back before Python reads the packet, with the reassembler positioned
at the first byte Python must read (the start of the line it could not handle).

tests/ingest/test_handoff.py holds the two paths to the same tables on real captures and on
simulated conversations of every dialect, handing off after every message it can.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.decode import jsonscan as js
from minewatch.detect.stratum import STEADY_CARRY

SV1, ES1 = 1, 2  # dialects read here (StratumSession's "stratum-v1", "ethereumstratum-1.0")
DIALECTS = {"stratum-v1": SV1, "ethereumstratum-1.0": ES1}
FREE, LIVE, RETURNED = 0, 1, 2  # state of a STATE row
UP, DOWN = 0, 1
NOTIFY, SUBMIT, SET_DIFFICULTY, RESULT, ERROR = 1, 2, 3, 4, 5  # event methods
METHODS = {NOTIFY: "mining.notify", SUBMIT: "mining.submit",
           SET_DIFFICULTY: "mining.set_difficulty", RESULT: "result", ERROR: "error"}
DIFF = 1  # price kinds: ("diff", D)
# why a state was handed back to Python
WHY = ("", "SYN, FIN or RST", "a long pause", "out of order", "a line too long", "not sure of the JSON",
       "a message read only in Python", "a difficulty not interned", "a job or request maybe forgotten",
       "an error or a reply to another request", "an id or job id it cannot hold", "full buffers")
(WHY_FLAGS, WHY_IDLE, WHY_SEQUENCE, WHY_CARRY, WHY_JSON, WHY_METHOD, WHY_PRICE, WHY_FORGOTTEN,
 WHY_ERROR, WHY_ID, WHY_ROOM) = range(1, len(WHY))
SHARE, OTHER = 1, 2  # what a pending request was

JOBS, JOB_LEN = 64, 72  # jobs remembered here (newest first), job id bytes
PENDING, ID_LEN = 64, 24  # unanswered requests remembered here, id text bytes
PAID = 16  # distinct prices of the shares that stand for work
CARRY = STEADY_CARRY  # bytes of an unfinished line held per direction
PRICE_LEN = 40  # bytes of a difficulty's text
IDLE_S = 300.0  # flows.tcp.TcpConfig.idle_timeout: a longer pause is the reassembler's call
_MOD = np.int64(1) << 32
_HALF = np.int64(1) << 31
_SYN_FIN_RST = 0x07
_NOTIFY = np.frombuffer(b"mining.notify", np.uint8)
_SUBMIT = np.frombuffer(b"mining.submit", np.uint8)
_SET_DIFFICULTY = np.frombuffer(b"mining.set_difficulty", np.uint8)

STATE = np.dtype([
    ("live", "u1"), ("dialect", "u1"), ("priced", "u1"), ("jobs_lost", "u1"),
    ("pend_lost", "u1"), ("touched", "u1"),
    ("c_hi", "u8"), ("c_lo", "u8"), ("c_port", "u2"),  # the client (miner) endpoint
    ("ticket", "u4"),  # this hand-off's number, also in the connection table's slot
    ("seq_up", "i8"), ("seq_dn", "i8"),  # next byte expected, 32-bit sequence numbers
    ("carry_up", "i4"), ("carry_dn", "i4"),
    ("next_price", "i4"), ("last_price", "i4"),  # price ids, -1 for none
    ("repriced", "i4"), ("repriced_last", "i4"),  # difficulty changes here, the last one's id
    ("shares", "i8"), ("accepted", "i8"), ("rejected", "i8"), ("unmatched", "i8"),
    ("lines_up", "i8"), ("lines_dn", "i8"), ("jobs_n", "i8"), ("jobs_seeded", "i8"),
    ("pend_n", "i8"),
    ("ts_first", "f8"), ("ts_last", "f8"),  # payload chunks read here
    ("pkt_last", "f8"),  # the last packet read here (the reassembler's last_ts)
    ("last_row", "i8"),  # its row in this batch (touched set)
    ("why", "u1"),  # why it was handed back (WHY)
])
EVENT = np.dtype([
    ("state", "i4"), ("ts", "f8"), ("direction", "u1"), ("method", "u1"), ("price", "i4"),
    ("accepted", "i1"),  # -1: none
    ("hint", "u1"),  # 1: EthereumStratum's job shape (algorithm hint "ethash")
    ("id_off", "i8"), ("id_len", "i4"), ("job_off", "i8"), ("job_len", "i4"),
    ("login_off", "i8"), ("login_len", "i4"),  # lengths -1: null
])


def rings(capacity: int) -> tuple:
    """The per-state arrays beside STATE: carry bytes, jobs, pending requests, paid shares."""
    return (np.zeros((capacity, 2, CARRY), np.uint8),
            np.zeros((capacity, JOBS, JOB_LEN), np.uint8), np.zeros((capacity, JOBS), np.int32),
            np.full((capacity, JOBS), -1, np.int32),
            np.zeros((capacity, PENDING, ID_LEN), np.uint8),
            np.full((capacity, PENDING), -1, np.int32), np.zeros((capacity, PENDING), np.uint8),
            np.full((capacity, PENDING), -1, np.int32), np.zeros((capacity, PENDING), np.int64),
            np.full((capacity, PAID), -1, np.int32), np.zeros((capacity, PAID), np.int64))


# --- prices -------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def text_hash(kind, b, start, stop):
    h = np.uint64(0xCBF29CE484222325) ^ np.uint64(kind)
    for k in range(start, stop):
        h = (h ^ np.uint64(b[k])) * np.uint64(0x100000001B3)
    return h


@njit(cache=True, nogil=True)
def price_slot(table, kind, b, start, stop):
    """The hash slot of the price text b[start:stop] of `kind`: where it is, or the empty slot
    where it belongs (negated - 1). table = (slots, kinds, lengths, texts, ids)."""
    slots, kinds, lengths, texts, _ = table
    mask = np.uint64(len(slots) - 1)
    i = np.int64(text_hash(kind, b, start, stop) & mask)
    n = stop - start
    while True:
        e = slots[i]
        if e < 0:
            return -i - 1
        if kinds[e] == kind and lengths[e] == n:
            same = True
            for k in range(n):
                if texts[e, k] != b[start + k]:
                    same = False
                    break
            if same:
                return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def _price(table, kind, b, start, stop):
    """The id of a price text, -1 when Python has not interned it."""
    if stop - start > PRICE_LEN:
        return -1
    i = price_slot(table, kind, b, start, stop)
    return table[4][table[0][i]] if i >= 0 else -1


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
    scratch = np.empty(CARRY + (1 << 16) + 16, np.uint8)
    tok = np.zeros(js.SIZE, np.int64)
    for i in range(rows.shape[0]):
        if route[i] != steady:
            continue
        conn = slots[slot_of[i]]
        f = np.int64(conn.fast) - 1
        row = rows[i]
        if f < 0 or st[f].live != LIVE or st[f].ticket != conn.ticket:
            # handed back earlier in this batch, or Python ended the connection (idle)
            conn.dpi, conn.fast = candidate, 0
            route[i] = dpi if (row.pl_len > 0 or row.flags & _SYN_FIN_RST) else none
            continue
        if _packet(buf, (row, i), f, (st, rg, prices, scratch, tok), out):
            route[i] = none
        else:
            _hand_back(st, f, out)
            conn.dpi, conn.fast = candidate, 0
            route[i] = dpi


@njit(cache=True, nogil=True)
def _hand_back(st, f, out):
    st[f].live = RETURNED
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
        s.why = WHY_FLAGS if row.flags & _SYN_FIN_RST else WHY_IDLE
        return False
    d = UP if (row.src_lo == s.c_lo and row.src_hi == s.c_hi and row.sport == s.c_port) else DOWN
    expected = s.seq_up if d == UP else s.seq_dn
    seq = np.int64(row.seq)
    n = np.int64(row.pl_len)
    if seq != expected:
        behind = (expected - seq) % _MOD
        if 0 < behind < _HALF and behind >= n:  # a retransmission of bytes already read
            s.pkt_last, s.last_row, s.touched = row.ts, i, 1
            return True
        s.why = WHY_SEQUENCE  # a gap, an overlap, or data from before the hand-off
        return False
    s.pkt_last, s.last_row, s.touched = row.ts, i, 1
    if n == 0:
        return True
    s.ts_first, s.ts_last = min(s.ts_first, row.ts), max(s.ts_last, row.ts)
    read = _lines(buf, row.pl_off, n, (f, d, row.ts), work, out)
    if read < 0:  # all of it is read: whole lines, and the rest in the carry
        _set_seq(s, d, (seq + n) % _MOD)
        return True
    _set_seq(s, d, (seq + read) % _MOD)  # where Python starts reading (the carry is its own)
    return False


@njit(cache=True, nogil=True)
def _set_seq(s, d, value):
    if d == UP:
        s.seq_up = value
    else:
        s.seq_dn = value


@njit(cache=True, nogil=True)
def _carry_len(s, d):
    return s.carry_up if d == UP else s.carry_dn


@njit(cache=True, nogil=True)
def _set_carry(s, d, n):
    if d == UP:
        s.carry_up = n
    else:
        s.carry_dn = n


@njit(cache=True, nogil=True)
def _lines(buf, p, n, where, work, out):
    """Read the lines of the payload buf[p:p+n]; -1 when all of it is read, else the offset in
    the payload of the first byte Python must read (0: all of it, after the carry)."""
    f, d, ts = where
    st, rg, scratch = work[0], work[1], work[3]
    s = st[f]
    carry = rg[0]
    stop, q = p + n, p
    held = _carry_len(s, d)
    if held:
        nl = _newline(buf, p, stop)
        if nl < 0:
            if held + n > CARRY:
                s.why = WHY_CARRY
                return 0
            carry[f, d, held:held + n] = buf[p:stop]
            _set_carry(s, d, held + n)
            return -1
        size = held + nl - p
        scratch[:held] = carry[f, d, :held]
        scratch[held:size] = buf[p:nl]
        s.why = _line(scratch, 0, size, (f, d, ts), work, out)
        if s.why:
            return 0
        _set_carry(s, d, 0)
        q = nl + 1
    while q < stop:
        nl = _newline(buf, q, stop)
        if nl < 0:
            if stop - q > CARRY:
                s.why = WHY_CARRY
                return q - p
            carry[f, d, :stop - q] = buf[q:stop]
            _set_carry(s, d, stop - q)
            return -1
        s.why = _line(buf, q, nl, (f, d, ts), work, out)
        if s.why:
            return q - p
        q = nl + 1
    return -1


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
        return WHY_JSON
    kind = tok[3 * js.METHOD]
    if kind == js.STRING:
        why = _request(b, d, (f, ts), work, out)
    elif kind == js.ABSENT or kind == js.NULL:
        why = _reply(b, (f, ts), work, out) if d == DOWN else WHY_METHOD
    else:
        why = WHY_METHOD
    if why == 0:
        if d == UP:
            s.lines_up += 1
        else:
            s.lines_dn += 1
    return why


@njit(cache=True, nogil=True)
def _is(b, tok, key, word):
    """Whether tok's value for `key` is the string `word`."""
    start, stop = tok[3 * key + 1], tok[3 * key + 2]
    if tok[3 * key] != js.STRING or stop - start != len(word):
        return False
    for k in range(len(word)):
        if b[start + k] != word[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _item(tok, j):
    """(type, start, stop) of list item j."""
    return tok[js.ITEM0 + 3 * j], tok[js.ITEM0 + 3 * j + 1], tok[js.ITEM0 + 3 * j + 2]


@njit(cache=True, nogil=True)
def _strings(tok, first, last):
    """Whether list items first..last-1 are all strings (and recorded)."""
    if last > js.ITEMS or tok[js.COUNT] < last:
        return False
    for j in range(first, last):
        if tok[js.ITEM0 + 3 * j] != js.STRING:
            return False
    return True


@njit(cache=True, nogil=True)
def _request(b, d, at, work, out):
    tok = work[4]
    if tok[3 * js.PARAMS] != js.ARRAY:
        return WHY_METHOD
    if _is(b, tok, js.METHOD, _SUBMIT):
        return _submit(b, at, work, out) if d == UP else WHY_METHOD
    if d != DOWN:
        return WHY_METHOD
    if _is(b, tok, js.METHOD, _NOTIFY):
        return _notify(b, at, work, out)
    if _is(b, tok, js.METHOD, _SET_DIFFICULTY):
        return _set_difficulty(b, at, work, out)
    return WHY_METHOD


@njit(cache=True, nogil=True)
def _msg_id(b, tok):
    """(start, stop) of the message id's text as jsonrpc.id_text writes it; (0, -1) for none
    (absent or null); (-1, -1) for an id read only in Python (floats, "-0", lists, long)."""
    kind, start, stop = tok[3 * js.ID], tok[3 * js.ID + 1], tok[3 * js.ID + 2]
    if kind == js.ABSENT or kind == js.NULL:
        return 0, -1
    if stop - start > ID_LEN or not (kind == js.STRING or kind == js.INT):
        return -1, -1
    if kind == js.INT and stop - start == 2 and b[start] == 45 and b[start + 1] == 48:
        return -1, -1  # -0 is 0 to json.loads
    return start, stop


@njit(cache=True, nogil=True)
def _notify(b, at, work, out):
    """mining.notify in the dialect's own job shape: Stratum v1's nine fields with a merkle
    list, or EthereumStratum's [job, seed, header, clean]."""
    f, ts = at
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    if s.dialect == SV1:
        if tok[js.COUNT] < 9 or tok[js.ITEM0 + 3 * 4] != js.ARRAY or not _strings(tok, 0, 4) \
                or not _strings(tok, 5, 8) or not _all_strings(b, _item(tok, 4)):
            return WHY_METHOD
        hint = 0
    else:  # EthereumStratum's job shape

        flag = tok[js.ITEM0 + 3 * 3]
        if tok[js.COUNT] != 4 or not _strings(tok, 0, 3) or not (flag == js.TRUE or flag == js.FALSE):
            return WHY_METHOD
        hint = 1
    _, js_, je = _item(tok, 0)
    i0, i1 = _msg_id(b, tok)
    if je - js_ > JOB_LEN or i0 < 0:
        return WHY_ID
    if not _room(out, (i1 - i0) + (je - js_)) or s.jobs_n - s.jobs_seeded >= JOBS:
        return WHY_ROOM  # (a full ring is handed back, never forgotten)
    _remember_job(rg, f, s, b, (js_, je))
    if s.next_price >= 0:
        s.last_price = s.next_price
    _event(out, (f, ts, DOWN, NOTIFY, s.next_price, -1, hint), b, (i0, i1, js_, je, 0, -1))
    return 0


@njit(cache=True, nogil=True)
def _all_strings(b, item):
    """Whether the (validated) JSON list item = (type, start, stop) holds only strings."""
    _, p, stop = item
    q = p + 1
    while q < stop:
        c = b[q]
        if c == 34:
            q += 1
            while b[q] != 34:
                q += 1
            q += 1
        elif c == 32 or c == 9 or c == 10 or c == 13 or c == 44 or c == 93:
            q += 1
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def _remember_job(rg, f, s, b, span):
    start, stop = span
    k = s.jobs_n % JOBS
    if s.jobs_n >= JOBS:
        s.jobs_lost = 1  # a copy of one of Python's jobs goes: a miss may be Python's
    rg[1][f, k, :stop - start] = b[start:stop]
    rg[2][f, k] = stop - start
    rg[3][f, k] = s.next_price
    s.jobs_n += 1


@njit(cache=True, nogil=True)
def _find_job(rg, f, s, b, span):
    """(found, price id) of a job id, newest first."""
    start, stop = span
    n = stop - start
    for back in range(min(s.jobs_n, JOBS)):
        k = (s.jobs_n - 1 - back) % JOBS
        if rg[2][f, k] == n and _same(rg[1][f, k], b, start, n):
            return True, rg[3][f, k]
    return False, -1


@njit(cache=True, nogil=True)
def _same(stored, b, start, n):
    for k in range(n):
        if stored[k] != b[start + k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _submit(b, at, work, out):
    """mining.submit: [login, job, ...] (Stratum v1's five or more strings, EthereumStratum's
    three); priced by its job, else the latest job's price, else the announced one."""
    f, ts = at
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    count = tok[js.COUNT]
    if not (count >= 5 or (s.dialect == ES1 and count == 3)) or not _strings(tok, 0, min(count, 5)):
        return WHY_METHOD
    _, ls, le = _item(tok, 0)
    _, j0, j1 = _item(tok, 1)
    i0, i1 = _msg_id(b, tok)
    if i0 < 0 or j1 - j0 > JOB_LEN:
        return WHY_ID
    found, price = _find_job(rg, f, s, b, (j0, j1))
    if not found and s.jobs_lost:
        return WHY_FORGOTTEN  # Python may remember the job
    if price < 0:
        price = s.last_price if s.last_price >= 0 else s.next_price
    k = _pending_slot(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if not _room(out, (i1 - i0) + (j1 - j0) + (le - ls)) or (i1 >= 0 and k < 0):
        return WHY_ROOM
    if i1 >= 0:
        _expect(rg, f, s, b, (k, i0, i1, price))
    s.shares += 1
    _event(out, (f, ts, UP, SUBMIT, price, -1, 0), b, (i0, i1, j0, j1, ls, le))
    return 0


@njit(cache=True, nogil=True)
def _pending_at(rg, f, b, start, n):
    """The ring index of a pending request's id, -1 if none."""
    ids, lengths = rg[4], rg[5]
    for k in range(PENDING):
        if lengths[f, k] == n and _same(ids[f, k], b, start, n):
            return k
    return -1


@njit(cache=True, nogil=True)
def _pending_slot(rg, f, b, start, n):
    """Where a request with this id goes: its own entry (a repeated id replaces it, as in
    Python) or a free one; -1 when the ring is full (nothing is forgotten here)."""
    k = _pending_at(rg, f, b, start, n)
    if k >= 0:
        return k
    for j in range(PENDING):
        if rg[5][f, j] < 0:
            return j
    return -1


@njit(cache=True, nogil=True)
def _expect(rg, f, s, b, entry):
    """Remember a share request by id at ring index k."""
    k, start, stop, price = entry
    n = stop - start
    rg[4][f, k, :n] = b[start:stop]
    rg[5][f, k], rg[6][f, k], rg[7][f, k] = n, SHARE, price
    s.pend_n += 1
    rg[8][f, k] = s.pend_n


@njit(cache=True, nogil=True)
def _set_difficulty(b, at, work, out):
    f, ts = at
    st, prices, tok = work[0], work[2], work[4]
    s = st[f]
    kind, p0, p1 = _item(tok, 0)
    if tok[js.COUNT] < 1 or not (kind == js.INT or kind == js.NUMBER):
        return WHY_METHOD
    price = _price(prices, DIFF, b, p0, p1)
    if price < 0 or not s.priced:  # a text Python has not read, or the first difficulty
        return WHY_PRICE
    i0, i1 = _msg_id(b, tok)
    if i0 < 0:
        return WHY_ID
    if not _room(out, i1 - i0):
        return WHY_ROOM
    if price != s.next_price:
        s.repriced += 1
        s.repriced_last = price
    s.next_price = price
    _event(out, (f, ts, DOWN, SET_DIFFICULTY, price, -1, 0), b, (i0, i1, 0, -1, 0, -1))
    return 0


@njit(cache=True, nogil=True)
def _reply(b, at, work, out):
    """A reply from the pool: to a share (accepted when the result is true and there is no
    error; a false or null result without an error is a rejection without a reason), or to
    nothing remembered (counted as unmatched, as Python does)."""
    f, ts = at
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    error = tok[3 * js.ERROR]
    result = tok[3 * js.RESULT]
    if (error != js.ABSENT and error != js.NULL) or result == js.ARRAY or result == js.OBJECT:
        return WHY_ERROR  # errors are Python's to read; a list result may be a work package
    i0, i1 = _msg_id(b, tok)
    if i0 < 0:
        return WHY_ID
    if not _room(out, i1 - i0):
        return WHY_ROOM
    k = _pending_at(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if k < 0:
        if s.pend_lost:
            return WHY_FORGOTTEN
        s.unmatched += 1
        _event(out, (f, ts, DOWN, RESULT, -1, -1, 0), b, (i0, i1, 0, -1, 0, -1))
        return 0
    if rg[6][f, k] != SHARE:
        return WHY_ERROR
    price = rg[7][f, k]
    ok = result == js.TRUE
    if not _paid(rg, f, price):
        return WHY_ROOM
    rg[5][f, k] = -1
    if ok:
        s.accepted += 1
    else:
        s.rejected += 1
    _event(out, (f, ts, DOWN, RESULT, price, 1 if ok else 0, 0), b, (i0, i1, 0, -1, 0, -1))
    return 0


@njit(cache=True, nogil=True)
def _paid(rg, f, price):
    """Count a share that stands for work at `price`; False when the table is full."""
    prices, counts = rg[9], rg[10]
    for k in range(PAID):
        if counts[f, k] > 0 and prices[f, k] == price:
            counts[f, k] += 1
            return True
    for k in range(PAID):
        if counts[f, k] == 0:
            prices[f, k], counts[f, k] = price, 1
            return True
    return False


# --- events -------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _room(out, size):
    """Whether one more event with `size` bytes of text fits."""
    events, arena, count = out[0], out[1], out[2]
    return count[0] < len(events) and count[1] + max(size, 0) + 8 <= len(arena)


@njit(cache=True, nogil=True)
def _event(out, what, b, spans):
    """One event row: what = (state, ts, direction, method, price, accepted or -1, hint),
    spans = (start, stop) of the id, job and login texts in b (stop -1: null)."""
    events, arena, count = out[0], out[1], out[2]
    e = events[count[0]]
    count[0] += 1
    f, ts, d, method, price, accepted, hint = what
    e.state, e.ts, e.direction, e.method, e.price = f, ts, d, method, price
    e.accepted, e.hint = accepted, hint
    e.id_off, e.id_len = _text(arena, count, b, spans[0], spans[1])
    e.job_off, e.job_len = _text(arena, count, b, spans[2], spans[3])
    e.login_off, e.login_len = _text(arena, count, b, spans[4], spans[5])


@njit(cache=True, nogil=True)
def _text(arena, count, b, start, stop):
    if stop < 0:
        return 0, -1
    at = count[1]
    arena[at:at + stop - start] = b[start:stop]
    count[1] += stop - start
    return at, stop - start
