"""One JSON-RPC line's shape, compiled: where its id, method, params, result and error are, and
the items of its params or result list, without making a Python object.

`scan_line(b, start, stop, tok)` reads the line b[start:stop] into `tok` (an int64 array of
`SIZE`): for each key of `KEYS` its type and the span of its value (a string's span leaves out
the quotes), and for the list under "params" (or "result") the type and span of its first
`ITEMS` items and how many there are (for an object there, when no list is, its members' keys
and values, if it has at most `ITEMS` and no key twice). It returns True only when it is sure
that `jsonrpc.parse_message` would read the line as this shape:

- the whole line is valid JSON, one object, with JSON's white space around it;
- every string is printable ASCII without a backslash (escapes and UTF-8 are the Python
  decoder's to read);
- no key of `KEYS` appears twice (json.loads keeps the last; we do not guess);
- containers nest at most `MAX_DEPTH` deep, and numbers are at most `MAX_NUMBER` long.

Anything else returns False, and the caller hands the line to the Python decoders, which make
every decision about it. So a False never loses a message, and a True is a promise that
tests/decode/test_jsonscan.py holds against json.loads on generated and mutated lines.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ABSENT, NULL, TRUE, FALSE, INT, NUMBER, STRING, ARRAY, OBJECT = range(9)
KEYS = ("id", "method", "params", "result", "error", "worker")
ID, METHOD, PARAMS, RESULT, ERROR, WORKER = range(len(KEYS))
ITEMS = 8  # items of a params or result list (or members of such an object) whose place is kept
ITEM0 = 3 * len(KEYS)  # tok[ITEM0 + 3 * j:...]: type, start, stop of item (or member value) j
COUNT = ITEM0 + 3 * ITEMS  # tok[COUNT]: items in the list, members of the object (-1: none read)
KEY0 = COUNT + 1  # tok[KEY0 + 2 * j:...]: start, stop of member j's key
SIZE = KEY0 + 2 * ITEMS
MAX_DEPTH = 32
MAX_NUMBER = 1024  # characters of a number; no pool sends a longer one
_KEY_WORDS = np.zeros((len(KEYS), 8), np.uint8)  # KEYS as bytes, for the compiled code
_KEY_LENS = np.array([len(k) for k in KEYS], np.int64)
for _k, _name in enumerate(KEYS):
    _KEY_WORDS[_k, :len(_name)] = np.frombuffer(_name.encode(), np.uint8)
_TRUE, _FALSE, _NULL = (np.frombuffer(w, np.uint8) for w in (b"true", b"false", b"null"))


def new_tokens() -> np.ndarray:
    return np.zeros(SIZE, np.int64)


@njit(cache=True, nogil=True)
def _ws(b, p, stop):
    while p < stop and (b[p] == 32 or b[p] == 9 or b[p] == 10 or b[p] == 13):
        p += 1
    return p


@njit(cache=True, nogil=True)
def _string(b, p, stop):
    """The index of the closing quote of a string whose body starts at p; -1 when unsure."""
    while p < stop:
        c = b[p]
        if c == 34:
            return p
        if c < 32 or c > 126 or c == 92:
            return -1
        p += 1
    return -1


@njit(cache=True, nogil=True)
def _digits(b, p, stop):
    q = p
    while q < stop and 48 <= b[q] <= 57:
        q += 1
    return q


@njit(cache=True, nogil=True)
def _number(b, p, stop):
    """(end, is an integer) of the JSON number at p; end -1 when it is none."""
    q = p + 1 if b[p] == 45 else p
    if q >= stop or not 48 <= b[q] <= 57:
        return -1, False
    q = q + 1 if b[q] == 48 else _digits(b, q, stop)
    whole = True
    if q < stop and b[q] == 46:
        r = _digits(b, q + 1, stop)
        if r == q + 1:
            return -1, False
        q, whole = r, False
    if q < stop and (b[q] == 101 or b[q] == 69):
        q += 1
        if q < stop and (b[q] == 43 or b[q] == 45):
            q += 1
        r = _digits(b, q, stop)
        if r == q:
            return -1, False
        q, whole = r, False
    if q - p > MAX_NUMBER:
        return -1, False  # Python reads at most 4,300 digits of an integer (int_max_str_digits)
    return q, whole


@njit(cache=True, nogil=True)
def _word(b, p, stop, word, n=-1):
    """Whether b[p:] starts with the first n bytes of word (all of it when n is -1)."""
    n = len(word) if n < 0 else n
    if p + n > stop:
        return False
    for k in range(n):
        if b[p + k] != word[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def _scalar(b, p, stop):
    """(type, start, stop, next) of the string, number or literal at p; type -1 when unsure."""
    c = b[p]
    if c == 34:
        q = _string(b, p + 1, stop)
        return (STRING, p + 1, q, q + 1) if q >= 0 else (-1, 0, 0, 0)
    if c == 45 or 48 <= c <= 57:
        q, whole = _number(b, p, stop)
        return ((INT if whole else NUMBER), p, q, q) if q >= 0 else (-1, 0, 0, 0)
    if c == 116 and _word(b, p, stop, _TRUE):
        return TRUE, p, p + 4, p + 4
    if c == 102 and _word(b, p, stop, _FALSE):
        return FALSE, p, p + 5, p + 5
    if c == 110 and _word(b, p, stop, _NULL):
        return NULL, p, p + 4, p + 4
    return -1, 0, 0, 0


@njit(cache=True, nogil=True)
def _value(b, p, stop):
    """(type, start, stop, next) of the JSON value at p (containers validated to the end);
    type -1 when unsure."""
    if p >= stop:
        return -1, 0, 0, 0
    c = b[p]
    if c != 91 and c != 123:
        return _scalar(b, p, stop)
    q = _container(b, p, stop)
    if q < 0:
        return -1, 0, 0, 0
    return (ARRAY if c == 91 else OBJECT), p, q, q


@njit(cache=True, nogil=True)
def _container(b, p, stop):
    """The index after the array or object opening at p, all of it validated; -1 when unsure.
    The open containers are bits of one word (1: an object), so nothing is allocated."""
    objects = np.uint64(1) if b[p] == 123 else np.uint64(0)
    depth = 0
    q = _ws(b, p + 1, stop)
    first = True  # right after an opening bracket: a closer may come at once
    while True:
        if q >= stop:
            return -1
        is_object = (objects >> np.uint64(depth)) & np.uint64(1)
        closer = 125 if is_object else 93
        if first and b[q] == closer:
            q += 1
        else:
            if is_object:  # a key and a colon before the value
                if b[q] != 34:
                    return -1
                k = _string(b, q + 1, stop)
                if k < 0:
                    return -1
                q = _ws(b, k + 1, stop)
                if q >= stop or b[q] != 58:
                    return -1
                q = _ws(b, q + 1, stop)
                if q >= stop:
                    return -1
            c = b[q]
            if c == 91 or c == 123:
                depth += 1
                if depth >= MAX_DEPTH:
                    return -1
                bit = np.uint64(1) << np.uint64(depth)
                objects = (objects | bit) if c == 123 else (objects & ~bit)
                q = _ws(b, q + 1, stop)
                first = True
                continue
            kind, _, _, q = _scalar(b, q, stop)
            if kind < 0:
                return -1
            q = _ws(b, q, stop)
            if q < stop and b[q] == 44:
                q = _ws(b, q + 1, stop)
                first = False
                continue
            if q >= stop or b[q] != closer:
                return -1
            q += 1
        # a container just closed
        if depth == 0:
            return q
        depth -= 1
        q = _ws(b, q, stop)
        closer = 125 if (objects >> np.uint64(depth)) & np.uint64(1) else 93
        if q < stop and b[q] == 44:
            q = _ws(b, q + 1, stop)
            first = False
        elif q >= stop or b[q] != closer:
            return -1
        else:
            first = True  # the enclosing container closes next


@njit(cache=True, nogil=True)
def _key(b, start, stop):
    """The index in KEYS of the key b[start:stop], or -1."""
    n = stop - start
    for k in range(len(KEYS)):
        if _KEY_LENS[k] == n and _word(b, start, stop, _KEY_WORDS[k], n):
            return k
    return -1


@njit(cache=True, nogil=True)
def _items(b, p, stop, tok):
    """Read the list at p item by item into tok's item slots; the index after it, -1 if unsure."""
    q = _ws(b, p + 1, stop)
    n = 0
    if q < stop and b[q] == 93:
        tok[COUNT] = 0
        return q + 1
    while True:
        kind, vs, ve, q = _value(b, q, stop)
        if kind < 0:
            return -1
        if n < ITEMS:
            tok[ITEM0 + 3 * n], tok[ITEM0 + 3 * n + 1], tok[ITEM0 + 3 * n + 2] = kind, vs, ve
        n += 1
        q = _ws(b, q, stop)
        if q < stop and b[q] == 44:
            q = _ws(b, q + 1, stop)
            continue
        if q < stop and b[q] == 93:
            tok[COUNT] = n
            return q + 1
        return -1


@njit(cache=True, nogil=True)
def _members(b, p, stop, tok):
    """Read the object at p member by member into tok's item and key slots (its members are
    recorded only when there are at most ITEMS and no key repeats: json.loads keeps a repeated
    key's last value); the index after it, -1 if unsure."""
    q = _ws(b, p + 1, stop)
    n = 0
    if q < stop and b[q] == 125:
        tok[COUNT], tok[KEY0] = 0, p + 1  # (no key: the first key slot marks whose they are)
        return q + 1
    while True:
        if q >= stop or b[q] != 34:
            return -1
        ke = _string(b, q + 1, stop)
        if ke < 0:
            return -1
        k0 = q + 1
        q = _ws(b, ke + 1, stop)
        if q >= stop or b[q] != 58:
            return -1
        kind, vs, ve, q = _value(b, _ws(b, q + 1, stop), stop)
        if kind < 0:
            return -1
        if n < ITEMS:
            tok[ITEM0 + 3 * n], tok[ITEM0 + 3 * n + 1], tok[ITEM0 + 3 * n + 2] = kind, vs, ve
            tok[KEY0 + 2 * n], tok[KEY0 + 2 * n + 1] = k0, ke
        n += 1
        q = _ws(b, q, stop)
        if q < stop and b[q] == 44:
            q = _ws(b, q + 1, stop)
            continue
        if q < stop and b[q] == 125:
            tok[COUNT] = n if n <= ITEMS and not _repeated(b, tok, n) else -1
            return q + 1
        return -1


@njit(cache=True, nogil=True)
def _repeated(b, tok, n):
    """Whether two of the n recorded member keys are the same."""
    for i in range(n):
        for j in range(i + 1, n):
            a0, a1 = tok[KEY0 + 2 * i], tok[KEY0 + 2 * i + 1]
            c0, c1 = tok[KEY0 + 2 * j], tok[KEY0 + 2 * j + 1]
            if a1 - a0 == c1 - c0 and is_at(b, c0, c1, b[a0:a1]):
                return True
    return False


@njit(cache=True, nogil=True)
def members(tok, key):
    """Whether the members of the object under `key` (PARAMS or RESULT) were recorded (the
    first key slot lies inside the object whose they are, even an empty one's)."""
    if tok[3 * key] != OBJECT or tok[COUNT] < 0:
        return False
    return tok[3 * key + 1] < tok[KEY0] < tok[3 * key + 2]


@njit(cache=True, nogil=True)
def member(b, tok, word):
    """(type, start, stop) of the recorded member whose key is `word`; type ABSENT if none
    (ask `members` first whose they are)."""
    for j in range(max(tok[COUNT], 0)):
        k0, k1 = tok[KEY0 + 2 * j], tok[KEY0 + 2 * j + 1]
        if k1 - k0 == len(word) and is_at(b, k0, k1, word):
            return tok[ITEM0 + 3 * j], tok[ITEM0 + 3 * j + 1], tok[ITEM0 + 3 * j + 2]
    return ABSENT, 0, 0


@njit(cache=True, nogil=True)
def scan_line(b, start, stop, tok):
    """Read b[start:stop] as one JSON-RPC object into tok (see the module docstring); whether
    the reading is sure."""
    tok[:] = 0
    tok[COUNT] = -1
    q = _ws(b, start, stop)
    if q >= stop or b[q] != 123:
        return False
    q = _ws(b, q + 1, stop)
    if q < stop and b[q] == 125:
        return False  # {} is no JSON-RPC message
    listed = False
    while True:
        if q >= stop or b[q] != 34:
            return False
        ke = _string(b, q + 1, stop)
        if ke < 0:
            return False
        k = _key(b, q + 1, ke)
        q = _ws(b, ke + 1, stop)
        if q >= stop or b[q] != 58:
            return False
        q = _ws(b, q + 1, stop)
        if k >= 0 and tok[3 * k] != ABSENT:
            return False  # a repeated key: json.loads keeps the last, we do not guess
        if q < stop and b[q] == 91 and (k == PARAMS or k == RESULT):
            if listed:
                return False
            listed = True
            tok[KEY0:KEY0 + 2 * ITEMS] = 0  # (an object's members read before are not these)
            end = _items(b, q, stop, tok)
            if end < 0:
                return False
            kind, vs, ve, q = ARRAY, q, end, end
        elif q < stop and b[q] == 123 and (k == PARAMS or k == RESULT) and not listed \
                and tok[COUNT] < 0:
            end = _members(b, q, stop, tok)
            if end < 0:
                return False
            kind, vs, ve, q = OBJECT, q, end, end
        else:
            kind, vs, ve, q = _value(b, q, stop)
            if kind < 0:
                return False
        if k >= 0:
            tok[3 * k], tok[3 * k + 1], tok[3 * k + 2] = kind, vs, ve
        q = _ws(b, q, stop)
        if q < stop and b[q] == 44:
            q = _ws(b, q + 1, stop)
            continue
        if q < stop and b[q] == 125:
            break
        return False
    if _ws(b, q + 1, stop) != stop:
        return False
    for k in range(5):  # parse_message: at least one JSON-RPC key
        if tok[3 * k] != ABSENT:
            return tok[3 * METHOD] == ABSENT or tok[3 * METHOD] == STRING or \
                tok[3 * METHOD] == NULL
    return False


# --- reading tokens (after a sure scan) ---------------------------------------------------------

@njit(cache=True, nogil=True)
def is_text(b, tok, key, word):
    """Whether tok's value for `key` is the string `word` (a uint8 array)."""
    start, stop = tok[3 * key + 1], tok[3 * key + 2]
    if tok[3 * key] != STRING or stop - start != len(word):
        return False
    for k in range(len(word)):
        if b[start + k] != word[k]:
            return False
    return True


@njit(cache=True, nogil=True)
def item(tok, j):
    """(type, start, stop) of list item j (j < ITEMS)."""
    return tok[ITEM0 + 3 * j], tok[ITEM0 + 3 * j + 1], tok[ITEM0 + 3 * j + 2]


@njit(cache=True, nogil=True)
def strings(tok, first, last):
    """Whether the list has items first..last-1, all strings (last <= ITEMS)."""
    if last > ITEMS or tok[COUNT] < last:
        return False
    for j in range(first, last):
        if tok[ITEM0 + 3 * j] != STRING:
            return False
    return True


@njit(cache=True, nogil=True)
def list_item(b, value, j):
    """(type, start, stop) of item j of the list value = (type, start, stop) of a sure scan;
    type ABSENT when the list has no item j."""
    _, p, stop = value
    q = _ws(b, p + 1, stop)
    for _ in range(j):
        if b[q] == 93:
            return ABSENT, 0, 0
        q = _ws(b, _value(b, q, stop)[3], stop)
        if b[q] != 44:
            return ABSENT, 0, 0
        q = _ws(b, q + 1, stop)
    if b[q] == 93:
        return ABSENT, 0, 0
    kind, start, end, _ = _value(b, q, stop)
    return kind, start, end


@njit(cache=True, nogil=True)
def only_strings(b, value):
    """Whether the list value = (type, start, stop) of a sure scan holds only strings."""
    _, p, stop = value
    q = p + 1
    while q < stop:
        c = b[q]
        if c == 34:
            q += 1
            while b[q] != 34:  # a sure scan has no escaped quote
                q += 1
            q += 1
        elif c == 32 or c == 9 or c == 10 or c == 13 or c == 44 or c == 93:
            q += 1
        else:
            return False
    return True


@njit(cache=True, nogil=True)
def is_at(b, p, stop, word):
    """Whether b[p:stop] starts with `word` (a uint8 array)."""
    if p + len(word) > stop:
        return False
    for k in range(len(word)):
        if b[p + k] != word[k]:
            return False
    return True
