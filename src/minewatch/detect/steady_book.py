"""The compiled book of a pool session in its steady state (see `detect.steady`): one row of
`STATE`, its rings (jobs, pending requests, paid shares, the unfinished line of each
direction), the table of price texts Python interned, and event rows with an arena of text.

Every ring here refuses rather than forgets: a full ring or buffer makes the caller hand the
session back to Python, which remembers more, so nothing Python would have remembered is lost.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.detect.bounded import JOB_WINDOW
from minewatch.detect.stratum import STEADY_CARRY

SV1, ES1, ETHPROXY, ETHPROXY_HTTP, CRYPTONOTE, NOISE = 1, 2, 3, 4, 5, 6  # read in compiled code
DIALECTS = {"stratum-v1": SV1, "ethereumstratum-1.0": ES1, "ethproxy": ETHPROXY,
            "ethproxy-http": ETHPROXY_HTTP, "cryptonote": CRYPTONOTE,
            "stratum-v2+noise": NOISE}  # (an encrypted SV2 session: its bytes are counted)
FREE, LIVE, RETURNED = 0, 1, 2  # state of a STATE row
UP, DOWN = 0, 1
# event methods (the `method` column)
NOTIFY, SUBMIT, SET_DIFFICULTY, RESULT, ERROR, GET_WORK, SUBMIT_WORK, SUBMIT_HASHRATE, \
    SET_TARGET, JOB, CN_SUBMIT, KEEPALIVED = range(1, 13)
METHODS = ("", "mining.notify", "mining.submit", "mining.set_difficulty", "result", "error",
           "eth_getWork", "eth_submitWork", "eth_submitHashrate", "mining.set_target", "job",
           "submit", "keepalived")
ETHASH, EQUIHASH = 1, 2  # job shapes (the `shape` of a state, the `hint` of an event)
SHAPES = ("", "ethash", "equihash")
ALGO = 3  # an event's hint: the session's CryptoNote algo (a job that names it)
DIFF, T256, CN = 1, 2, 3  # price kinds: ("diff", D), ("t256", hex), ("cn", little-endian hex)
KINDS = {"diff": DIFF, "t256": T256, "cn": CN}
SHARE, PLAIN, OTHER = 1, 2, 3  # a pending request: a share; a reply means nothing; Python's
# why a state was handed back to Python (its `why`)
WHY = ("", "SYN, FIN or RST", "a long pause", "out of order", "a line too long",
       "not sure of the JSON", "a message read only in Python", "a price not interned",
       "a job or request maybe forgotten", "an error or a reply Python reads",
       "an id or job id it cannot hold", "full buffers")
(WHY_FLAGS, WHY_IDLE, WHY_SEQUENCE, WHY_CARRY, WHY_JSON, WHY_METHOD, WHY_PRICE, WHY_FORGOTTEN,
 WHY_ERROR, WHY_ID, WHY_ROOM) = range(1, len(WHY))

JOBS, JOB_LEN = JOB_WINDOW, 72  # the job window (bounded.JobWindow) as a ring; job id bytes
EMPTY_JOB, UNHELD_JOB = -1, -2  # a ring slot's size: no job; one of Python's it cannot hold
PENDING, ID_LEN = 64, 24  # unanswered requests remembered here, id text bytes
PAID = 64  # distinct prices of the shares that stand for work (a vardiff pool moves often)
CARRY = STEADY_CARRY  # bytes of an unfinished line held per direction
PRICE_LEN = 72  # bytes of a price's text (a difficulty, or 0x and 64 hex digits)
HTTP_IDS = 16  # ids of HTTP requests awaiting their response
ALGO_LEN = 32  # bytes of a CryptoNote algo name

STATE = np.dtype([
    ("live", "u1"), ("dialect", "u1"), ("priced", "u1"),
    ("pend_lost", "u1"), ("touched", "u1"),
    ("worker_set", "u1"),  # the session has a worker name (ETHProxy's "worker" keeps it)
    ("rate_told", "u1"),  # a self-reported hashrate is already a fact
    ("shape", "u1"),  # the job shape that is already a fact (SHAPES)
    ("c_hi", "u8"), ("c_lo", "u8"), ("c_port", "u2"),  # the client (miner) endpoint
    ("ticket", "u4"),  # this hand-off's number, also in the connection table's slot
    ("seq_up", "i8"), ("seq_dn", "i8"),  # next byte expected, 32-bit sequence numbers
    ("carry_up", "i4"), ("carry_dn", "i4"),
    ("next_price", "i4"), ("last_price", "i4"),  # price ids, -1 for none
    ("repriced", "i4"), ("repriced_last", "i4"),  # difficulty changes here, the last one's id
    ("shares", "i8"), ("accepted", "i8"), ("rejected", "i8"), ("unmatched", "i8"),
    ("stale", "i8"), ("invalid", "i8"),  # rejections whose error says why (the others: rejected)
    ("lines_up", "i8"), ("lines_dn", "i8"),
    ("bytes_up", "i8"), ("bytes_dn", "i8"),  # NOISE: encrypted bytes read
    ("jobs_n", "i8"),
    ("jobs_seeded", "i8"),  # job announcements (JobWindow.count): now, at the hand-off
    ("jobs_unheld", "i8"),  # window jobs held only in Python (a miss may be a find there)
    ("pend_n", "i8"),
    ("reported", "f8"),  # the last self-reported hashrate, H/s (NaN: none here)
    ("ts_first", "f8"), ("ts_last", "f8"),  # payload chunks read here
    ("pkt_last", "f8"),  # the last packet read here (the reassembler's last_ts)
    ("last_row", "i8"),  # its row in this batch (touched set)
    ("why", "u1"),  # why it was handed back (WHY)
    ("head_key", "u8"), ("server_key", "u8"),  # HTTP: the last request head, Server header
    ("fifo_head", "i4"), ("fifo_n", "i4"),  # HTTP: the request ids awaiting a response
    ("algo_len", "i4"),  # CryptoNote: the session's algo (at ALGO_TEXT), -1 for one not held
])
EVENT = np.dtype([
    ("state", "i4"), ("ts", "f8"), ("direction", "u1"), ("method", "u1"), ("price", "i4"),
    ("accepted", "i1"),  # -1: none
    ("hint", "u1"),  # a job's shape, its algorithm hint (SHAPES)
    ("rig", "u1"),  # 1: `login` is ETHProxy's worker name itself, not a login to split
    ("id_off", "i8"), ("id_len", "i4"), ("job_off", "i8"), ("job_len", "i4"),
    ("login_off", "i8"), ("login_len", "i4"),  # lengths -1: null
])
# The rings beside STATE, packed in two arrays (a call between compiled functions costs for
# every array it passes): per state, `rb[f]` holds bytes and `ri[f]` numbers, at these offsets.
CARRIED = 0  # the unfinished line or HTTP message of each direction: 2 x CARRY
JOB_TEXT = CARRIED + 2 * CARRY  # JOBS x JOB_LEN
PEND_ID = JOB_TEXT + JOBS * JOB_LEN  # PENDING x ID_LEN
FIFO_ID = PEND_ID + PENDING * ID_LEN  # HTTP_IDS x ID_LEN
ALGO_TEXT = FIFO_ID + HTTP_IDS * ID_LEN  # ALGO_LEN
BYTES = ALGO_TEXT + ALGO_LEN
JOB_SIZE, JOB_PRICE, JOB_HASH = 0, JOBS, 2 * JOBS
PEND_SIZE, PEND_KIND, PEND_VALUE, PEND_ORDER, PEND_HASH = (3 * JOBS + k * PENDING
                                                           for k in range(5))
PAID_PRICE = PEND_HASH + PENDING
PAID_COUNT = PAID_PRICE + PAID
FIFO_SIZE = PAID_COUNT + PAID
FIFO_KIND = FIFO_SIZE + HTTP_IDS
NUMBERS = FIFO_KIND + HTTP_IDS
FRESH = np.zeros(NUMBERS, np.int64)  # a free state's numbers: no pending request, none paid
FRESH[JOB_SIZE:JOB_SIZE + JOBS] = EMPTY_JOB
FRESH[PEND_SIZE:PEND_SIZE + PENDING] = -1
FRESH[PEND_VALUE:PEND_VALUE + PENDING] = -1
FRESH[PAID_PRICE:PAID_PRICE + PAID] = -1


def rings(capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, numbers) of `capacity` fresh states."""
    return np.zeros((capacity, BYTES), np.uint8), np.tile(FRESH, (capacity, 1))


def prices_table(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """An empty table of `capacity` price texts: (hash slots, [kind, length, id] per text,
    the texts, [texts, ids] in use)."""
    return (np.full(2 * capacity, -1, np.int64), np.zeros((capacity, 3), np.int64),
            np.zeros((capacity, PRICE_LEN), np.uint8), np.zeros(2, np.int64))


# --- a direction's place in its stream -----------------------------------------------------------

@njit(cache=True, nogil=True)
def set_seq(s, d, value):
    """The next sequence number expected in direction d."""
    if d == UP:
        s.seq_up = value
    else:
        s.seq_dn = value


@njit(cache=True, nogil=True)
def carry_len(s, d):
    """Bytes of an unfinished line or message held for direction d."""
    return s.carry_up if d == UP else s.carry_dn


@njit(cache=True, nogil=True)
def set_carry(s, d, n):
    if d == UP:
        s.carry_up = n
    else:
        s.carry_dn = n


# --- prices -------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def text_hash(kind, b, start, stop):
    """FNV-1a of b[start:stop], seeded with `kind` (ring entries are compared by it first)."""
    h = np.uint64(0xCBF29CE484222325) ^ np.uint64(kind)
    for k in range(start, stop):
        h = (h ^ np.uint64(b[k])) * np.uint64(0x100000001B3)
    return h


@njit(cache=True, nogil=True)
def key(b, start, stop):
    """text_hash as the rings keep it (an int64)."""
    return np.int64(text_hash(0, b, start, stop))


@njit(cache=True, nogil=True)
def price_slot(table, kind, b, start, stop):
    """The hash slot of the price text b[start:stop] of `kind`: where it is, or the empty slot
    where it belongs (negated - 1)."""
    slots, meta, texts, _ = table
    mask = np.uint64(len(slots) - 1)
    i = np.int64(text_hash(kind, b, start, stop) & mask)
    n = stop - start
    while True:
        e = slots[i]
        if e < 0:
            return -i - 1
        if meta[e, 0] == kind and meta[e, 1] == n and same(texts[e], 0, b, start, n):
            return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def price(table, kind, b, start, stop):
    """The id of a price text, -1 when Python has not interned it."""
    if stop - start > PRICE_LEN:
        return -1
    i = price_slot(table, kind, b, start, stop)
    return table[1][table[0][i], 2] if i >= 0 else -1


@njit(cache=True, nogil=True)
def intern(table, kind, b, start, stop):
    """A new id for the price text b[start:stop] of `kind`, which has none, when compiled code
    can be sure Python has none for its value either; -1 when it cannot (or the table is
    half full: Python grows it). Python takes the new prices in after the pass
    (`handoff.Prices.drain`). Sure are:

    - a difficulty written as Python writes its value: an integer of at most 15 digits
      (str(int(D))), or a decimal of at most 15 significant digits without an exponent or a
      trailing zero, from 0.0001 on (repr(D)). Decimals of 15 digits are distinct doubles, so
      no shorter text reads as the same value, and Python interns a difficulty with both of
      these texts: a text Python has not got names a new value. N and N.0 name one value; a
      new one gets both texts;
    - a target (kept as sent, as Python keeps it) of 1 to 64 hex digits after an optional 0x,
      as decode.stratum_v1.hex256 accepts it."""
    slots, meta, texts, top = table
    n = stop - start
    if top[0] + 2 > len(meta) // 2 or n > PRICE_LEN - 2:
        return -1
    if kind == DIFF:
        sibling = _canonical_difficulty(b, start, stop)
    elif kind == T256:
        sibling = 0 if _hex256(b, start, stop) else -1
    else:
        sibling = -1
    if sibling < 0:
        return -1
    pid = top[1]
    top[1] += 1
    _enter(table, kind, b[start:stop], pid)
    if sibling == 1:
        other = np.empty(n + 2, np.uint8)
        other[:n] = b[start:stop]
        other[n], other[n + 1] = 46, 48  # N.0
        _enter(table, kind, other, pid)
    elif sibling == 2:
        _enter(table, kind, b[start:stop - 2], pid)  # N
    return pid


@njit(cache=True, nogil=True)
def _enter(table, kind, text, pid):
    slots, meta, texts, top = table
    e, n = top[0], len(text)
    texts[e, :n] = text
    meta[e, 0], meta[e, 1], meta[e, 2] = kind, n, pid
    where = price_slot(table, kind, texts[e], 0, n)
    if where < 0:
        slots[-where - 1] = e
    top[0] += 1


@njit(cache=True, nogil=True)
def _canonical_difficulty(b, start, stop):
    """Whether b[start:stop] (a JSON number) is written as Python writes its value (see
    `intern`): -1 if not; else 1 for an integer N, 2 for N.0, 0 for another decimal."""
    dot = -1
    for q in range(start, stop):
        if b[q] == 46 and dot < 0:
            dot = q
        elif not 48 <= b[q] <= 57:
            return -1  # a sign, an exponent
    whole = (stop if dot < 0 else dot) - start
    if whole < 1 or whole > 15 or (whole > 1 and b[start] == 48):
        return -1
    if dot < 0:
        return 1 if b[start] != 48 else -1  # (0 is no difficulty)
    if dot == stop - 1:
        return -1
    if dot == stop - 2 and b[stop - 1] == 48:
        return 2 if b[start] != 48 else -1  # N.0 (0.0 is none)
    if b[stop - 1] == 48:
        return -1  # a trailing zero
    if b[start] != 48:
        return 0 if whole + (stop - dot - 1) <= 15 else -1
    q = dot + 1
    while b[q] == 48:
        q += 1
    return 0 if q - dot - 1 <= 3 and stop - q <= 15 else -1  # from 0.0001 on


@njit(cache=True, nogil=True)
def _hex256(b, start, stop):
    if stop - start >= 2 and b[start] == 48 and b[start + 1] == 120:
        start += 2
    if not 0 < stop - start <= 64:
        return False
    for q in range(start, stop):
        c = b[q]
        if not (48 <= c <= 57 or 97 <= c <= 102 or 65 <= c <= 70):
            return False
    return True


@njit(cache=True, nogil=True)
def same(stored, at, b, start, n):
    """Whether stored[at:at+n] holds b[start:start+n]."""
    for k in range(n):
        if stored[at + k] != b[start + k]:
            return False
    return True


# --- jobs ---------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def remember_job(rg, f, s, b, job):
    """Announce job = (start, stop, price id): the newest of the window, in the slot of the
    announcement that leaves it (one that repeats the announcement before it is none, as in
    JobWindow)."""
    rb, ri = rg
    start, stop, value = job
    n = stop - start
    h = key(b, start, stop)
    if s.jobs_n:
        last = (s.jobs_n - 1) % JOBS
        if ri[f, JOB_HASH + last] == h and ri[f, JOB_PRICE + last] == value \
                and ri[f, JOB_SIZE + last] == n \
                and same(rb[f], JOB_TEXT + last * JOB_LEN, b, start, n):
            return
    k = s.jobs_n % JOBS
    if ri[f, JOB_SIZE + k] == UNHELD_JOB:
        s.jobs_unheld -= 1
    at = JOB_TEXT + k * JOB_LEN
    rb[f, at:at + n] = b[start:stop]
    ri[f, JOB_SIZE + k], ri[f, JOB_HASH + k], ri[f, JOB_PRICE + k] = n, h, value
    s.jobs_n += 1


@njit(cache=True, nogil=True)
def seed_jobs(rg, f, data, jobs):
    """Put Python's window jobs into state f's ring: jobs = (sizes, slots, price ids) of the
    texts one after another in data (UTF-8). A text the ring cannot hold as compiled code
    reads it (longer than JOB_LEN, not printable ASCII, a quote or a backslash) marks its
    slot UNHELD_JOB; how many did."""
    rb, ri = rg
    sizes, slots, prices = jobs
    unheld, start = 0, 0
    for j in range(len(sizes)):
        n, k = sizes[j], slots[j]
        held = n <= JOB_LEN
        for q in range(start, start + n if held else start):
            c = data[q]
            if c < 0x20 or c > 0x7E or c == 0x22 or c == 0x5C:
                held = False
                break
        if held:
            at = JOB_TEXT + k * JOB_LEN
            rb[f, at:at + n] = data[start:start + n]
            ri[f, JOB_SIZE + k], ri[f, JOB_PRICE + k] = n, prices[j]
            ri[f, JOB_HASH + k] = key(data, start, start + n)
        else:
            ri[f, JOB_SIZE + k] = UNHELD_JOB
            unheld += 1
        start += n
    return unheld


@njit(cache=True, nogil=True)
def find_job(rg, f, s, b, span):
    """(found, price id) of a job id, newest first."""
    rb, ri = rg
    start, stop = span
    n = stop - start
    h = key(b, start, stop)
    for back in range(min(s.jobs_n, JOBS)):
        k = (s.jobs_n - 1 - back) % JOBS
        if ri[f, JOB_HASH + k] == h and ri[f, JOB_SIZE + k] == n \
                and same(rb[f], JOB_TEXT + k * JOB_LEN, b, start, n):
            return True, ri[f, JOB_PRICE + k]
    return False, -1


# --- pending requests ---------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def pending_at(rg, f, b, start, n):
    """The ring index of a pending request's id, -1 if none."""
    rb, ri = rg
    h = key(b, start, start + n)
    for k in range(PENDING):
        if ri[f, PEND_HASH + k] == h and ri[f, PEND_SIZE + k] == n \
                and same(rb[f], PEND_ID + k * ID_LEN, b, start, n):
            return k
    return -1


@njit(cache=True, nogil=True)
def pending_slot(rg, f, b, start, n):
    """Where a request with this id goes: its own entry (a repeated id replaces it, as in
    Python) or a free one; -1 when the ring is full."""
    k = pending_at(rg, f, b, start, n)
    if k >= 0:
        return k
    ri = rg[1]
    for j in range(PENDING):
        if ri[f, PEND_SIZE + j] < 0:
            return j
    return -1


@njit(cache=True, nogil=True)
def expect(rg, f, s, b, entry):
    """Remember a request: entry = (ring index, id start, id stop, kind, value: the price id of
    a share, the event method of a PLAIN request)."""
    rb, ri = rg
    k, start, stop, kind, value = entry
    n = stop - start
    at = PEND_ID + k * ID_LEN
    rb[f, at:at + n] = b[start:stop]
    s.pend_n += 1
    ri[f, PEND_SIZE + k], ri[f, PEND_KIND + k], ri[f, PEND_VALUE + k] = n, kind, value
    ri[f, PEND_HASH + k], ri[f, PEND_ORDER + k] = key(b, start, stop), s.pend_n


@njit(cache=True, nogil=True)
def forget(rg, f, k):
    """A pending request answered."""
    rg[1][f, PEND_SIZE + k] = -1


@njit(cache=True, nogil=True)
def paid(rg, f, value):
    """Count a share that stands for work at price id `value`; False when the table is full."""
    ri = rg[1]
    for k in range(PAID):
        if ri[f, PAID_COUNT + k] > 0 and ri[f, PAID_PRICE + k] == value:
            ri[f, PAID_COUNT + k] += 1
            return True
    for k in range(PAID):
        if ri[f, PAID_COUNT + k] == 0:
            ri[f, PAID_PRICE + k], ri[f, PAID_COUNT + k] = value, 1
            return True
    return False


# --- events -------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def room(out, size):
    """Whether one more event with `size` bytes of text fits."""
    events, arena, count = out[0], out[1], out[2]
    return count[0] < len(events) and count[1] + max(size, 0) + 8 <= len(arena)


@njit(cache=True, nogil=True)
def event(out, what, b, spans):
    """One event row: what = (state, ts, direction, method, price, accepted or -1, hint, rig),
    spans = (start, stop) of the id, job and login texts in b (stop -1: null)."""
    events, arena, count = out[0], out[1], out[2]
    e = events[count[0]]
    count[0] += 1
    f, ts, d, method, value, accepted, hint, rig = what
    e.state, e.ts, e.direction, e.method, e.price = f, ts, d, method, value
    e.accepted, e.hint, e.rig = accepted, hint, rig
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
