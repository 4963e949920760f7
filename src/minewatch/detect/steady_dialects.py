"""The messages of a pool session's steady state, compiled, dialect by dialect: what
`StratumSession`'s handlers do with them, on the book of `detect.steady_book`.

- Stratum v1 and EthereumStratum/1.0.0: `mining.notify` in the dialect's own job shape (nine
  fields with a merkle list, ZIP 301's eight once that shape is a fact; [job, seed, header,
  clean]), `mining.set_difficulty`, `mining.set_target`, `mining.submit` ([login, job, ...])
  and the pool's replies.
- ETHProxy (over TCP, and over HTTP as framed by `detect.steady_http`): `eth_submitWork`
  [nonce, header, mix], `eth_submitHashrate` [rate, id], `eth_getWork`, work packages
  ([header, seed, boundary(, height)] as a result, pushed or in reply) and the pool's replies;
  a "worker" key beside the params names the rig.

Each handler returns 0 when it read and booked the message, else a WHY code, having changed
nothing: every check comes before the first write.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.decode import jsonscan as js
from minewatch.decode.stratum_v1 import SOLUTION_OVER
from minewatch.detect import steady_book as bk
from minewatch.detect.stratum import STALE_WORDS

_NOTIFY = np.frombuffer(b"mining.notify", np.uint8)
_SUBMIT = np.frombuffer(b"mining.submit", np.uint8)
_SET_DIFFICULTY = np.frombuffer(b"mining.set_difficulty", np.uint8)
_SET_TARGET = np.frombuffer(b"mining.set_target", np.uint8)
_SUBMIT_WORK = np.frombuffer(b"eth_submitWork", np.uint8)
_SUBMIT_HASHRATE = np.frombuffer(b"eth_submitHashrate", np.uint8)
_GET_WORK = np.frombuffer(b"eth_getWork", np.uint8)
_JOB = np.frombuffer(b"job", np.uint8)
_CN_SUBMIT = np.frombuffer(b"submit", np.uint8)
_KEEPALIVED = np.frombuffer(b"keepalived", np.uint8)
_STALE_WORDS = np.zeros((len(STALE_WORDS), max(map(len, STALE_WORDS))), np.uint8)
_STALE_LENS = np.array([len(w) for w in STALE_WORDS], np.int64)
for _k, _word in enumerate(STALE_WORDS):
    _STALE_WORDS[_k, :len(_word)] = np.frombuffer(_word.encode(), np.uint8)
STALE, INVALID = 1, 2  # why a pool refused a share (_rejection)
_JOB_ID, _BLOB, _TARGET, _ALGO, _NONCE, _RESULT, _STATUS, _OK = (
    np.frombuffer(w, np.uint8) for w in (b"job_id", b"blob", b"target", b"algo", b"nonce",
                                         b"result", b"status", b"OK"))
_NONE = (0, -1)  # an absent text


@njit(cache=True, nogil=True)
def message(b, d, at, work, out):
    """A line jsonscan read surely (its tokens in work[4]); at = (state, ts)."""
    tok = work[4]
    kind = tok[3 * js.METHOD]
    if kind == js.STRING:
        dialect = work[0][at[0]].dialect
        if dialect == bk.CRYPTONOTE:
            return _cn_request(b, d, at, work, out)
        if dialect >= bk.ETHPROXY:
            return _eth_request(b, d, at, work, out) if d == bk.UP else bk.WHY_METHOD
        return _request(b, d, at, work, out)
    if kind == js.ABSENT or kind == js.NULL:
        return _reply(b, at, work, out) if d == bk.DOWN else bk.WHY_METHOD
    return bk.WHY_METHOD


@njit(cache=True, nogil=True, inline="always")
def _msg_id(b, tok):
    """(start, stop) of the message id's text as jsonrpc.id_text writes it; (0, -1) for none
    (absent or null); (-1, -1) for an id read only in Python (floats, "-0", lists, long)."""
    kind, start, stop = tok[3 * js.ID], tok[3 * js.ID + 1], tok[3 * js.ID + 2]
    if kind == js.ABSENT or kind == js.NULL:
        return 0, -1
    if stop - start > bk.ID_LEN or not (kind == js.STRING or kind == js.INT):
        return -1, -1
    if kind == js.INT and stop - start == 2 and b[start] == 45 and b[start + 1] == 48:
        return -1, -1  # -0 is 0 to json.loads
    return start, stop


# --- Stratum v1 and EthereumStratum -------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _request(b, d, at, work, out):
    tok = work[4]
    if tok[3 * js.PARAMS] != js.ARRAY:
        return bk.WHY_METHOD
    if js.is_text(b, tok, js.METHOD, _SUBMIT):
        return _submit(b, at, work, out) if d == bk.UP else bk.WHY_METHOD
    if d != bk.DOWN:
        return bk.WHY_METHOD
    if js.is_text(b, tok, js.METHOD, _NOTIFY):
        return _notify(b, at, work, out)
    if js.is_text(b, tok, js.METHOD, _SET_DIFFICULTY):
        return _set_price(b, at, (bk.DIFF, bk.SET_DIFFICULTY), work, out)
    if js.is_text(b, tok, js.METHOD, _SET_TARGET):
        return _set_price(b, at, (bk.T256, bk.SET_TARGET), work, out)
    return bk.WHY_METHOD


@njit(cache=True, nogil=True, inline="always")
def _notify(b, at, work, out):
    """mining.notify in the dialect's own job shape, priced by the difficulty announced."""
    f, ts = at
    st, tok = work[0], work[4]
    s = st[f]
    count = tok[js.COUNT]
    if s.dialect == bk.SV1 and count >= 9 and tok[js.ITEM0 + 3 * 4] == js.ARRAY:
        if not js.strings(tok, 0, 4) or not js.strings(tok, 5, 8) \
                or not js.only_strings(b, js.item(tok, 4)):
            return bk.WHY_METHOD
        hint = 0
    elif s.dialect == bk.SV1:  # ZIP 301's [job, version, prevhash, merkleroot, reserved,
        flag = tok[js.ITEM0 + 3 * 7]  # time, bits, clean, ...], once its shape is a fact
        if count < 8 or not (flag == js.TRUE or flag == js.FALSE) or not js.strings(tok, 0, 7) \
                or s.shape != bk.EQUIHASH:
            return bk.WHY_METHOD
        hint = bk.EQUIHASH
    else:  # EthereumStratum's [job, seed, header, clean]
        flag = tok[js.ITEM0 + 3 * 3]
        if count != 4 or not js.strings(tok, 0, 3) or not (flag == js.TRUE or flag == js.FALSE):
            return bk.WHY_METHOD
        hint = bk.ETHASH
    _, j0, j1 = js.item(tok, 0)
    return _job(b, (f, ts, j0, j1, s.next_price, hint, bk.NOTIFY), work, out)


@njit(cache=True, nogil=True, inline="always")
def _job(b, what, work, out):
    """A job: what = (state, ts, job id start, stop, price id, hint, event method)."""
    f, ts, j0, j1, value, hint, method = what
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    i0, i1 = _msg_id(b, tok)
    if j1 - j0 > bk.JOB_LEN or i0 < 0:
        return bk.WHY_ID
    if not bk.room(out, (i1 - i0) + (j1 - j0)):
        return bk.WHY_ROOM
    bk.remember_job(rg, f, s, b, (j0, j1, value))
    if value >= 0:
        s.last_price = value
    bk.event(out, (f, ts, bk.DOWN, method, value, -1, hint, 0), b, (i0, i1, j0, j1, 0, -1))
    return 0


@njit(cache=True, nogil=True, inline="always")
def _submit(b, at, work, out):
    """mining.submit: [login, job, ...] (Stratum v1's five or more strings, EthereumStratum's
    three)."""
    f = at[0]
    tok = work[4]
    count = tok[js.COUNT]
    if not (count >= 5 or (work[0][f].dialect == bk.ES1 and count == 3)) \
            or not js.strings(tok, 0, min(count, 5)):
        return bk.WHY_METHOD
    if count >= 5 and work[0][f].shape != bk.EQUIHASH:
        _, s0, s1 = js.item(tok, 4)
        if s1 - s0 > SOLUTION_OVER:
            return bk.WHY_METHOD  # its Equihash solution names the parameter set: Python's
    _, l0, l1 = js.item(tok, 0)
    _, j0, j1 = js.item(tok, 1)
    return _share(b, at, (j0, j1, l0, l1, bk.SUBMIT, 0), work, out)


@njit(cache=True, nogil=True, inline="always")
def _share(b, at, what, work, out):
    """A share for job b[j0:j1], what = (j0, j1, login or worker start, stop, method, rig);
    priced by its job, else the latest job's price, else the announced one."""
    f, ts = at
    j0, j1, l0, l1, method, rig = what
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    i0, i1 = _msg_id(b, tok)
    if i0 < 0 or j1 - j0 > bk.JOB_LEN:
        return bk.WHY_ID
    found, value = bk.find_job(rg, f, s, b, (j0, j1))
    if not found and s.jobs_unheld:
        return bk.WHY_FORGOTTEN  # Python may hold the job
    if value < 0:
        value = s.last_price if s.last_price >= 0 else s.next_price
    k = bk.pending_slot(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if not bk.room(out, (i1 - i0) + (j1 - j0) + (l1 - l0)) or (i1 >= 0 and k < 0):
        return bk.WHY_ROOM
    if i1 >= 0:
        bk.expect(rg, f, s, b, (k, i0, i1, bk.SHARE, value))
    s.shares += 1
    bk.event(out, (f, ts, bk.UP, method, value, -1, 0, rig), b, (i0, i1, j0, j1, l0, l1))
    return 0


@njit(cache=True, nogil=True, inline="always")
def _set_price(b, at, what, work, out):
    """mining.set_difficulty [number] or mining.set_target [hex]: the price of jobs to come;
    what = (price kind, event method). A new text is interned here when that is sure
    (steady_book.intern)."""
    f, ts = at
    price_kind, method = what
    st, prices, tok = work[0], work[2], work[4]
    s = st[f]
    kind, p0, p1 = js.item(tok, 0)
    wanted = kind == js.STRING if price_kind == bk.T256 else (kind == js.INT or kind == js.NUMBER)
    if tok[js.COUNT] < 1 or not wanted:
        return bk.WHY_METHOD
    if not s.priced:  # the first difficulty is a fact Python writes
        return bk.WHY_PRICE
    i0, i1 = _msg_id(b, tok)
    if i0 < 0:
        return bk.WHY_ID
    if not bk.room(out, i1 - i0):
        return bk.WHY_ROOM
    value = bk.price(prices, price_kind, b, p0, p1)
    value = value if value >= 0 else bk.intern(prices, price_kind, b, p0, p1)
    if value < 0:
        return bk.WHY_PRICE
    if value != s.next_price:
        s.repriced += 1
        s.repriced_last = value
    s.next_price = value
    bk.event(out, (f, ts, bk.DOWN, method, value, -1, 0, 0), b, (i0, i1, 0, -1, 0, -1))
    return 0


# --- ETHProxy -----------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _eth_request(b, d, at, work, out):
    tok = work[4]
    if js.is_text(b, tok, js.METHOD, _GET_WORK):
        return _plain(b, at, (bk.GET_WORK, 0, -1), work, out)
    w0, w1 = _rig(tok, work[0][at[0]])
    if w0 < 0:
        return bk.WHY_METHOD  # the session learns its worker name from this message
    if js.is_text(b, tok, js.METHOD, _SUBMIT_WORK):
        if tok[3 * js.PARAMS] != js.ARRAY or not js.strings(tok, 0, 3):
            return bk.WHY_METHOD
        _, j0, j1 = js.item(tok, 1)
        return _share(b, at, (j0, j1, w0, w1, bk.SUBMIT_WORK, 1), work, out)
    if js.is_text(b, tok, js.METHOD, _SUBMIT_HASHRATE):
        return _hashrate(b, at, (w0, w1), work, out)
    return bk.WHY_METHOD


@njit(cache=True, nogil=True, inline="always")
def _rig(tok, s):
    """The span of the "worker" key's string (0, -1: none); (-1, -1) when it would name the
    session's worker for the first time (Python's to record)."""
    if tok[3 * js.WORKER] != js.STRING:
        return _NONE
    if not s.worker_set:
        return -1, -1
    return tok[3 * js.WORKER + 1], tok[3 * js.WORKER + 2]


@njit(cache=True, nogil=True, inline="always")
def _plain(b, at, what, work, out):
    """A request whose reply tells nothing (eth_getWork, eth_submitHashrate): remembered by
    id, what = (method, worker start, stop)."""
    f, ts = at
    method, w0, w1 = what
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    i0, i1 = _msg_id(b, tok)
    if i0 < 0:
        return bk.WHY_ID
    k = bk.pending_slot(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if not bk.room(out, (i1 - i0) + (w1 - w0)) or (i1 >= 0 and k < 0):
        return bk.WHY_ROOM
    if i1 >= 0:
        bk.expect(rg, f, s, b, (k, i0, i1, bk.PLAIN, method))
    bk.event(out, (f, ts, bk.UP, method, -1, -1, 0, 1), b, (i0, i1, 0, -1, w0, w1))
    return 0


@njit(cache=True, nogil=True, inline="always")
def _hashrate(b, at, rig, work, out):
    """eth_submitHashrate [rate, id]: the rate (hex) kept as the session's self-report."""
    s, tok = work[0][at[0]], work[4]
    if tok[3 * js.PARAMS] != js.ARRAY or not js.strings(tok, 0, 2) or not s.rate_told:
        return bk.WHY_METHOD
    _, r0, r1 = js.item(tok, 0)
    rate = _hex_rate(b, r0, r1)
    if rate < 0:
        return bk.WHY_METHOD  # not hex: Python's to judge
    why = _plain(b, at, (bk.SUBMIT_HASHRATE, rig[0], rig[1]), work, out)
    if why == 0:
        s.reported = rate
    return why


@njit(cache=True, nogil=True)
def _hex_rate(b, start, stop):
    """float(int(text, 16)) for hex digits after an optional "0x", at most 16 of them after
    the leading zeros (ethminer pads the rate to 64); -1 else."""
    if stop - start >= 2 and b[start] == 48 and (b[start + 1] == 120 or b[start + 1] == 88):
        start += 2
    if start == stop:
        return -1.0
    while stop - start > 1 and b[start] == 48:
        start += 1
    if stop - start > 16:
        return -1.0
    v = np.uint64(0)
    for k in range(start, stop):
        c = b[k]
        digit = c - 48 if 48 <= c <= 57 else c - 87 if 97 <= c <= 102 else \
            c - 55 if 65 <= c <= 70 else -1
        if digit < 0:
            return -1.0
        v = (v << np.uint64(4)) | np.uint64(digit)
    return float(v)


@njit(cache=True, nogil=True, inline="always")
def _work(b, at, work, out):
    """A work package [header, seed, boundary(, height)], all 0x-hex: a job priced by its
    boundary, which answers (and ends) the request of its id, whatever that was."""
    f, ts = at
    st, rg, prices, tok = work[0], work[1], work[2], work[4]
    s = st[f]
    count = tok[js.COUNT]
    if not 3 <= count <= 4 or not js.strings(tok, 0, 3):
        return bk.WHY_METHOD
    for j in range(3):
        _, start, stop = js.item(tok, j)
        if stop - start < 2 or b[start] != 48 or b[start + 1] != 120:
            return bk.WHY_METHOD
    _, p0, p1 = js.item(tok, 2)
    value = bk.price(prices, bk.T256, b, p0, p1)
    value = value if value >= 0 else bk.intern(prices, bk.T256, b, p0, p1)
    if value < 0:
        return bk.WHY_PRICE
    i0, i1 = _msg_id(b, tok)
    k = bk.pending_at(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if i1 >= 0 and k < 0 and s.pend_lost:
        return bk.WHY_FORGOTTEN
    _, j0, j1 = js.item(tok, 0)
    why = _job(b, (f, ts, j0, j1, value, bk.ETHASH, bk.RESULT), work, out)
    if why == 0 and k >= 0:
        bk.forget(rg, f, k)
    return why


# --- replies ------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _reply(b, at, work, out):
    """A reply from the pool: to a share (accepted when the result is true and there is no
    error; a false or null result without an error is a rejection without a reason), to a
    request whose reply tells nothing, or to nothing remembered (counted as unmatched, as
    Python does). ETHProxy's list results are work packages."""
    f, ts = at
    st, rg, tok = work[0], work[1], work[4]
    s = st[f]
    error, result = tok[3 * js.ERROR], tok[3 * js.RESULT]
    cn = s.dialect == bk.CRYPTONOTE
    erred = error != js.ABSENT and error != js.NULL
    if result == js.ARRAY and s.dialect >= bk.ETHPROXY and not cn and not erred:
        return _work(b, at, work, out)
    if erred and (cn or not (result == js.ABSENT or result == js.NULL or result == js.FALSE)):
        return bk.WHY_ERROR  # CryptoNote's error objects, and odd results, are Python's
    if result == js.ARRAY or (result == js.OBJECT and not (cn and _cn_status(b, tok))):
        return bk.WHY_ERROR  # a list or an object may be a job
    i0, i1 = _msg_id(b, tok)
    if i0 < 0:
        return bk.WHY_ID
    if not bk.room(out, i1 - i0):
        return bk.WHY_ROOM
    method = bk.ERROR if erred else bk.RESULT
    k = bk.pending_at(rg, f, b, i0, i1 - i0) if i1 >= 0 else -1
    if k < 0:
        if s.pend_lost:
            return bk.WHY_FORGOTTEN
        s.unmatched += 1
        bk.event(out, (f, ts, bk.DOWN, method, -1, -1, 0, 0), b, (i0, i1, 0, -1, 0, -1))
        return 0
    kind = rg[1][f, bk.PEND_KIND + k]
    if kind == bk.PLAIN:
        bk.forget(rg, f, k)
        bk.event(out, (f, ts, bk.DOWN, method, -1, -1, 0, 0), b, (i0, i1, 0, -1, 0, -1))
        return 0
    if kind != bk.SHARE:
        return bk.WHY_ERROR
    why = _rejection(b, tok) if erred else 0
    if why < 0:
        return bk.WHY_ERROR  # an error whose text Python must read
    value = rg[1][f, bk.PEND_VALUE + k]
    ok = not erred and (result == js.TRUE or (cn and result == js.OBJECT and _cn_ok(b, tok)))
    if why != INVALID and not bk.paid(rg, f, value):  # (an invalid share stands for no work)
        return bk.WHY_ROOM
    bk.forget(rg, f, k)
    if ok:
        s.accepted += 1
    elif why == STALE:
        s.stale += 1
    elif why == INVALID:
        s.invalid += 1
    else:
        s.rejected += 1
    bk.event(out, (f, ts, bk.DOWN, method, value, 1 if ok else 0, 0, 0), b,
             (i0, i1, 0, -1, 0, -1))
    return 0


@njit(cache=True, nogil=True)
def _rejection(b, tok):
    """Why a pool refused a share, from an error [code, "message", ...] as
    detect.stratum._rejection reads it: STALE when the message names a stale word, INVALID
    for any other message; -1 for another error shape or a blank message (Python reads
    those: it falls back to the error's repr)."""
    error = (tok[3 * js.ERROR], tok[3 * js.ERROR + 1], tok[3 * js.ERROR + 2])
    if error[0] != js.ARRAY:
        return -1
    kind, m0, m1 = js.list_item(b, error, 1)
    if kind != js.STRING:
        return -1
    blank = True
    for q in range(m0, m1):
        blank = blank and b[q] == 32  # (a sure string holds no other white space)
    if blank:
        return -1
    for w in range(len(_STALE_LENS)):
        n = _STALE_LENS[w]
        for q in range(m0, m1 - n + 1):
            k = 0
            while k < n and (b[q + k] | 32 if 65 <= b[q + k] <= 90 else b[q + k]) \
                    == _STALE_WORDS[w, k]:
                k += 1
            if k == n:
                return STALE
    return INVALID


# --- CryptoNote ---------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _cn_request(b, d, at, work, out):
    """submit and keepalived from the miner, job from the pool; their params are objects."""
    tok = work[4]
    if d == bk.DOWN:
        return _cn_job(b, at, work, out) if js.is_text(b, tok, js.METHOD, _JOB) else bk.WHY_METHOD
    if js.is_text(b, tok, js.METHOD, _CN_SUBMIT):
        return _cn_submit(b, at, work, out)
    if js.is_text(b, tok, js.METHOD, _KEEPALIVED):
        return _plain(b, at, (bk.KEEPALIVED, 0, -1), work, out)
    return bk.WHY_METHOD


@njit(cache=True, nogil=True, inline="always")
def _algo(b, tok, s, rb):
    """What a job's or a share's "algo" member does: 0 nothing new, 1 names the session's
    algo (an event hint), -1 would change it (Python's to record)."""
    kind, a0, a1 = js.member(b, tok, _ALGO)
    if kind != js.STRING or a0 == a1:
        return 0  # absent, not a string, or "": StratumSession keeps what it had
    if s.algo_len != a1 - a0 or not bk.same(rb, bk.ALGO_TEXT, b, a0, a1 - a0):
        return -1
    return 1


@njit(cache=True, nogil=True, inline="always")
def _cn_submit(b, at, work, out):
    """submit {id, job_id, nonce, result(, algo)}: a share, priced by its job."""
    s, tok, rb = work[0][at[0]], work[4], work[1][0][at[0]]
    if not js.members(tok, js.PARAMS):
        return bk.WHY_METHOD
    kind, j0, j1 = js.member(b, tok, _JOB_ID)
    if kind != js.STRING or js.member(b, tok, _NONCE)[0] != js.STRING \
            or js.member(b, tok, _RESULT)[0] != js.STRING or _algo(b, tok, s, rb) < 0:
        return bk.WHY_METHOD
    return _share(b, at, (j0, j1, 0, -1, bk.CN_SUBMIT, 0), work, out)


@njit(cache=True, nogil=True, inline="always")
def _cn_job(b, at, work, out):
    """job {blob, job_id, target(, algo, height, seed_hash, id)}: priced by its target."""
    f, ts = at
    s, prices, tok, rb = work[0][f], work[2], work[4], work[1][0][f]
    if not js.members(tok, js.PARAMS):
        return bk.WHY_METHOD
    kind, j0, j1 = js.member(b, tok, _JOB_ID)
    target, t0, t1 = js.member(b, tok, _TARGET)
    named = _algo(b, tok, s, rb)
    if kind != js.STRING or target != js.STRING or js.member(b, tok, _BLOB)[0] != js.STRING \
            or named < 0:
        return bk.WHY_METHOD
    value = bk.price(prices, bk.CN, b, t0, t1)
    if value < 0:
        return bk.WHY_PRICE
    return _job(b, (f, ts, j0, j1, value, bk.ALGO if named else 0, bk.JOB), work, out)


@njit(cache=True, nogil=True, inline="always")
def _cn_status(b, tok):
    """Whether an object result is a plain reply (no job in it: a login or getjob answer)."""
    if not js.members(tok, js.RESULT):
        return False
    return js.member(b, tok, _JOB)[0] == js.ABSENT and not (
        js.member(b, tok, _BLOB)[0] != js.ABSENT and js.member(b, tok, _JOB_ID)[0] != js.ABSENT)


@njit(cache=True, nogil=True, inline="always")
def _cn_ok(b, tok):
    """cryptonote.accepted: a result whose "status" is "OK"."""
    kind, s0, s1 = js.member(b, tok, _STATUS)
    return kind == js.STRING and s1 - s0 == 2 and js.is_at(b, s0, s1, _OK)
