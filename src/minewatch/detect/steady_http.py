"""ETHProxy over HTTP in a pool session's steady state, compiled: the POSTs of an ethminer
polling its pool and the pool's answers, framed as `decode.http.HttpFramer` frames them and
read as `StratumSession._http_message` reads them.

A poller sends the same request head every few seconds, so a request is read here only when
its head says what the last one said (Host, User-Agent, X-Mining-Extensions, Authorization and
the target, compared by a hash of them that Python computed at the hand-off), and a response
only when its Server header is the one already known. HTTP/1.1 answers in request order:
the ids of the requests read wait in a FIFO, and a response takes the oldest, as Python pairs
them. Anything else goes back to Python: chunked or unbounded bodies, folded or malformed
headers, other methods, a body that is no JSON-RPC object, a FIFO that is full.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from minewatch.decode import jsonscan as js
from minewatch.detect import steady_book as bk
from minewatch.detect.steady_dialects import message

MAX_HEADERS = 128  # decode.http.MAX_HEADERS
# the header names read here, lower case, and their places in a head's `fields`
HOST, USER_AGENT, EXTENSIONS, AUTHORIZATION, SERVER, LENGTH, ENCODING = range(7)
_NAMES = [b"host", b"user-agent", b"x-mining-extensions", b"authorization", b"server",
          b"content-length", b"transfer-encoding"]
_NAME_WORDS = np.zeros((len(_NAMES), 24), np.uint8)
_NAME_LENS = np.array([len(n) for n in _NAMES], np.int64)
FIELDS = len(_NAMES)
for _k, _name in enumerate(_NAMES):
    _NAME_WORDS[_k, :len(_name)] = np.frombuffer(_name, np.uint8)
_POST = np.frombuffer(b"POST ", np.uint8)
_HTTP1 = np.frombuffer(b"HTTP/1.", np.uint8)


@njit(cache=True, nogil=True)
def messages(b, total, where, work, out):
    """Read the HTTP messages of b[0:total] (the carry, then the packet's payload): the offset
    in b of the first byte Python must read, or -1 when all of it is read (an unfinished
    message left in the carry)."""
    f, d, ts = where
    s = work[0][f]
    q = 0
    while q < total:
        end, why = _frame(b, q, total, (f, d, ts), work, out)
        if why:
            s.why = why
            return q
        if end < 0:
            if total - q > bk.CARRY:
                s.why = bk.WHY_CARRY
                return q
            base = bk.CARRIED + d * bk.CARRY
            work[1][0][f, base:base + total - q] = b[q:total]
            bk.set_carry(s, d, total - q)
            return -1
        q = end
    bk.set_carry(s, d, 0)
    return -1


@njit(cache=True, nogil=True)
def _head_end(b, q, stop):
    """(end of the head, length of the blank line after it) from q, (-1, 0) if not yet in:
    the first "\\r\\n\\r\\n" or "\\n\\n", as decode.http._head_end finds it."""
    for i in range(q, stop):
        if b[i] == 10 and i + 1 < stop and b[i + 1] == 10:
            return i, 2
        if b[i] == 13 and i + 3 < stop and b[i + 1] == 10 and b[i + 2] == 13 and b[i + 3] == 10:
            return i, 4
    return -1, 0


@njit(cache=True, nogil=True)
def _frame(b, q, stop, where, work, out):
    """The message at b[q:]: (its end, 0) once read, (-1, 0) when not all in yet, (0, why)
    for one Python must read."""
    end, sep = _head_end(b, q, stop)
    if end < 0:
        return -1, 0
    fields = work[5]
    fields[:] = -1
    request, status, first = _start_line(b, q, end)
    if status < 0 or not _headers(b, first, end, fields):
        return 0, bk.WHY_METHOD
    body, length = end + sep, _length(b, fields, request, status)
    if length < 0:
        return 0, bk.WHY_METHOD
    if body + length > stop:
        return -1, 0
    if not request and status < 200:
        return body + length, 0  # "100 Continue" answers nothing (Python skips it too)
    why = _message(b, (body, body + length), (request, fields, q, first), where, work, out)
    return (body + length, 0) if why == 0 else (0, why)


@njit(cache=True, nogil=True)
def _start_line(b, q, end):
    """(a request, the status or 0 for a request, where the headers start); status -1 for a
    line Python must read: only "POST <target> HTTP/1.x" and "HTTP/1.x NNN ..." are read."""
    nl = q
    while nl < end and b[nl] != 10:
        nl += 1
    first = nl + 1
    stop = nl - 1 if nl > q and b[nl - 1] == 13 and nl < end else nl
    if js.is_at(b, q, stop, _POST):
        sp = q + 5
        while sp < stop and b[sp] != 32:
            sp += 1
        return True, 0 if js.is_at(b, sp + 1, stop, _HTTP1) and sp > q + 5 else -1, first
    if js.is_at(b, q, stop, _HTTP1):
        sp = q
        while sp < stop and b[sp] != 32:
            sp += 1
        if sp + 4 > stop or (sp + 4 < stop and b[sp + 4] != 32):
            return False, -1, first
        code = 0
        for k in range(sp + 1, sp + 4):
            if not 48 <= b[k] <= 57:
                return False, -1, first
            code = code * 10 + b[k] - 48
        return False, code, first
    return False, -1, first


@njit(cache=True, nogil=True)
def _is_space(c):
    """str.strip()'s white space among latin-1 characters."""
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31 or c == 0x85 or c == 0xA0


@njit(cache=True, nogil=True)
def _headers(b, p, end, fields):
    """Each header line of b[p:end]; the stripped value span of the first of each name in
    _NAMES goes to fields. False for what decode.http.parse_head rejects or unfolds."""
    if b[end - 1] == 10:
        return False  # a head that ends in a line feed: parse_head reads an empty line there
    count = 0
    while p < end:
        nl = p
        while nl < end and b[nl] != 10:
            nl += 1
        stop = nl - 1 if nl < end and nl > p and b[nl - 1] == 13 else nl
        if b[p] == 32 or b[p] == 9:
            return False  # an obsolete folded line
        colon = p
        while colon < stop and b[colon] != 58:
            colon += 1
        if colon == stop or colon == p or _is_space(b[p]) or _is_space(b[colon - 1]):
            return False
        count += 1
        k = _name(b, p, colon)
        if k >= 0 and fields[k, 0] < 0:
            v0, v1 = colon + 1, stop
            while v0 < v1 and _is_space(b[v0]):
                v0 += 1
            while v1 > v0 and _is_space(b[v1 - 1]):
                v1 -= 1
            fields[k, 0], fields[k, 1] = v0, v1
        p = nl + 1
    return count <= MAX_HEADERS


@njit(cache=True, nogil=True)
def _name(b, p, stop):
    """The index in _NAMES of the header name b[p:stop] (any case), -1 if none."""
    n = stop - p
    for k in range(len(_NAME_LENS)):
        if _NAME_LENS[k] != n:
            continue
        same = True
        for j in range(n):
            c = b[p + j]
            if 65 <= c <= 90:
                c += 32
            if c != _NAME_WORDS[k, j]:
                same = False
                break
        if same:
            return k
    return -1


@njit(cache=True, nogil=True)
def _length(b, fields, request, status):
    """The body length, -1 when Python must frame it (chunked, unbounded, not digits)."""
    if fields[ENCODING, 0] >= 0:
        return -1
    v0, v1 = fields[LENGTH, 0], fields[LENGTH, 1]
    if v0 < 0:
        return 0 if request or status == 204 or status == 304 or 100 <= status < 200 else -1
    if v1 == v0 or v1 - v0 > 9:
        return -1
    n = 0
    for k in range(v0, v1):
        if not 48 <= b[k] <= 57:
            return -1
        n = n * 10 + b[k] - 48
    return n


@njit(cache=True, nogil=True)
def key(b, spans):
    """The hash of header values (or targets) as Python's SteadyReader writes it: for each
    span, 0 if absent (start -1), else 1, the length in four bytes and the bytes."""
    h = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    for j in range(spans.shape[0]):
        v0, v1 = spans[j, 0], spans[j, 1]
        if v0 < 0:
            h = (h ^ np.uint64(0)) * prime
            continue
        h = (h ^ np.uint64(1)) * prime
        n = v1 - v0
        for k in range(4):
            h = (h ^ np.uint64((n >> (8 * k)) & 255)) * prime
        for k in range(v0, v1):
            h = (h ^ np.uint64(b[k])) * prime
    return h


@njit(cache=True, nogil=True)
def _message(b, body, head, where, work, out):
    """One framed message: the head checked against what Python knows, the body read as the
    JSON-RPC message it carries (a response under the id of the oldest request)."""
    request, fields, q, first = head
    f, d, ts = where
    s, tok = work[0][f], work[4]
    if request != (d == bk.UP):
        return bk.WHY_METHOD
    if request:
        spans = work[6]
        spans[:4] = fields[:4]
        spans[4, 0] = q + 5
        spans[4, 1] = q + 5
        while b[spans[4, 1]] != 32:
            spans[4, 1] += 1
        if key(b, spans) != s.head_key:
            return bk.WHY_METHOD  # a new head: Python reads what it says
    elif key(b, fields[SERVER:SERVER + 1]) != s.server_key:
        return bk.WHY_METHOD
    b0, b1 = body
    while b0 < b1 and (b[b0] == 32 or 9 <= b[b0] <= 13):  # bytes.strip()
        b0 += 1
    while b1 > b0 and (b[b1 - 1] == 32 or 9 <= b[b1 - 1] <= 13):
        b1 -= 1
    if b1 == b0 or b[b0] != 123 or not js.scan_line(b, b0, b1, tok):
        return bk.WHY_JSON
    if request:
        return _request(b, (f, ts), work, out)
    return _response(b, (f, ts), work, out)


@njit(cache=True, nogil=True)
def _request(b, at, work, out):
    """A request's id joins the FIFO once the message is read."""
    f = at[0]
    s, (rb, ri), tok = work[0][f], work[1], work[4]
    kind, i0, i1 = tok[3 * js.ID], tok[3 * js.ID + 1], tok[3 * js.ID + 2]
    if s.fifo_n >= bk.HTTP_IDS:
        return bk.WHY_ROOM
    if not (kind == js.ABSENT or kind == js.NULL or kind == js.STRING or kind == js.INT) \
            or i1 - i0 > bk.ID_LEN:
        return bk.WHY_ID
    why = message(b, bk.UP, at, work, out)
    if why == 0:
        k = (s.fifo_head + s.fifo_n) % bk.HTTP_IDS
        none = kind == js.ABSENT or kind == js.NULL
        ri[f, bk.FIFO_KIND + k] = js.ABSENT if none else kind
        ri[f, bk.FIFO_SIZE + k] = 0 if none else i1 - i0
        if not none:
            start = bk.FIFO_ID + k * bk.ID_LEN
            rb[f, start:start + i1 - i0] = b[i0:i1]
        s.fifo_n += 1
    return why


@njit(cache=True, nogil=True)
def _response(b, at, work, out):
    """A response read under the oldest request's id (none when the FIFO is empty): that id
    is put beside the message in b's spare room, where the handlers read it."""
    f = at[0]
    s, (rb, ri), tok = work[0][f], work[1], work[4]
    spare = len(b) - bk.ID_LEN
    if s.fifo_n:
        k = s.fifo_head
        n, start = ri[f, bk.FIFO_SIZE + k], bk.FIFO_ID + k * bk.ID_LEN
        b[spare:spare + n] = rb[f, start:start + n]
        tok[3 * js.ID], tok[3 * js.ID + 1], tok[3 * js.ID + 2] = ri[f, bk.FIFO_KIND + k], spare, \
            spare + n
    else:
        tok[3 * js.ID] = js.ABSENT
    why = message(b, bk.DOWN, at, work, out)
    if why == 0 and s.fifo_n:
        s.fifo_head = (s.fifo_head + 1) % bk.HTTP_IDS
        s.fifo_n -= 1
    return why
