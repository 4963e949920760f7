"""Every connection of a capture in one compiled hash table: flow metering for all packets, and
the choice of the few packets that deep inspection must see.

This is the fast twin of `meter.FlowMeter` (same records, field for field: unidirectional,
idle and active timeouts in capture time; tests/flows/test_conntable.py compares them) fused
with a routing decision per packet:

- `DPI`: TCP packets of connections whose first payload could open a pool session (JSON, HTTP,
  a Stratum V2 frame or Noise key, a SOCKS or HTTP CONNECT preamble) or a TLS ClientHello
  (its SNI names the pool). A TLS
  connection is routed only until its client's first flight is over; any other candidate until
  the caller marks it ignored (`ignore`), which it does once the Python decoders give up on it.
- `DNS`: UDP from port 53, for the passive DNS map (also metered).
- `EXPORT`: NetFlow/IPFIX datagrams inside the capture (not metered: they describe other flows).
- `CHECK`: frames the compiled parser could not read; the caller asks `decode_frame` why.
- `TO_STEADY`: packets of a pool session whose steady state the caller moved to compiled code
  (`detect.steady`, marked with `steady`); that reader hands a packet back to DPI when it
  cannot read it.
- `TO_PAGE` (with `TableConfig.pages`): packets of a connection whose first payload is a
  "GET /", from its first packet in the batch on: the compiled page reader's
  (`detect.pages`), which hands the connection to DPI (a CANDIDATE again) when Python must
  read it.

A mirror port's second copy of a TCP packet is neither counted nor routed (`meter.FlowMeter`
says how it is told from a retransmission); `duplicates` counts them.

Everything else is only counted, which is why a capture is read at memory speed: NFStream runs
nDPI on every flow, minewatch's decoders run only where a pool could be talking.

Slots are addressed by open addressing with linear probing. A slot lives while its connection
has packets within `conn_timeout` s of capture time, so a decision about a connection outlives a
pause in it; ended records leave through `ended`, a structured array the caller empties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from minewatch import memory
from minewatch.decode import getwork, p2p
from minewatch.decode import stratum_v2 as sv2
from minewatch.decode.framescan import ERROR, NON_IP, OK, u16, u32le
from minewatch.decode.packet import ACK, SYN
from minewatch.flows.meter import DUPLICATE_S, PSH

EMPTY, USED, DELETED = 0, 1, 2  # slot states
# what DPI makes of a connection, and where a packet goes besides the meter
UNDECIDED, PLAIN, CANDIDATE, TLS, IGNORED, STEADY, PAGE = 0, 1, 2, 3, 4, 5, 6
NONE, DPI, DNS, EXPORT, CHECK, TO_STEADY, TO_PAGE = 0, 1, 2, 3, 4, 5, 6
COPY = -2  # the slot of a mirror's second copy of a packet (no slot is -1)
# slots a table starts with (doubled as it fills), 4.8 MB with the flow records: room at half
# load for the 3,000-8,000 packets of a 4 MB block of ordinary traffic (a block of small
# packets grows it at once). Each fresh page costs a fault when first written (on a virtual
# machine, more when the host must back it too), so a table made larger than the capture
# needs costs faults for nothing: 65,536 slots were 19 MB.
CAPACITY = 1 << 14

SLOT = np.dtype([
    ("state", "u1"), ("ver", "u1"), ("proto", "u1"), ("dpi", "u1"),
    ("a_hi", "u8"), ("a_lo", "u8"), ("b_hi", "u8"), ("b_lo", "u8"),
    ("a_port", "u2"), ("b_port", "u2"), ("last_ts", "f8"), ("budget", "i4"), ("first_dir", "i1"),
    ("tries", "u1"),
    ("fast", "i4"),  # STEADY: 1 + the connection's row in the compiled pool reader (detect.steady)
    ("ticket", "u4"),  # and the number of the hand-off (a row is reused, a ticket never)
    ("page", "i4"),  # PAGE: 1 + its row in the compiled page reader (detect.pages), same ticket
    ("client", "u1"),  # which endpoint the handshake showed to be the client: 1 a, 2 b, 0 unseen
])
FLOW = np.dtype([("live", "u1"), ("flags", "u1"), ("start", "f8"), ("end", "f8"),
                 ("packets", "i8"), ("bytes", "i8"), ("psh", "i8"), ("bytes_sq", "i8"),
                 ("gap_sq", "f8"), ("gap_max", "f8"), ("tls", "i8"),
                 # the last two TCP packets counted, older first (meter._fingerprint)
                 ("seen_ts", "f8", (2,)), ("seen_a", "u8", (2,)), ("seen_b", "u8", (2,))])
ENDED = np.dtype([
    ("ver", "u1"), ("proto", "u1"), ("flags", "u1"), ("src_hi", "u8"), ("src_lo", "u8"),
    ("dst_hi", "u8"), ("dst_lo", "u8"), ("sport", "u2"), ("dport", "u2"),
    ("start", "f8"), ("end", "f8"), ("packets", "i8"), ("bytes", "i8"), ("psh", "i8"),
    ("bytes_sq", "i8"), ("gap_sq", "f8"), ("gap_max", "f8"), ("tls", "i8"),
])

HELLO = np.dtype([("row", "i8"), ("off", "i8"), ("len", "i4")])  # SNI read in compiled code
HEAD_SCAN = 2048  # bytes of a payload searched for a JSON start, as the Python classifier does
CLASSIFY_PACKETS = 4  # payload packets a connection has to show what it speaks (ingest.packets too)
CLASSIFY_BYTES = 4096  # and bytes: a capture may begin inside a long message cut small
CLASSIFY_MOST = 64  # payload packets at most
MAX_RECORD = 16384 + 2048  # TLS record payload bound (decode.tls.MAX_RECORD)


@dataclass(slots=True)
class Routes:
    """What `ConnTable.route` made of a batch of rows."""

    route: np.ndarray  # NONE, DPI, DNS, EXPORT, CHECK, TO_STEADY or TO_PAGE per row
    slot: np.ndarray  # the row's connection slot (-1: none, COPY), valid until the next route()
    hellos: np.ndarray  # HELLO rows: ClientHellos whose server name was read here
    ended: int = 0  # flow records written to `ended`
    to_steady: int = -1  # rows routed TO_STEADY and TO_PAGE (-1: not counted)
    to_page: int = -1


@dataclass(frozen=True, slots=True)
class TableConfig:
    idle_timeout: float = 60.0  # s without a packet before a flow record ends (FlowMeter's)
    active_timeout: float = 1800.0  # s after which a busy record is cut (FlowMeter's)
    conn_timeout: float = 300.0  # s a silent connection keeps its slot (TcpConfig's idle)
    tls_budget: int = 12  # payload packets of a TLS client's first flight (16 KB)
    max_connections: int = 500_000  # live ones (FlowMeter's 1 M one-way records); ~390 MB
    export_ports: tuple[int, ...] = (2055, 2056, 4739, 4740, 9995, 9996, 6343)
    pages: bool = False  # route page fetches (a first payload "GET /") TO_PAGE, not to DPI

    def array(self) -> np.ndarray:
        return np.array([self.idle_timeout, self.active_timeout, self.conn_timeout,
                         self.tls_budget, self.pages], dtype=np.float64)


class ConnTable:
    """The table and its upkeep; the per-packet work is in the compiled functions below."""

    def __init__(self, config: TableConfig = TableConfig(), capacity: int = CAPACITY):
        self.config, self._cfg = config, config.array()
        self._ports = np.array(config.export_ports, dtype=np.int64)
        self.slots = memory.zeros(capacity, SLOT)
        self.flows = memory.zeros(2 * capacity, FLOW)
        self.used = self.deleted = 0
        self.duplicates = 0  # TCP packets a mirror port sent twice: the copies not counted
        self._routes = Routes(np.zeros(0, np.uint8), np.zeros(0, np.int64), np.zeros(0, HELLO))

    def route(self, buf: np.ndarray, rows: np.ndarray, n: int, ended: np.ndarray) -> Routes:
        """Meter rows[:n] (ended records go to `ended`) and say where each row goes. The
        Routes' arrays are reused by the next call (fresh ones each batch cost page faults)."""
        self._make_room(n)
        r = self._routes_for(n)
        out = np.zeros(6, np.int64)  # records ended, slots newly used, hellos read, copies,
        # rows routed TO_STEADY and TO_PAGE
        _meter(buf, rows[:n], self.slots, self.flows, (self._cfg, self._ports),
               (r.route, r.slot, ended, r.hellos, out))
        _select(rows[:n], self.slots, self._cfg, (r.route, r.slot, out))
        self.used += int(out[1])
        self.duplicates += int(out[3])
        r.ended, r.hellos = int(out[0]), r.hellos[:out[2]]
        r.to_steady, r.to_page = int(out[4]), int(out[5])
        return r

    def _routes_for(self, n: int) -> Routes:
        """Routes for n rows, on the kept buffers: route NONE, slot -1, no hellos."""
        kept = self._routes
        if len(kept.route) < n:
            kept.route, kept.slot = np.empty(n, np.uint8), np.empty(n, np.int64)
            kept.hellos = np.empty(n, HELLO)
        kept.route[:n], kept.slot[:n] = NONE, -1
        return Routes(kept.route[:n], kept.slot[:n], kept.hellos[:n])

    def steady(self, slot: int, row: int, ticket: int) -> None:
        """Route the connection of `slot` (from the last `route`) TO_STEADY, to the state at
        `row` in the compiled pool reader, which holds the same `ticket` while it is this
        connection's."""
        c = self.slots[slot]
        c["dpi"], c["fast"], c["ticket"] = STEADY, row + 1, ticket

    def orphans(self) -> list[tuple[int, int]]:
        """(row, ticket) in the pool reader of connections a sweep ended (their slots freed);
        cleared."""
        found, out = np.zeros((64, 2), np.int64), []
        while True:
            n = _orphans(self.slots, found)
            out += [tuple(x) for x in found[:min(n, len(found))].tolist()]
            if n <= len(found):  # (more than fit: those were cleared, look again)
                return out

    def page_orphans(self) -> list[tuple[int, int]]:
        """(row, ticket) in the page reader of connections a sweep ended (their slots freed);
        cleared. (Called right after a sweep, before a freed slot can be used again.)"""
        gone = np.flatnonzero((self.slots["page"] > 0) & (self.slots["state"] != USED))
        found = list(zip((self.slots["page"][gone] - 1).tolist(),
                         self.slots["ticket"][gone].tolist()))
        self.slots["page"][gone] = 0
        return found

    def ignore(self, slots: list[int]) -> None:
        """Route no more packets of these connections to DPI (slots from the last `route`)."""
        if slots:
            self.slots["dpi"][np.asarray(slots, np.int64)] = IGNORED

    def expire(self, now: float, ended: np.ndarray):
        """Yield ended record counts (in `ended`, reused between yields) of flows idle at `now`
        (capture time; +inf ends every record), freeing the slots of long-silent connections."""
        yield from self._sweep((now, -np.inf), ended)

    def evict(self, incoming: int, ended: np.ndarray):
        """Before `incoming` rows: if they could take the table past `max_connections`, end the
        least recently active half of the connections (yielding record counts as `expire`),
        so that a scan or a flood costs records, not memory (FlowMeter's max_flows)."""
        if self.used + incoming <= self.config.max_connections:
            return
        last = np.sort(self.slots["last_ts"][self.slots["state"] == USED])
        cutoff = np.nextafter(last[len(last) // 2], np.inf)  # at least half of them go
        yield from self._sweep((-np.inf, cutoff), ended)

    def _sweep(self, times: tuple[float, float], ended: np.ndarray):
        start = 0
        while start < len(self.slots):
            n, start, freed = _expire(self.slots, self.flows, times, self._cfg, ended, start)
            self.used -= freed
            self.deleted += freed
            yield n

    @classmethod
    def warm(cls) -> None:
        """Load the kernels a table calls only as it grows or sweeps (ingest.warm)."""
        table = cls(capacity=4)
        table._make_room(4)
        table.orphans()

    def _make_room(self, incoming: int) -> None:
        """Keep the load under 1/2 even if every incoming packet opens a connection."""
        need = self.used + self.deleted + incoming
        if need * 2 <= len(self.slots):
            return
        capacity = len(self.slots)
        while (self.used + incoming) * 2 > capacity:
            capacity *= 2
        slots, flows = memory.zeros(capacity, SLOT), memory.zeros(2 * capacity, FLOW)
        _rehash(self.slots, self.flows, slots, flows)
        self.slots, self.flows, self.deleted = slots, flows, 0


@njit(cache=True, nogil=True, forceinline=True)
def _hash(ver, proto, a_hi, a_lo, b_hi, b_lo, a_port, b_port):
    h = a_lo * np.uint64(0x9E3779B97F4A7C15) ^ b_lo * np.uint64(0xC2B2AE3D27D4EB4F)
    h ^= a_hi * np.uint64(0x165667B19E3779F9) ^ b_hi * np.uint64(0x27D4EB2F165667C5)
    ports = (np.uint64(a_port) << np.uint64(32)) | (np.uint64(b_port) << np.uint64(16)) \
        | (np.uint64(proto) << np.uint64(8)) | np.uint64(ver)
    h ^= ports * np.uint64(0xFF51AFD7ED558CCD)
    return h ^ (h >> np.uint64(31))


@njit(cache=True, nogil=True, forceinline=True)
def _find(slots, ver, proto, a_hi, a_lo, b_hi, b_lo, a_port, b_port):
    """The slot of this connection, or of the empty slot where it belongs (negated - 1)."""
    mask = np.uint64(len(slots) - 1)
    i = np.int64(_hash(ver, proto, a_hi, a_lo, b_hi, b_lo, a_port, b_port) & mask)
    free = -1
    while True:
        s = slots[i]
        if s.state == EMPTY:
            return -(i if free < 0 else free) - 1
        if s.state == DELETED:
            if free < 0:
                free = i
        elif s.a_lo == a_lo and s.b_lo == b_lo and s.a_port == a_port and s.b_port == b_port \
                and s.proto == proto and s.ver == ver and s.a_hi == a_hi and s.b_hi == b_hi:
            return i
        i = (i + 1) & np.int64(mask)


@njit(cache=True, nogil=True)
def _is_export(buf, row, ports):
    """ingest.exports.looks_like_export on a parsed UDP row."""
    n = row.pl_len
    if n < 20:
        return False
    p = row.pl_off
    version, count = u16(buf, p), u16(buf, p + 2)
    if version == 10:
        return count == n
    if version == 5:
        return n == 24 + 48 * count
    if version != 9:
        return False
    for port in ports:
        if port == row.dport:
            return True
    return False


@njit(cache=True, nogil=True)
def look_further(tried, seen):
    """Whether a connection whose first `tried` payload packets (`seen` bytes) told nothing
    should show the next one: at least CLASSIFY_PACKETS, and up to CLASSIFY_BYTES in up to
    CLASSIFY_MOST packets, since a capture that begins inside a message sees its tail first
    (ingest.packets decides by the same rule)."""
    return tried < CLASSIFY_PACKETS or (seen < CLASSIFY_BYTES and tried < CLASSIFY_MOST)


@njit(cache=True, nogil=True)
def _classify(buf, p, n, late):
    """What a connection's first payload says: TLS, PAGE (a "GET /": a CANDIDATE the page
    reader may read, detect.pages), CANDIDATE or PLAIN (a superset of ingest.packets'
    classifier, which makes the final call on what is routed to it). `late`:
    CLASSIFY_PACKETS payloads told nothing already; then only a JSON-RPC message start counts
    (`_opens_rpc_line`): the next message of a capture that began inside a long one. Random
    bytes (SSH, P2P) hold a "{" after a newline too often to be read for a whole 4 kB."""
    if late:
        return CANDIDATE if _opens_rpc_line(buf, p, p + min(n, HEAD_SCAN)) else PLAIN
    b0 = buf[p]
    if b0 == 0x16:
        return TLS
    if _opens_node(buf, p, n):
        return CANDIDATE  # a coin node's P2P message: labelled `node` (detect.nodes)
    if n == 64:  # a Noise NX ephemeral key opens an encrypted Stratum V2 connection
        return CANDIDATE
    if n == 34 and b0 == 0x20 and buf[p + 1] == 0:
        return CANDIDATE  # the same, as Braiins' earlier Stratum V2 sent it (length 32 first)
    if n >= 11 and b0 == 0 and (buf[p + 1] == 0 or buf[p + 1] == 0x80) and buf[p + 2] == 0:
        return CANDIDATE  # a plaintext SV2 SetupConnection frame header
    if _sv2_frames(buf, p, n):
        return CANDIDATE  # whole SV2 mining frames: a capture begun inside a session
    if _opens_tunnel(buf, p, n):
        return CANDIDATE  # a SOCKS or HTTP CONNECT preamble: a pool dialect may follow it
    if n < 8 and _starts_a_word(buf, p, n):
        return CANDIDATE  # "PO" of "POST ": a first segment cut short (split to dodge DPI)
    if n >= 5:
        b1, b2, b3, b4 = buf[p + 1], buf[p + 2], buf[p + 3], buf[p + 4]
        if b0 == 71 and b1 == 69 and b2 == 84 and b3 == 32 and b4 == 47:  # "GET /"
            mining = _holds_folded(buf, p, p + min(n, HEAD_SCAN), _MINING_HEADER)
            return CANDIDATE if mining else PAGE  # (a getwork miner's long poll: a pool's)
        if (b0 == 80 and b1 == 79 and b2 == 83 and b3 == 84 and b4 == 32) \
                or (b0 == 72 and b1 == 84 and b2 == 84 and b3 == 80 and b4 == 47):
            return CANDIDATE  # "POST ", "HTTP/"
    return CANDIDATE if _opens_json(buf, p, p + min(n, HEAD_SCAN)) else PLAIN


_SV2_FIRST, _SV2_LAST = sv2.MINING_TYPES.start, sv2.MINING_TYPES.stop - 1
_MINING_HEADER = np.frombuffer(getwork.MINING_HEADER, np.uint8)


@njit(cache=True, nogil=True)
def _holds_folded(buf, start, stop, needle):
    """A superset of `needle in buf[start:stop].lower()` (needle lower-case): each byte is
    compared with its 0x20 bit set, which folds ASCII case (and a few other bytes)."""
    m = len(needle)
    for q in range(start, stop - m + 1):
        k = 0
        while k < m and (buf[q + k] | 0x20) == needle[k]:
            k += 1
        if k == m:
            return True
    return False


@njit(cache=True, nogil=True)
def _sv2_frames(buf, p, n):
    """A superset of decode.stratum_v2.looks_like_mining_frames: buf[p:p + n] is whole SV2
    frames of mining types without extension, ending exactly at n."""
    q, end = p, p + n
    while q < end:
        if end - q < 6 or buf[q] != 0 or (buf[q + 1] != 0 and buf[q + 1] != 0x80) \
                or not _SV2_FIRST <= buf[q + 2] <= _SV2_LAST:
            return False
        q += 6 + (np.int64(buf[q + 3]) | (np.int64(buf[q + 4]) << 8)
                  | (np.int64(buf[q + 5]) << 16))
    return q == end and n > 0


_MAGICS = np.array(sorted(int.from_bytes(m, "little") for m in p2p.NETWORKS), np.int64)
_LEVIN = np.frombuffer(p2p.LEVIN_BYTES, np.uint8)
_LEVIN_HEAD, _P2P_HEAD, _P2P_MAX = p2p.LEVIN.size, p2p.OLD_HEADER.size, p2p.MAX_PAYLOAD
_RLPX_MIN, _RLPX_MAX = p2p.RLPX_MIN, p2p.RLPX_MAX


@njit(cache=True, nogil=True)
def _opens_node(buf, p, n):
    """decode.p2p.opens, compiled: a levin signature; a known network magic, a command of
    ASCII letters and digits padded with NULs, and a length Bitcoin allows; or an RLPx size,
    then 0x04."""
    if n >= _LEVIN_HEAD:
        k = 0
        while k < 8 and buf[p + k] == _LEVIN[k]:
            k += 1
        if k == 8:
            return True
    if n >= 67 and buf[p + 2] == 4 \
            and _RLPX_MIN < u16(buf, p) <= _RLPX_MAX:
        return True  # an RLPx auth or ack (Python checks the key is a curve point)
    if n < _P2P_HEAD or not _known(u32le(buf, p)):
        return False
    k = 0
    while k < 12 and (48 <= buf[p + 4 + k] <= 57 or 65 <= buf[p + 4 + k] <= 90
                      or 97 <= buf[p + 4 + k] <= 122):
        k += 1
    if k == 0:
        return False
    for j in range(k, 12):
        if buf[p + 4 + j] != 0:
            return False
    return u32le(buf, p + 16) <= _P2P_MAX


@njit(cache=True, nogil=True)
def _known(magic):
    at = np.searchsorted(_MAGICS, magic)
    return at < len(_MAGICS) and _MAGICS[at] == magic


# ingest.packets.SHORT_STARTS: the request and answer words a connection opens with
_WORDS = np.frombuffer(b"POST \0GET /\0HTTP/\0CONNECT \0", np.uint8)


@njit(cache=True, nogil=True)
def _starts_a_word(buf, p, n):
    """ingest.packets.starts_a_word: the n bytes at p are a proper beginning of "POST ",
    "GET /", "HTTP/" or "CONNECT "."""
    w = 0
    while w < len(_WORDS):
        end = w
        while _WORDS[end] != 0:
            end += 1
        if n < end - w:
            k = 0
            while k < n and buf[p + k] == _WORDS[w + k]:
                k += 1
            if k == n:
                return True
        w = end + 1
    return False


@njit(cache=True, nogil=True)
def _opens_tunnel(buf, p, n):
    """decode.proxy.opens_tunnel, compiled."""
    if n >= 8 and buf[p] == 67 and buf[p + 1] == 79 and buf[p + 2] == 78 and buf[p + 3] == 78 \
            and buf[p + 4] == 69 and buf[p + 5] == 67 and buf[p + 6] == 84 and buf[p + 7] == 32:
        return True  # "CONNECT "
    if n >= 3 and buf[p] == 5:
        if not 1 <= buf[p + 1] <= n - 2:
            return False
        for k in range(p + 2, p + 2 + buf[p + 1]):
            if 0x09 < buf[k] < 0x80:
                return False
        return True
    if n >= 9 and buf[p] == 4 and (buf[p + 1] == 1 or buf[p + 1] == 2):
        for k in range(p + 8, p + n):
            if buf[k] == 0:
                return True
    return False


@njit(cache=True, nogil=True)
def _opens_rpc_line(buf, start, stop):
    """ingest.packets.opens_rpc_line: '{' then '"' (white space around the brace), at the start
    or right after a newline."""
    if _brace_quote(buf, _skip_space(buf, start, stop), stop):
        return True
    for k in range(start + 1, stop):
        if buf[k - 1] == 10 and _brace_quote(buf, k, stop):
            return True
    return False


@njit(cache=True, nogil=True)
def _brace_quote(buf, k, stop):
    if k >= stop or buf[k] != 123:
        return False
    k = _skip_space(buf, k + 1, stop)
    return k < stop and buf[k] == 34


@njit(cache=True, nogil=True)
def _skip_space(buf, k, stop):
    """The first position from k on that is not white space (as bytes.strip() sees it)."""
    while k < stop and (buf[k] == 32 or 9 <= buf[k] <= 13):
        k += 1
    return k


@njit(cache=True, nogil=True)
def _opens_json(buf, start, stop):
    """ingest.packets.opens_json: a "{" first (after white space), or after a newline or "}"."""
    q = _skip_space(buf, start, stop)
    if q < stop and buf[q] == 123:
        return True
    for k in range(start + 1, stop):
        if buf[k] == 123 and (buf[k - 1] == 10 or buf[k - 1] == 125):
            return True
    return False


@njit(cache=True, nogil=True)
def _hello_sni(b, p, n):
    """(offset, length) of the host name in a TLS record holding a whole ClientHello at
    b[p:p+n]; (-1, 0) when it has none; (-2, 0) when the hello is not whole or not plain
    (more records, damage, a name that is not printable ASCII) and the Python decoder decides.
    What decode.tls.parse_client_hello would reject is rejected here too."""
    if n < 9 or b[p] != 0x16 or b[p + 1] != 3 or 5 + u16(b, p + 3) > n \
            or u16(b, p + 3) > MAX_RECORD or b[p + 5] != 1:
        return -2, 0
    q, end = p + 9, p + 9 + ((np.int64(b[p + 6]) << 16) | u16(b, p + 7))
    if end > p + 5 + u16(b, p + 3) or q + 35 > end:
        return -2, 0
    q += 34  # version, random
    q += 1 + np.int64(b[q])  # session id
    if q + 2 > end or u16(b, q) % 2:
        return -2, 0
    q += 2 + u16(b, q)  # cipher suites
    if q + 1 > end:
        return -2, 0
    q += 1 + np.int64(b[q])  # compression methods
    if q == end:
        return -1, 0
    if q + 2 > end or q + 2 + u16(b, q) != end:
        return -2, 0
    return _extensions(b, q + 2, end)


@njit(cache=True, nogil=True)
def _extensions(b, q, end):
    """The server name among the extensions in b[q:end], checking the bodies the Python
    decoder reads (groups, point formats, ALPN, supported versions) as strictly as it does."""
    found, size = -1, 0
    while q < end:
        if q + 4 > end or q + 4 + u16(b, q + 2) > end:
            return -2, 0
        kind, body, stop = u16(b, q), q + 4, q + 4 + u16(b, q + 2)
        if kind == 0:
            found, size = _server_name(b, body, stop)
        elif not _body_ok(b, kind, body, stop):
            return -2, 0
        q = stop
    if found == -2:
        return -2, 0
    return (found, size) if found >= 0 else (-1, 0)


@njit(cache=True, nogil=True)
def _body_ok(b, kind, q, stop):
    width = 2 if kind == 10 or kind == 16 else 1  # length prefix of the vector inside
    if kind != 10 and kind != 11 and kind != 16 and kind != 43:
        return True
    if q + width > stop:
        return False
    length = u16(b, q) if width == 2 else np.int64(b[q])
    if q + width + length > stop:
        return False
    if kind == 10 or kind == 43:
        return length % 2 == 0
    if kind == 16:  # ALPN: protocol names, each with a 1-byte length
        r, last = q + 2, q + 2 + length
        while r < last:
            r += 1 + np.int64(b[r])
        return r == last
    return True


@njit(cache=True, nogil=True)
def _server_name(b, q, end):
    """The host_name entry of a server_name extension body b[q:end]: (offset, length),
    (-1, 0) for none, (-2, 0) for anything the Python decoder would read otherwise."""
    if q + 2 > end or q + 2 + u16(b, q) > end:
        return -2, 0
    stop, q = q + 2 + u16(b, q), q + 2
    while q < stop:
        if q + 3 > stop or q + 3 + u16(b, q + 1) > stop:
            return -2, 0
        kind, length = b[q], u16(b, q + 1)
        if kind == 0:
            for k in range(q + 3, q + 3 + length):
                if b[k] < 0x21 or b[k] > 0x7E:
                    return -2, 0
            return (q + 3, length) if length else (-1, 0)
        q += 3 + length
    return -1, 0


@njit(cache=True, nogil=True)
def _meter(buf, rows, slots, flows, cfg_ports, outs):
    """First pass, in capture order: each row metered into its connection's flow record and
    routed, as far as the batch so far tells. The per-packet helpers are inlined and their
    tuples made once, before the loop: numba takes and drops a reference to every array in a
    tuple made inside it (atomic operations), and a call passes each array as seven arguments."""
    cfg, ports = cfg_ports
    route, slot_of, ended, hellos, out = outs
    timeouts, sinks = (cfg[0], cfg[1]), (slots, ended, out)
    for i in range(rows.shape[0]):
        row = rows[i]
        if row.status != OK:
            route[i] = CHECK if row.status == ERROR else NONE
            continue
        if row.proto == 17 and _is_export(buf, row, ports):
            route[i] = EXPORT
            continue
        s, d = _slot(slots, row, out)
        a, b = _fingerprint(row) if row.proto == 6 else (np.uint64(0), np.uint64(0))
        if row.proto == 6 and _repeats(flows[2 * s + d], row.ts, a, b):
            slot_of[i] = COPY  # a mirror's second copy: no route, not counted
            out[3] += 1
            continue
        slot_of[i] = s
        _count(flows, s, d, row, timeouts, sinks)
        if row.proto == 6:
            _remember(flows[2 * s + d], row.ts, a, b)
        if row.tls:
            flows[2 * s + d].tls += 1
        conn = slots[s]
        if row.ts > conn.last_ts:
            conn.last_ts = row.ts
        if row.proto == 6 and row.flags & SYN:
            _handshake(conn, d, row.flags)
        if row.proto == 17 and row.sport == 53:
            route[i] = DNS
        elif row.proto == 6 and conn.dpi == UNDECIDED and row.pl_len > 0:
            said = _classify(buf, row.pl_off, row.pl_len, conn.tries >= CLASSIFY_PACKETS)
            if said == PAGE and not cfg[4]:
                said = CANDIDATE
            if said == PLAIN and look_further(conn.tries + 1, conn.budget + row.pl_len):
                conn.tries += 1  # a capture may begin inside a message: look at the next one
                conn.budget += row.pl_len  # (bytes seen, while undecided)
                continue
            conn.dpi, conn.first_dir, conn.budget = said, d, np.int32(cfg[3])
            if said == TLS:
                _read_hello(buf, row, conn, (i, hellos, out))


@njit(cache=True, nogil=True)
def _read_hello(buf, row, conn, sink):
    """A ClientHello whole in its first packet is read here: its server name (if any) becomes
    a hello row and the connection needs no DPI; anything else goes to the Python decoder."""
    i, hellos, out = sink
    off, n = _hello_sni(buf, row.pl_off, row.pl_len)
    if off == -2:
        return
    conn.dpi = IGNORED
    if off >= 0:
        h = hellos[out[2]]
        h.row, h.off, h.len = i, off, n
        out[2] += 1


@njit(cache=True, nogil=True, forceinline=True)
def _slot(slots, row, out):
    """(slot, direction) of a row's connection, opening the slot if new; direction 0 = from
    the lower endpoint (a) to the higher (b)."""
    d = 0
    if row.src_hi > row.dst_hi or (row.src_hi == row.dst_hi and (
            row.src_lo > row.dst_lo or (row.src_lo == row.dst_lo and row.sport > row.dport))):
        d = 1
    if d == 0:
        a_hi, a_lo, a_port, b_hi, b_lo, b_port = \
            row.src_hi, row.src_lo, row.sport, row.dst_hi, row.dst_lo, row.dport
    else:
        a_hi, a_lo, a_port, b_hi, b_lo, b_port = \
            row.dst_hi, row.dst_lo, row.dport, row.src_hi, row.src_lo, row.sport
    s = _find(slots, row.ver, row.proto, a_hi, a_lo, b_hi, b_lo, a_port, b_port)
    if s < 0:
        s = -s - 1
        c = slots[s]
        c.state, c.ver, c.proto, c.dpi = USED, row.ver, row.proto, UNDECIDED
        c.a_hi, c.a_lo, c.b_hi, c.b_lo, c.a_port, c.b_port = a_hi, a_lo, b_hi, b_lo, a_port, b_port
        c.last_ts, c.budget, c.first_dir, c.tries, c.fast, c.page = row.ts, 0, 0, 0, 0, 0
        c.client = 0
        out[1] += 1
    return s, d


@njit(cache=True, nogil=True, forceinline=True)
def _handshake(conn, d, flags):
    """Which endpoint is the client, as a handshake packet sent in direction d shows it: a
    SYN's sender (always: a SYN may open a new connection on the same ports), a SYN/ACK's
    receiver (unless a SYN said)."""
    if not flags & ACK:
        conn.client = 1 + d
    elif conn.client == 0:
        conn.client = 2 - d


def client_side(rows: np.ndarray, slots: np.ndarray, slot: np.ndarray) -> list[int]:
    """Per row (of connection slot[k]): 1 if its sender is its connection's client, 0 if the
    server, -1 when no handshake was seen. The reassembler opens a connection at its first
    payload (the handshake goes to it only in the same batch) and would otherwise guess from
    the ports."""
    out = np.empty(len(slot), np.int8)
    _sides(rows, slots, slot, out)
    return out.tolist()


@njit(cache=True, nogil=True)
def _sides(rows, slots, slot, out):
    for k in range(len(slot)):
        s = slot[k]
        if s < 0 or slots[s].client == 0:
            out[k] = -1
            continue
        c, row = slots[s], rows[k]
        from_a = row.src_hi == c.a_hi and row.src_lo == c.a_lo and row.sport == c.a_port
        out[k] = 1 if (c.client == 1) == from_a else 0


@njit(cache=True, nogil=True, forceinline=True)
def _count(flows, s, d, row, timeouts, sinks):
    """FlowMeter.add for one packet."""
    idle, active = timeouts
    f = flows[2 * s + d]
    ts = row.ts
    if f.live and (ts - f.end > idle or ts - f.start >= active):
        slots, ended, out = sinks
        _emit(slots[s], d, f, ended, out)
    if not f.live:
        f.live, f.flags, f.start, f.end, f.packets, f.bytes = 1, 0, ts, ts, 0, 0
        f.psh, f.bytes_sq, f.gap_sq, f.gap_max, f.tls = 0, 0, 0.0, 0.0, 0
        f.seen_ts[0] = f.seen_ts[1] = -np.inf
    elif ts > f.end:
        gap = ts - f.end
        f.gap_sq += gap * gap
        f.gap_max = max(f.gap_max, gap)
        f.end = ts
    size = np.int64(row.ip_len)
    f.packets += 1
    f.bytes += size
    f.bytes_sq += size * size
    f.flags |= row.flags
    if row.flags & PSH:
        f.psh += 1


@njit(cache=True, nogil=True, forceinline=True)
def _fingerprint(row):
    """meter._fingerprint, compiled."""
    a = (np.uint64(row.seq) << np.uint64(32)) | np.uint64(row.ack)
    b = (np.uint64(row.mark) << np.uint64(32)) \
        | (np.uint64(row.ip_len & 0xFFFFFF) << np.uint64(8)) | np.uint64(row.flags)
    return a, b


@njit(cache=True, nogil=True, forceinline=True)
def _repeats(f, ts, a, b):
    """meter._repeats, compiled: whether the TCP packet of fingerprint (a, b) at ts is a copy
    of one of the last two of a live record."""
    if not f.live:
        return False
    for k in range(2):
        if abs(ts - f.seen_ts[k]) <= DUPLICATE_S and f.seen_a[k] == a and f.seen_b[k] == b:
            return True
    return False


@njit(cache=True, nogil=True, forceinline=True)
def _remember(f, ts, a, b):
    """A counted TCP packet becomes the newest of the record's last two."""
    f.seen_ts[0], f.seen_a[0], f.seen_b[0] = f.seen_ts[1], f.seen_a[1], f.seen_b[1]
    f.seen_ts[1], f.seen_a[1], f.seen_b[1] = ts, a, b


@njit(cache=True, nogil=True)
def _emit(conn, d, f, ended, out):
    e = ended[out[0]]
    out[0] += 1
    e.ver, e.proto, e.flags = conn.ver, conn.proto, f.flags
    if d == 0:
        e.src_hi, e.src_lo, e.sport = conn.a_hi, conn.a_lo, conn.a_port
        e.dst_hi, e.dst_lo, e.dport = conn.b_hi, conn.b_lo, conn.b_port
    else:
        e.src_hi, e.src_lo, e.sport = conn.b_hi, conn.b_lo, conn.b_port
        e.dst_hi, e.dst_lo, e.dport = conn.a_hi, conn.a_lo, conn.a_port
    e.start, e.end, e.packets, e.bytes = f.start, f.end, f.packets, f.bytes
    e.psh, e.bytes_sq, e.gap_sq, e.gap_max, e.tls = f.psh, f.bytes_sq, f.gap_sq, f.gap_max, f.tls
    f.live = 0


@njit(cache=True, nogil=True)
def _select(rows, slots, cfg, outs):
    """Second pass, in capture order: which TCP packets go to DPI, now that the batch has
    shown each new connection's first payload (so its handshake goes along)."""
    route, slot_of, out = outs
    for i in range(rows.shape[0]):
        s = slot_of[i]
        if s < 0 or route[i] != NONE or rows[i].proto != 6:
            continue
        conn = slots[s]
        if conn.dpi == CANDIDATE:
            # a bare ACK moves no stream bytes: the reassembler has nothing to do with it
            if rows[i].pl_len > 0 or rows[i].flags & 0x07:
                route[i] = DPI
        elif conn.dpi == STEADY:
            if rows[i].pl_len > 0 or rows[i].flags & 0x07:
                route[i] = TO_STEADY  # the compiled pool reader's (or DPI's, if it hands back)
                out[4] += 1
        elif conn.dpi == PAGE:
            if rows[i].pl_len > 0 or rows[i].flags & 0x07:
                route[i] = TO_PAGE  # the compiled page reader's (or DPI's, if Python adopts it)
                out[5] += 1
        elif conn.dpi == TLS:
            route[i] = DPI
            row = rows[i]
            if row.pl_len > 0:
                conn.budget -= 1
                d = 1 if (row.src_hi != conn.a_hi or row.src_lo != conn.a_lo
                          or row.sport != conn.a_port) else 0
                if conn.budget <= 0 or d != conn.first_dir:
                    conn.dpi = IGNORED  # the server answered: the ClientHello is complete


@njit(cache=True, nogil=True)
def batch_stats(rows, slot_of, counts, times):
    """What a routed batch tells the capture's counters: counts = [frames not IP, frames cut
    by the snap length, the longest such cut, IP frames that are no mirror copy], times =
    [first, latest, last] time of those (a copy's time is no new time); one pass, where
    numpy's column expressions took eight."""
    counts[:] = 0
    times[0], times[1], times[2] = np.nan, -np.inf, np.nan
    for i in range(rows.shape[0]):
        row = rows[i]
        if row.caplen < row.wirelen:
            counts[1] += 1
            counts[2] = max(counts[2], np.int64(row.caplen))
        if row.status == NON_IP:
            counts[0] += 1
        elif row.status == OK and slot_of[i] != COPY:
            if counts[3] == 0:
                times[0] = row.ts
            counts[3] += 1
            times[1] = max(times[1], row.ts)
            times[2] = row.ts


@njit(cache=True, nogil=True)
def _expire(slots, flows, times, cfg, ended, start):
    """From slot `start` on, until `ended` may not hold two more: emit the records idle at
    times[0] (capture time) and every record of a connection last active before times[1]
    (eviction), and free those connections' slots; (records, next slot, slots freed)."""
    now, evict = times
    idle, conn_timeout = cfg[0], cfg[2]
    out = np.zeros(2, np.int64)
    freed = 0
    s = start
    while s < len(slots) and out[0] + 2 <= len(ended):
        conn = slots[s]
        if conn.state == USED:
            gone = conn.last_ts < evict
            for d in range(2):
                f = flows[2 * s + d]
                if f.live and (gone or f.end < now - idle):
                    _emit(conn, d, f, ended, out)
            if not flows[2 * s].live and not flows[2 * s + 1].live \
                    and (gone or conn.last_ts < now - conn_timeout):
                conn.state = DELETED
                freed += 1
        s += 1
    return out[0], s, freed


@njit(cache=True, nogil=True)
def _orphans(slots, found):
    """Write (row, ticket) of freed slots that name a pool-reader row to `found` and clear
    them, while it has room; how many there were (more than len(found): call again)."""
    n = 0
    for s in range(len(slots)):
        c = slots[s]
        if c.fast > 0 and c.state != USED:
            if n < len(found):
                found[n, 0], found[n, 1] = c.fast - 1, c.ticket
                c.fast = 0
            n += 1
    return n


@njit(cache=True, nogil=True)
def _rehash(old, old_flows, slots, flows):
    for i in range(len(old)):
        c = old[i]
        if c.state != USED:
            continue
        s = -_find(slots, c.ver, c.proto, c.a_hi, c.a_lo, c.b_hi, c.b_lo, c.a_port, c.b_port) - 1
        slots[s] = c
        flows[2 * s] = old_flows[2 * i]
        flows[2 * s + 1] = old_flows[2 * i + 1]
