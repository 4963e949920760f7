"""Packets in, raw tables out: flows, pool sessions, Stratum events, DNS answers, TLS SNI,
browser-miner web entities.

`PacketIngest` is the explicit state for one capture; `add(raw)` takes one RawPacket and
`finish()` returns the tables. A capture of NetFlow/IPFIX datagrams (packets sent by exporters
to a collector) is recognised packet by packet and decoded as flow telemetry instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from minewatch import schema
from minewatch.decode import dns as dnsdec
from minewatch.decode import stratum_v2 as sv2
from minewatch.decode import tls as tlsdec
from minewatch.decode.getwork import asks_for_work
from minewatch.decode.http import is_http_start
from minewatch.decode.ipfrag import RAW_IP, parse_fragment
from minewatch.decode.packet import Segment, decode_frame
from minewatch.decode.pcap import RawPacket
from minewatch.decode.proxy import opens_tunnel
from minewatch.detect.browser import BrowserScan, merge_entities
from minewatch.detect.nodes import node_label
from minewatch.detect.stratum import StratumSession
from minewatch.detect.sv2 import Sv2Session, may_open_sv2
from minewatch.errors import DecodeError, NeedMoreData
from minewatch.flows.conntable import CLASSIFY_PACKETS, look_further  # one rule for both
from minewatch.flows.conntable import HEAD_SCAN
from minewatch.flows.ipfrag import FragmentReassembler, Outcome
from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.flows.tcp import ConnClosed, ConnKey, TcpConnectionTable
from minewatch.ingest.exports import ExportDecoder, looks_like_export
from minewatch.ingest.fragments import carried, lone_mark

TLS_HELLO_LIMIT = 16384  # bytes of a client's first flight we wait for to read the SNI
GIVE_UP_CHUNKS = 64  # data chunks a connection may carry before it must have shown mining,
GIVE_UP_BYTES = 4096  # and bytes (a miner that writes in tiny segments is still a miner)
EVENTS_EVERY = 8  # event rows a pool session holds before handing them over (x live sessions)
_IGNORE = object()


Sink = Callable[[str, pa.Table], None]  # (table name, rows): where rows go as they are made


class Rows:
    """Rows of one table: dicts as they come, compacted to Arrow every `every` rows (a dict per
    row costs about ten times its Arrow form, and a capture can hold millions of events), and
    handed to `sink` if there is one (`table()` then holds only what was not handed over)."""

    def __init__(self, table: str, every: int = 1 << 15, sink: Sink | None = None):
        self._table, self._every, self._sink = table, every, sink
        self._rows: list[dict] = []
        self._parts: list[pa.Table] = []

    def append(self, row: dict) -> None:
        self._rows.append(row)
        if len(self._rows) >= self._every:
            self._compact()

    def extend(self, rows) -> None:
        for row in rows:
            self.append(row)

    def add_table(self, part: pa.Table) -> None:
        """Rows already in Arrow form (the table's columns), after those appended before."""
        self._compact()
        self._parts.append(part.cast(schema.arrow_schema(self._table)))
        if self._sink is not None and sum(t.num_rows for t in self._parts) >= self._every:
            self._sink(self._table, pa.concat_tables(self._parts))
            self._parts = []

    def __len__(self) -> int:
        return len(self._rows) + sum(t.num_rows for t in self._parts)

    def table(self) -> pa.Table:
        self._compact()
        if not self._parts:
            return schema.to_table(self._table, [])
        return pa.concat_tables(self._parts)

    def _compact(self) -> None:
        if not self._rows:
            return
        part = schema.to_table(self._table, self._rows)
        self._rows = []
        if self._sink is not None and len(part) >= self._every:
            self._sink(self._table, part)
        else:
            self._parts.append(part)


@dataclass(slots=True)
class Counters:
    packets: int = 0
    skipped: int = 0  # frames that did not decode
    non_ip: int = 0
    export_datagrams: int = 0
    first_error: str = ""
    cut_short: int = 0  # frames the capture kept only the start of (snap length)
    snaplen: int = 0  # the most bytes it kept of such a frame
    holes: int = 0  # holes in pool sessions the reassembler gave up on (capture drops)
    duplicates: int = 0  # TCP packets a mirror port sent twice: the second copies, not counted
    fragments_left: int = 0  # IP fragments of datagrams never rebuilt: metered, not read

    def cut(self, frames: int, kept: int) -> None:
        """Frames the capture cut short, the longest after `kept` bytes."""
        self.cut_short, self.snaplen = self.cut_short + frames, max(self.snaplen, kept)

    def quality(self) -> str:
        """What the capture lost, as a clause for the input's line ('' if nothing)."""
        parts = [f"{_count(self.cut_short, 'packet')} cut short by the capture's snap length "
                 f"of {self.snaplen:,} bytes"] if self.cut_short else []
        if self.holes:
            parts.append(f"{_count(self.holes, 'hole')} in pool sessions, where the capture "
                         "missed packets")
        if self.duplicates:
            parts.append(f"{_count(self.duplicates, 'packet')} captured twice (a mirror port's "
                         "second copy), counted once")
        if self.fragments_left:
            parts.append(f"{_count(self.fragments_left, 'IP fragment')} of datagrams that could "
                         "not be put together, counted but not read")
        return "; ".join(parts)

    def error(self, message: str) -> None:
        self.skipped += 1
        if not self.first_error:
            self.first_error = message


@dataclass(slots=True)
class _Tracked:
    """A connection DPI reads: a pool session (maybe with a browser scan over HTTP), a page
    fetch (no session, a browser scan) or a TLS client's first flight (neither)."""

    session: StratumSession | Sv2Session | None = None
    hello: bytes = b""  # TLS ClientHello bytes so far
    first_ts: float = 0.0
    chunks: int = 0  # data chunks fed so far
    seen: int = 0  # and their bytes
    browser: BrowserScan | None = None  # HTTP connections: browser-miner markers


@dataclass
class PacketIngest:
    input_id: str
    exporter: str
    sink: Sink | None = None  # large row blocks (events, DNS, SNI) go here as they are made
    counters: Counters = field(default_factory=Counters)
    first_ts: float | None = None
    last_ts: float = 0.0

    def __post_init__(self) -> None:
        self.meter = FlowMeter(MeterConfig(exporter=self.exporter, input_id=self.input_id))
        self.tcp = TcpConnectionTable()
        self.exports = ExportDecoder(self.input_id)
        # undecided: (chunks, bytes) that told nothing so far
        self.conns: dict[ConnKey, _Tracked | tuple[int, int] | object] = {}
        self.flow_rows: list[dict] = []
        self.sessions: list[tuple[dict, bool]] = []  # (row, closed)
        self.events = Rows("stratum_events", sink=self.sink)
        self.dns_rows = Rows("dns_map", sink=self.sink)
        self.tls_rows = Rows("tls_hellos", sink=self.sink)
        self.web_rows: list[dict] = []
        # connections of no miner, labelled (daemon-rpc, node): one row per connection and
        # label, however often the reassembler reopened it (after idle pauses)
        self.labelled: dict[tuple, dict] = {}
        self.dropped: list[ConnKey] = []  # connections the last inspect() stopped reading
        # pool sessions whose steady state could move to compiled code (None: no such reader)
        self.ready: list[tuple[ConnKey, _Tracked]] | None = None
        self.on_close: Callable[[ConnKey], None] | None = None  # before a connection ends
        self.fragments = FragmentReassembler()  # (the compiled path has its own: its rows)

    def add(self, raw: RawPacket) -> None:
        self.counters.packets += 1
        if len(raw.data) < raw.wirelen:
            self.counters.cut(1, len(raw.data))
        try:
            seg = decode_frame(raw.linktype, raw.data, raw.ts)
        except DecodeError as exc:
            self.counters.error(f"packet {self.counters.packets}: {exc}")
            return
        if seg is None:
            self.counters.non_ip += 1
            return
        gather = self.fragments
        if gather.oldest is not None and gather.oldest < seg.ts - gather.timeout:
            for outcome in gather.expire(seg.ts):  # (compiled path: at a fragment, a batch end)
                for whole in self._outcome(outcome):
                    self._segment(whole)
        if seg.fragment:
            for whole in self._pieces(seg):
                self._segment(whole)
            return
        self._segment(seg)

    def _pieces(self, seg: Segment) -> list[Segment]:
        """What a fragment completes or gives up, as `ingest.fragments` makes them on the
        compiled path."""
        try:
            frag = parse_fragment(seg.payload)
        except DecodeError:
            frag = None
        done = self.fragments.add(seg.ts, frag, (seg, frag)) if frag is not None \
            else [Outcome(None, [(seg, None)])]
        return [whole for outcome in done for whole in self._outcome(outcome)]

    def _outcome(self, outcome: Outcome) -> list[Segment]:
        if outcome.packet is None:
            self.counters.fragments_left += len(outcome.records)
            return [seg._replace(payload=b"", fragment=False, **_lone(seg, frag))
                    for seg, frag in outcome.records]
        last = outcome.records[-1][0]
        try:
            whole = decode_frame(RAW_IP, outcome.packet, last.ts)
        except DecodeError as exc:
            self.counters.error(f"packet {self.counters.packets}: {exc}")
            return []
        if whole.fragment:  # a fragment inside a rebuilt tunnel
            whole = whole._replace(payload=b"", fragment=False)
        pieces = sum(seg.ip_len for seg, _ in outcome.records)
        return [whole._replace(ip_len=carried(whole.ip_len, len(outcome.packet), pieces))]

    def _segment(self, seg: Segment) -> None:
        """One whole segment metered and inspected."""
        if self.first_ts is None:
            self.first_ts = seg.ts
        last, self.last_ts = self.last_ts, max(self.last_ts, seg.ts)
        if seg.proto == 17 and looks_like_export(seg):
            self.export(seg)
            return
        if seg.proto == 17 and seg.sport == 53:
            self.dns(seg)
        if not self.meter.add(seg):  # a mirror's second copy: its time is no new time either
            self.counters.duplicates += 1
            self.last_ts = last
            return
        self.inspect(seg)
        if self.counters.packets % 4096 == 0:
            self.flow_rows += self.meter.expired(seg.ts)

    def inspect(self, seg, client: int = -1) -> list[ConnKey]:
        """Deep inspection of one TCP segment (reassembly, pool dialects, TLS SNI, web pages);
        the connections it made DPI stop reading. `client`: whether seg's sender is the client
        as a handshake the caller read showed it (TcpConnectionTable.add)."""
        self.dropped = []
        for ev in self.tcp.add(seg, client):
            self._event(ev)
        return self.dropped

    def sweep(self, now: float) -> None:
        """The reassembler's idle sweep at capture time `now`, when due (packets read in
        compiled code move the capture's time on without passing through `inspect`)."""
        for ev in self.tcp.sweep(now):
            self._event(ev)

    def export(self, seg) -> None:
        """A NetFlow/IPFIX datagram carried in the capture."""
        self.counters.export_datagrams += 1
        self.exports.add(seg)

    def dns(self, seg) -> None:
        try:
            msg = dnsdec.parse_message(seg.payload)
        except DecodeError:
            return
        for name, addr, ttl in dnsdec.answer_addresses(msg):
            self.dns_rows.append({"ts": seg.ts, "client_ip": seg.dst, "query": name,
                                  "answer": addr, "ttl": ttl, "input_id": self.input_id})

    def _event(self, ev) -> None:
        if isinstance(ev, ConnClosed):
            self._close(ev)
            return
        key, direction, ts, data = ev
        st = self.conns.get(key)
        if not data:  # the reassembler gave up on a hole here
            if isinstance(st, _Tracked) and st.session is not None:
                st.session.gap(direction)
            return
        if st is None or type(st) is tuple:  # undecided
            tried, seen = st or (0, 0)
            label = node_label(data) if tried < CLASSIFY_PACKETS else None
            if label is not None:  # a coin node's P2P: no miner, but shown
                self._label(key, label, ts)
                self._drop(key)
                return
            st = self._classify(key, direction, data, ts, tried >= CLASSIFY_PACKETS)
            if st is _IGNORE and look_further(tried + 1, seen + len(data)):
                self.conns[key] = (tried + 1, seen + len(data))  # it may begin inside a message
                return
            self.conns[key] = st
            if st is _IGNORE:
                self.dropped.append(key)
        if st is _IGNORE:
            return
        if st.session is None:
            if st.browser is None:
                self._read_hello(key, st, data, ts)
                return
            if not (direction == "up" and data[:5] == b"POST "):
                self._page(key, st, direction, ts, data)
                return
            st.session = _stratum(key)  # a page connection that posts: RPC from here on
        st.session.feed(direction, ts, data)
        if len(st.session.events) >= EVENTS_EVERY and st.session.is_mining():
            self._take_events(key, st.session)  # a long pool session's events, as they come
        if _spoke_long(st, data) and not st.session.is_mining():
            self._give_up(key, st)
            return
        if st.browser is not None:  # a miner polling over HTTP is no web page: stop scanning
            st.browser = None if st.session.is_mining() else st.browser
        if st.browser is not None:
            st.browser.feed(direction, ts, data)
        if st.session.gave_up:  # a wrong SV2 guess, a coin daemon's RPC, TLS in a tunnel
            self._give_up(key, st)
        elif self.ready is not None and st.browser is None \
                and type(st.session) in (StratumSession, Sv2Session) and st.session.steady_ready():
            self.ready.append((key, st))  # the caller may move its steady state to compiled code

    def _page(self, key: ConnKey, st: _Tracked, direction: str, ts: float, data: bytes) -> None:
        """A connection that opened with a GET: a page fetch, read by the browser scan alone.
        No pool dialect is spoken over GET (getwork, getblocktemplate and ETHProxy's HTTP
        polling all POST; a getwork miner's long poll GETs with X-Mining-Extensions, and
        `_classify` gives it a Stratum session), so the Stratum session that would parse every
        page is spared until the client POSTs. It is given up after as many chunks as a pool
        session would be."""
        if _spoke_long(st, data):
            self._give_up(key, st)
            return
        st.browser.feed(direction, ts, data)

    def adopt_page(self, key: ConnKey, first_ts: float, counts: tuple[int, int],
                   up: list[tuple[float, bytes]], down: bytes) -> None:
        """A page fetch read elsewhere so far (the compiled page reader, ingest.pagefetch):
        its record as `_classify` and `_page` leave it (first chunk's time, chunks and bytes
        so far), with a browser scan fed the same chunks."""
        self.conns[key] = _Tracked(first_ts=first_ts, chunks=counts[0], seen=counts[1],
                                   browser=_fed_scan(first_ts, up, down))

    def page_rows(self, key: ConnKey, first_ts: float, up: list[tuple[float, bytes]],
                  down: bytes) -> None:
        """What the browser scan of a page fetch read elsewhere reports at its end (`_close`'s
        rows for it), the scan fed as `adopt_page` feeds it."""
        self.web_rows += _fed_scan(first_ts, up, down).entities(key.client_ip, self.input_id)

    def _take_events(self, key: ConnKey, session) -> None:
        self.events.extend(_event_row(e, key, self.input_id) for e in session.take_events())

    def _drop(self, key: ConnKey) -> None:
        self.conns[key] = _IGNORE
        self.dropped.append(key)

    def _give_up(self, key: ConnKey, st: _Tracked) -> None:
        """Stop decoding a connection that has nothing more to tell: one that spoke long
        without a mining message (JSON-RPC APIs, web browsing), a coin daemon's, TLS inside a
        proxy tunnel. Keep what the browser scan found, and the tunnel's server name."""
        if st.browser is not None:
            self.web_rows += st.browser.entities(key.client_ip, self.input_id)
        label = st.session.label() if isinstance(st.session, StratumSession) else None
        if label is not None:  # a coin daemon's RPC: no miner, but shown
            self._label(key, label, st.first_ts)
        hello = getattr(st.session, "tunnel_hello", None)
        if hello is not None:  # derive matches the name per connection: the server is a proxy
            self.tls_rows.append({"ts": st.first_ts, "client_ip": key.client_ip,
                                  "client_port": key.client_port, "server_ip": key.server_ip,
                                  "server_port": key.server_port, "sni": hello[1],
                                  "proxy": hello[0], "input_id": self.input_id})
        self._drop(key)

    def _label(self, key: ConnKey, label: dict, ts_start: float) -> None:
        """A connection of no miner, labelled (labelled_connections): label, methods, agent
        and evidence from `label`. A connection the reassembler ended after an idle pause
        and met again is the same connection: its first label stands."""
        self.labelled.setdefault((key, label["label"]), label | {
            "ts_start": ts_start, "client_ip": key.client_ip, "client_port": key.client_port,
            "server_ip": key.server_ip, "server_port": key.server_port,
            "input_id": self.input_id})

    def _classify(self, key: ConnKey, direction: str, data: bytes, ts: float, late: bool):
        """What a connection's first data says (conntable._classify's rule, which routes a
        superset of it); `late`: only a JSON-RPC message start counts (see there)."""
        head = data[:HEAD_SCAN]
        if late:
            return _Tracked(_stratum(key), first_ts=ts) if opens_rpc_line(head) else _IGNORE
        if direction == "up" and head[:1] == b"\x16":
            return _Tracked(first_ts=ts)
        if (direction == "up" and may_open_sv2(head)) or sv2.looks_like_mining_frames(head):
            # (before "{": binary frames may hold one; mining frames either way: mid-session)
            return _Tracked(Sv2Session(server=(key.server_ip, key.server_port)), first_ts=ts)
        if direction == "up" and opens_tunnel(head):  # SOCKS or CONNECT: a pool may follow
            return _Tracked(_stratum(key), first_ts=ts)
        short = starts_a_word(head)  # "GE": an HTTP word, unless "CONNECT "'s beginning
        if opens_json(head) or head[:5] in (b"POST ", b"GET /", b"HTTP/") or short:
            http_like = is_http_start(head) or (short and head[:1] != b"C")
            browser = BrowserScan() if http_like else None
            get = head[:4] == b"GET " or (short and b"GET /".startswith(head))
            if browser is not None and direction == "up" and get and not asks_for_work(head):
                return _Tracked(first_ts=ts, browser=browser)  # a page fetch: see _page
            return _Tracked(_stratum(key), first_ts=ts, browser=browser)
        return _IGNORE

    def _read_hello(self, key: ConnKey, st: _Tracked, data: bytes, ts: float) -> None:
        st.hello += data
        try:
            hello = tlsdec.parse_client_hello(st.hello)
        except NeedMoreData:
            if len(st.hello) < TLS_HELLO_LIMIT:
                return
            hello = None
        except DecodeError:
            hello = None
        if hello is not None and hello.sni:
            self.tls_rows.append({"ts": st.first_ts, "client_ip": key.client_ip,
                                  "client_port": key.client_port, "server_ip": key.server_ip,
                                  "server_port": key.server_port, "sni": hello.sni.lower(),
                                  "input_id": self.input_id})
        self._drop(key)

    def _close(self, ev: ConnClosed) -> None:
        if self.on_close is not None:
            self.on_close(ev.key)
        st = self.conns.pop(ev.key, None)
        if not isinstance(st, _Tracked) or (st.session is None and st.browser is None):
            return
        if st.session is None or not st.session.is_mining():
            if st.browser is not None:
                self.web_rows += st.browser.entities(ev.key.client_ip, self.input_id)
            return
        self.counters.holes += ev.gaps
        row = _session_row(st.session.summary(), ev.key, self.input_id, st.first_ts)
        row["shares_unpriced"] = st.session.counters["shares_unpriced"]
        row["tls"] = getattr(st.session, "encrypted", False)  # SV2 behind Noise
        self.sessions.append((row, ev.reason in ("fin", "rst", "idle")))
        self._take_events(ev.key, st.session)

    def finish(self, flows: pa.Table | None = None) -> dict[str, pa.Table]:
        """All tables; `flows` replaces this object's own meter (the compiled path meters)."""
        for outcome in self.fragments.flush():
            for seg in self._outcome(outcome):
                self._segment(seg)
        self.counters.duplicates += self.fragments.repeats
        self.fragments.repeats = 0  # (counted once, should finish be called again)
        for ev in self.tcp.flush():
            self._event(ev)
        self.flow_rows += self.meter.flush()
        if flows is not None:
            flows = flows.cast(schema.arrow_schema("flows"))
        else:
            flows = schema.to_table("flows", self.flow_rows)
        end = self.last_ts
        for row, closed in self.sessions:
            stop = row["ts_end"] if closed else end
            row["window_s"] = max(stop - row["ts_start"], 1e-3)
        flows = pa.concat_tables([flows, self.exports.table().cast(schema.arrow_schema("flows"))])
        return {
            "flows": flows,
            "payload_sessions": schema.to_table("payload_sessions", [r for r, _ in self.sessions]),
            "stratum_events": self.events.table(),
            "dns_map": self.dns_rows.table(),
            "tls_hellos": self.tls_rows.table(),
            "web_entities": schema.to_table("web_entities", merge_entities(self.web_rows)),
            "labelled_connections": schema.to_table("labelled_connections",
                                                    list(self.labelled.values())),
        }


def _lone(seg: Segment, frag) -> dict:
    """The fields ingest.fragments gives a fragment given up: the first one's ports."""
    if frag is None:
        return {}
    fields = dict(zip(("sport", "dport", "flags", "seq", "ack"), frag.transport()))
    return fields | {"mark": lone_mark(seg.mark, frag)}


def _fed_scan(first_ts: float, up: list[tuple[float, bytes]], down: bytes) -> BrowserScan:
    """A browser scan fed a page fetch's chunks: the client's each at its time, the server's
    at once (their times are not read)."""
    browser = BrowserScan()
    for ts, data in up:
        browser.feed("up", ts, data)
    if down:
        browser.feed("down", first_ts, down)
    return browser


def _stratum(key: ConnKey) -> StratumSession:
    """A session that knows its connection's ends: the server's port is evidence (getwork's
    rules tell a coin daemon's RPC port from a pool's)."""
    return StratumSession((key.client_ip, key.client_port), (key.server_ip, key.server_port))


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}" + ("" if n == 1 else "s")


def _spoke_long(st: _Tracked, data: bytes) -> bool:
    """Count a data chunk of a connection DPI reads; whether it has now carried more than
    GIVE_UP_CHUNKS chunks and GIVE_UP_BYTES bytes (after which it must have shown mining)."""
    st.chunks, st.seen = st.chunks + 1, st.seen + len(data)
    return st.chunks > GIVE_UP_CHUNKS and st.seen > GIVE_UP_BYTES


_RPC_LINE = re.compile(rb'\A[ \t\n\v\f\r]*\{[ \t\n\v\f\r]*"|\n\{[ \t\n\v\f\r]*"')


# A first segment cut inside its first word (tools that dodge DPI split a request after a
# byte or two) still opens the connection: the words it may begin
SHORT_STARTS = (b"POST ", b"GET /", b"HTTP/", b"CONNECT ")


def starts_a_word(head: bytes) -> bool:
    """Whether a connection's first chunk is a proper beginning of one of SHORT_STARTS ("PO"):
    the rest of the word, and the request, come in the next chunks."""
    return bool(head) and any(len(head) < len(w) and w.startswith(head) for w in SHORT_STARTS)


def opens_rpc_line(head: bytes) -> bool:
    """Whether a chunk holds a JSON-RPC message start: '{' then '"' (white space around the
    brace), at the beginning or right after a newline."""
    return _RPC_LINE.search(head) is not None


def opens_json(head: bytes) -> bool:
    """Whether a chunk holds the start of a JSON object where a line-delimited JSON-RPC message
    starts: at the beginning, or after a newline or another object. A "{" inside binary data
    (Bitcoin P2P, SSH) or in the middle of a line is no such start; a capture that begins in
    the middle of a pool message shows the next message in one of the following chunks."""
    return head.lstrip()[:1] == b"{" or b"\n{" in head or b"}{" in head


def _session_row(summary: dict, key: ConnKey, input_id: str, first_ts: float) -> dict:
    row = dict(summary)
    row.update(client_ip=key.client_ip, client_port=key.client_port, server_ip=key.server_ip,
               server_port=key.server_port, input_id=input_id, tls=False, detection="payload")
    row["ts_start"] = min(row.get("ts_start") or first_ts, first_ts)
    sid = f"{key.client_ip}|{key.client_port}|{key.server_ip}|{key.server_port}|{row['ts_start']:.6f}"
    row["session_id"] = hashlib.sha1(sid.encode()).hexdigest()[:16]
    if not isinstance(row.get("evidence"), str):
        row["evidence"] = json.dumps(row.get("evidence") or [], ensure_ascii=False)
    return row


def _event_row(event: dict, key: ConnKey, input_id: str) -> dict:
    """A session's event (handed over by take_events, so ours to change) with its endpoints."""
    row = event
    row.update(client_ip=key.client_ip, client_port=key.client_port, server_ip=key.server_ip,
               server_port=key.server_port, input_id=input_id)
    return row
