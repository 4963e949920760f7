"""The compiled book of a pool session in its steady state (see `detect.steady`): one row of
`STATE`, its rings (jobs, pending requests, paid shares, the unfinished line of each
direction), the table of price texts Python interned, and event rows with an arena of text.

Every ring here refuses rather than forgets: a full ring or buffer makes the caller hand the
session back to Python, which remembers more, so nothing Python would have remembered is lost.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.detect.stratum import STEADY_CARRY

SV1, ES1, ETHPROXY = 1, 2, 3  # dialects read in compiled code
DIALECTS = {"stratum-v1": SV1, "ethereumstratum-1.0": ES1, "ethproxy": ETHPROXY}
FREE, LIVE, RETURNED = 0, 1, 2  # state of a STATE row
UP, DOWN = 0, 1
# event methods (the `method` column)
NOTIFY, SUBMIT, SET_DIFFICULTY, RESULT, ERROR, GET_WORK, SUBMIT_WORK, SUBMIT_HASHRATE, \
    SET_TARGET = range(1, 10)
METHODS = ("", "mining.notify", "mining.submit", "mining.set_difficulty", "result", "error",
           "eth_getWork", "eth_submitWork", "eth_submitHashrate", "mining.set_target")
ETHASH, EQUIHASH = 1, 2  # job shapes (the `shape` of a state, the `hint` of an event)
SHAPES = ("", "ethash", "equihash")
DIFF, T256 = 1, 2  # price kinds: ("diff", D), ("t256", hex)
KINDS = {"diff": DIFF, "t256": T256}
SHARE, PLAIN, OTHER = 1, 2, 3  # a pending request: a share; a reply means nothing; Python's
# why a state was handed back to Python (its `why`)
WHY = ("", "SYN, FIN or RST", "a long pause", "out of order", "a line too long",
       "not sure of the JSON", "a message read only in Python", "a price not interned",
       "a job or request maybe forgotten", "an error or a reply Python reads",
       "an id or job id it cannot hold", "full buffers")
(WHY_FLAGS, WHY_IDLE, WHY_SEQUENCE, WHY_CARRY, WHY_JSON, WHY_METHOD, WHY_PRICE, WHY_FORGOTTEN,
 WHY_ERROR, WHY_ID, WHY_ROOM) = range(1, len(WHY))

JOBS, JOB_LEN = 64, 72  # jobs remembered here (newest first), job id bytes
PENDING, ID_LEN = 64, 24  # unanswered requests remembered here, id text bytes
PAID = 16  # distinct prices of the shares that stand for work
CARRY = STEADY_CARRY  # bytes of an unfinished line held per direction
PRICE_LEN = 72  # bytes of a price's text (a difficulty, or 0x and 64 hex digits)

STATE = np.dtype([
    ("live", "u1"), ("dialect", "u1"), ("priced", "u1"), ("jobs_lost", "u1"),
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
    ("lines_up", "i8"), ("lines_dn", "i8"), ("jobs_n", "i8"), ("jobs_seeded", "i8"),
    ("pend_n", "i8"),
    ("reported", "f8"),  # the last self-reported hashrate, H/s (NaN: none here)
    ("ts_first", "f8"), ("ts_last", "f8"),  # payload chunks read here
    ("pkt_last", "f8"),  # the last packet read here (the reassembler's last_ts)
    ("last_row", "i8"),  # its row in this batch (touched set)
    ("why", "u1"),  # why it was handed back (WHY)
])
EVENT = np.dtype([
    ("state", "i4"), ("ts", "f8"), ("direction", "u1"), ("method", "u1"), ("price", "i4"),
    ("accepted", "i1"),  # -1: none
    ("hint", "u1"),  # a job's shape, its algorithm hint (SHAPES)
    ("rig", "u1"),  # 1: `login` is ETHProxy's worker name itself, not a login to split
    ("id_off", "i8"), ("id_len", "i4"), ("job_off", "i8"), ("job_len", "i4"),
    ("login_off", "i8"), ("login_len", "i4"),  # lengths -1: null
])
# rings beside STATE, by index
CARRIED, JOB_TEXT, JOB_SIZE, JOB_PRICE, PEND_ID, PEND_SIZE, PEND_KIND, PEND_VALUE, PEND_ORDER, \
    PAID_PRICE, PAID_COUNT = range(11)


def rings(capacity: int) -> tuple:
    """The per-state arrays beside STATE (indexed as CARRIED ... PAID_COUNT)."""
    return (np.zeros((capacity, 2, CARRY), np.uint8),
            np.zeros((capacity, JOBS, JOB_LEN), np.uint8), np.zeros((capacity, JOBS), np.int32),
            np.full((capacity, JOBS), -1, np.int32),
            np.zeros((capacity, PENDING, ID_LEN), np.uint8),
            np.full((capacity, PENDING), -1, np.int32), np.zeros((capacity, PENDING), np.uint8),
            np.full((capacity, PENDING), -1, np.int32), np.zeros((capacity, PENDING), np.int64),
            np.full((capacity, PAID), -1, np.int32), np.zeros((capacity, PAID), np.int64))


# --- prices -------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _text_hash(kind, b, start, stop):
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
    i = np.int64(_text_hash(kind, b, start, stop) & mask)
    n = stop - start
    while True:
        e = slots[i]
        if e < 0:
            return -i - 1
        if kinds[e] == kind and lengths[e] == n and same(texts[e], b, start, n):
            return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def price(table, kind, b, start, stop):
    """The id of a price text, -1 when Python has not interned it."""
    if stop - start > PRICE_LEN:
        return -1
    i = price_slot(table, kind, b, start, stop)
    return table[4][table[0][i]] if i >= 0 else -1


@njit(cache=True, nogil=True)
def same(stored, b, start, n):
    for k in range(n):
        if stored[k] != b[start + k]:
            return False
    return True


# --- jobs ---------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def job_room(s):
    """Whether a new job fits without forgetting one Python has not seen (only the copies of
    Python's own jobs, seeded at the hand-off, may be overwritten)."""
    return s.jobs_n - s.jobs_seeded < JOBS


@njit(cache=True, nogil=True)
def remember_job(rg, f, s, b, job):
    """Remember job = (start, stop, price id) as the newest."""
    start, stop, value = job
    k = s.jobs_n % JOBS
    if s.jobs_n >= JOBS:
        s.jobs_lost = 1  # a copy of one of Python's jobs goes: a miss may be Python's
    rg[JOB_TEXT][f, k, :stop - start] = b[start:stop]
    rg[JOB_SIZE][f, k] = stop - start
    rg[JOB_PRICE][f, k] = value
    s.jobs_n += 1


@njit(cache=True, nogil=True)
def find_job(rg, f, s, b, span):
    """(found, price id) of a job id, newest first."""
    start, stop = span
    n = stop - start
    for back in range(min(s.jobs_n, JOBS)):
        k = (s.jobs_n - 1 - back) % JOBS
        if rg[JOB_SIZE][f, k] == n and same(rg[JOB_TEXT][f, k], b, start, n):
            return True, rg[JOB_PRICE][f, k]
    return False, -1


# --- pending requests ---------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def pending_at(rg, f, b, start, n):
    """The ring index of a pending request's id, -1 if none."""
    ids, sizes = rg[PEND_ID], rg[PEND_SIZE]
    for k in range(PENDING):
        if sizes[f, k] == n and same(ids[f, k], b, start, n):
            return k
    return -1


@njit(cache=True, nogil=True)
def pending_slot(rg, f, b, start, n):
    """Where a request with this id goes: its own entry (a repeated id replaces it, as in
    Python) or a free one; -1 when the ring is full."""
    k = pending_at(rg, f, b, start, n)
    if k >= 0:
        return k
    for j in range(PENDING):
        if rg[PEND_SIZE][f, j] < 0:
            return j
    return -1


@njit(cache=True, nogil=True)
def expect(rg, f, s, b, entry):
    """Remember a request: entry = (ring index, id start, id stop, kind, value: the price id of
    a share, the event method of a PLAIN request)."""
    k, start, stop, kind, value = entry
    n = stop - start
    rg[PEND_ID][f, k, :n] = b[start:stop]
    rg[PEND_SIZE][f, k], rg[PEND_KIND][f, k], rg[PEND_VALUE][f, k] = n, kind, value
    s.pend_n += 1
    rg[PEND_ORDER][f, k] = s.pend_n


@njit(cache=True, nogil=True)
def paid(rg, f, value):
    """Count a share that stands for work at price id `value`; False when the table is full."""
    prices, counts = rg[PAID_PRICE], rg[PAID_COUNT]
    for k in range(PAID):
        if counts[f, k] > 0 and prices[f, k] == value:
            counts[f, k] += 1
            return True
    for k in range(PAID):
        if counts[f, k] == 0:
            prices[f, k], counts[f, k] = value, 1
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
