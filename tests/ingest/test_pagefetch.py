"""Page fetches read in compiled code (detect.pages, ingest.pagefetch) leave the tables as
Python leaves them: every table equal with the page reader and without it.

The conversations are plain pages, pages and scripts of browser miners (listed hosts, script
paths, markers in any case, split by chunked coding or compressed, WebSocket miners after a
101), keep-alive connections, a POST after a GET, long pages and tiny segments (the scan's
cap, the give-up rule), long client streams; cut anywhere, retransmitted, overlapped,
reordered, lost, paused near and past the reassembler's idle timeout, reset, reused, begun
mid-connection, and read in tiny batches so that every state crosses batches.
"""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import http
from minewatch.decode.packet import ACK, SYN, encode_tcp
from minewatch.decode.pcap import PcapWriter
from minewatch.detect import pages
from minewatch.detect.browser import BrowserScan, builtin_intel
from minewatch.ingest import capture, frames
from minewatch.flows.tcp import ConnKey
from minewatch.ingest.capture import CaptureIngest, read_capture
from minewatch.ingest.frames import ClassicFrames
from minewatch.ingest.packets import PacketIngest

from tcp_conversations import CLIENT, assert_same, connection

WEB = ("192.0.2.80", 80)
INTEL = builtin_intel()
LISTED_HOST = sorted(INTEL.hosts)[0]
LISTED_PATH = sorted(i.value for i in INTEL.paths)[0]
MARKER = sorted(INTEL.markers)[0]


def read(data: bytes, on: bool):
    tables, ingest, _ = read_capture(io.BytesIO(data), "in", "cap", pages=on)
    return tables, ingest


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(frames, "READ", 2048)
    monkeypatch.setattr(frames, "BATCH", 7)
    monkeypatch.setattr(capture, "EXPIRE_EVERY", 40)


# --- conversations ------------------------------------------------------------------------------

def _case(text: str, rng) -> str:
    """text with the case of some letters turned (hosts and paths are matched in any case)."""
    return "".join(c.upper() if rng.random() < 0.3 else c for c in text)


def request(rng, host: str, path: str, extra: str = "") -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0\r\n"
            f"Accept: */*\r\n{extra}\r\n").encode()


def body(rng, miner: bool) -> bytes:
    """A page: filler text, with an indicator somewhere when `miner`."""
    parts = [rng.bytes(int(rng.integers(50, 3000))).hex().encode()]
    if miner:
        what = rng.integers(3)
        if what == 0:
            parts.append(f'<script src="http://{_case(LISTED_HOST, rng)}/x.js"></script>'.encode())
        elif what == 1:
            parts.append(f'<script src="/x/{_case(LISTED_PATH, rng)}"></script>'.encode())
        else:
            parts.append(f"<script>var m = {MARKER}</script>".encode())
        parts.append(rng.bytes(int(rng.integers(10, 500))).hex().encode())
    return b"<html>" + b"".join(parts) + b"</html>"


def response(rng, content: bytes, coding: str = "") -> bytes:
    if coding == "gzip":
        content = gzip.compress(content)
        return (f"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {len(content)}"
                "\r\n\r\n").encode() + content
    if coding == "chunked":
        cut = sorted(int(x) for x in rng.integers(0, len(content), 3))
        pieces = [content[a:b] for a, b in zip([0, *cut], [*cut, len(content)]) if b > a]
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
            b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    return (f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(content)}"
            "\r\n\r\n").encode() + content


def websocket(rng, host: str) -> list[tuple[bool, bytes]]:
    """An upgrade to a WebSocket that carries a browser miner's protocol."""
    def frame(obj, mask: bool) -> bytes:
        data = json.dumps(obj).encode()
        key = rng.bytes(4) if mask else b""
        masked = bytes(b ^ key[k % 4] for k, b in enumerate(data)) if mask else data
        size = bytes([len(data) | (0x80 if mask else 0)]) if len(data) < 126 else \
            bytes([126 | (0x80 if mask else 0)]) + len(data).to_bytes(2, "big")
        return b"\x81" + size + key + masked
    return [(True, request(rng, host, "/proxy", "Upgrade: websocket\r\nConnection: Upgrade\r\n")),
            (False, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
            (True, frame({"type": "auth", "params": {"site_key": "k" * 32}}, True)),
            (False, frame({"type": "job", "params": {"blob": "00" * 76, "target": "ffff"}},
                          False)),
            (True, frame({"type": "submit", "params": {"nonce": "abcd", "result": "00"}}, True))]


def getwork_polls() -> list[tuple[bool, bytes]]:
    work = ('{"data":"' + "00" * 128 + '","target":"' + "ff" * 28 + "00" * 4 + '"}')
    calls = [("getwork", "[]", work)] * 2 + [("getwork", '["' + "00" * 128 + '"]', "true")]
    msgs = []
    for k, (method, params, result) in enumerate(calls):
        body = f'{{"id":{k},"method":"{method}","params":{params}}}'.encode()
        reply = f'{{"id":{k},"result":{result},"error":null}}'.encode()
        msgs += [(True, http.encode(http.request("POST", "/", (
                    ("Host", "mint.bitminter.com"), ("User-Agent", "cgminer/3.7.2")), body))),
                 (False, http.encode(http.response(200, "OK", (), reply)))]
    return msgs


def conversation(rng, kind: str) -> list[tuple[float, bool, bytes]]:
    """A page fetch's messages (ts, from the client, bytes) of one kind (see KINDS)."""
    host = f"site{int(rng.integers(100))}.example.org"
    msgs: list[tuple[bool, bytes]] = []
    for k in range(int(rng.integers(1, 4)) if "-then-" not in kind else 2):
        miner = kind in ("miner", "miner-then-big") and k == 0
        path = "/" if k == 0 else f"/page{k}.html"
        if kind == "listed-host" and k == 0:
            host = _case("www." + LISTED_HOST, rng)
        if kind == "listed-path" and k == 0:
            path = "/x/" + _case(LISTED_PATH, rng)
        cookie = f"Cookie: s={rng.bytes(3500).hex()}\r\n" if kind == "long-client" else ""
        msgs.append((True, request(rng, host, path, cookie)))
        coding = {"chunked": "chunked", "gzip": "gzip"}.get(kind, "")
        content = body(rng, miner or kind in ("chunked", "gzip"))
        if (kind in ("big", "big-then-miner") and k == 0) or (kind == "miner-then-big" and k):
            content = rng.bytes(40_000).hex().encode()
        if kind == "big-then-miner" and k > 0:
            content = body(rng, True)  # (after the page reader gave the connection up)
        msgs.append((False, response(rng, content, coding)))
    if kind == "websocket":
        msgs += websocket(rng, host)
    if kind == "post":  # a getwork miner polling its pool on the page's connection
        msgs += getwork_polls()
    t, out = 1000.0 + float(rng.uniform(0, 5)), []
    for up, data in msgs:
        t += float(rng.exponential(0.3))
        out.append((t, up, data))
    return out


KINDS = ("plain", "miner", "listed-host", "listed-path", "chunked", "gzip", "websocket",
         "post", "big", "big-then-miner", "miner-then-big", "long-client")


def capture_of(rng, convs: list, close: str, cut: bool = False, pause: float = 0.0,
               merge: bool = True) -> bytes:
    """A pcap of the conversations ((messages, rough) each) to WEB, each on its own client
    port; `cut`: the capture begins after each one's first packets; `pause`: the second half
    of every connection comes that many seconds later; `merge`: a segment may hold the end
    of a message and the start of the next (and carry the later one's time)."""
    rows = []
    for n, (msgs, rough) in enumerate(convs):
        client = (CLIENT[0], CLIENT[1] + n)
        packets = connection(msgs, rough, rng, close, merge=merge)
        if cut:
            packets = packets[int(rng.integers(1, 4)):]
        if pause:
            half = len(packets) // 2
            packets = packets[:half] + [(p[0] + pause,) + p[1:] for p in packets[half:]]
        rows += [(p[0], n, client, p) for p in packets]
    rows.sort(key=lambda r: r[:2])
    out = io.BytesIO()
    writer = PcapWriter(out)
    for ts, _, client, (_, up, flags, seq, data) in rows:
        src, dst = (client, WEB) if up else (WEB, client)
        flags = flags if flags == SYN else flags | ACK
        writer.write(ts, encode_tcp(src[0], dst[0], src[1], dst[1], seq, 0, flags, data))
    return out.getvalue()


def held_at_the_end(data: bytes, on: bool):
    """The capture's CaptureIngest after its last batch, before the end of input is read."""
    f = io.BytesIO(data)
    ingest = CaptureIngest("in", "cap", pages=on)
    for buf, rows, n in ClassicFrames(f, f.read(4), lambda n: None):
        ingest.batch(buf, rows, n)
    return ingest


def assert_states_as_python_holds(data: bytes) -> int:
    """Every page fetch open in compiled code at the end is what Python holds without the page
    reader: the reassembler's connection and the page reader's record, its browser scan fed
    the same bytes. The number of states compared."""
    fast, slow = held_at_the_end(data, True), held_at_the_end(data, False)
    text, compared = fast._addresses.text, 0
    for s in fast.pager.st[fast.pager.st["live"] == pages.OPEN]:
        if not s["opened"]:
            continue
        key = ConnKey(text(4, 0, int(s["c_lo"])), int(s["c_port"]), text(4, 0, int(s["s_lo"])),
                      int(s["s_port"]))
        conn = slow.dpi.tcp._conns.get(key)
        if conn is None:  # swept as idle by Python; the page reader hands it over as gone
            tcp = slow.dpi.tcp
            assert s["last_ts"] < tcp._next_sweep - tcp.config.sweep_interval - pages.IDLE_S
            continue
        assert (conn.last_ts, conn.closed, conn.isn) == (
            s["last_ts"], bool(s["closed"]), int(s["isn"]) if s["has_isn"] else None)
        for d, stream in enumerate((conn.up, conn.down)):
            assert (stream.position, stream.delivered, stream.fin_at, stream.gaps) == (
                int(s["next"][d]) if s["anchored"][d] else None, s["delivered"][d],
                int(s["fin_at"][d]) if s["fin_at"][d] >= 0 else None, 0)
        tracked = slow.dpi.conns.get(key)
        if s["closed"] or not s["classified"]:
            assert tracked is None
            continue
        assert (tracked.session, tracked.first_ts, tracked.chunks, tracked.seen) == (
            None, s["first_ts"], s["chunks"], s["seen"])
        probe = PacketIngest("in", "cap")
        fast.pager.adopt(int(np.flatnonzero(fast.pager.st["ticket"] == s["ticket"])[0]), probe,
                         text, float(s["last_ts"]))
        mine, theirs = probe.conns[key].browser, tracked.browser
        assert (mine._seen, bytes(mine._up), bytes(mine._down), mine._requests) == (
            theirs._seen, bytes(theirs._up), bytes(theirs._down), theirs._requests)
        compared += 1
    return compared


def same_both_ways(data: bytes):
    (fast, fast_in), (slow, slow_in) = read(data, True), read(data, False)
    assert_same(fast, slow)
    return fast, fast_in, slow_in


# --- tests --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(4))
def test_clean_page_fetches_read_in_compiled_code_as_in_python(seed, kind):
    rng = np.random.default_rng(seed)
    convs = [(conversation(rng, kind), False) for _ in range(3)]
    data = capture_of(rng, convs, ["fin", "rst", "open"][seed % 3], merge=False)
    fast, fast_in, slow_in = same_both_ways(data)
    if kind not in ("listed-host", "listed-path"):  # (their first request names the miner)
        assert fast_in.pager.packets > 0 and fast_in.routed < slow_in.routed
    if kind in ("miner", "listed-host", "listed-path", "chunked", "gzip", "websocket",
                "miner-then-big"):  # (not big-then-miner: Python gives it up before)
        assert fast["web_entities"].num_rows >= 1
    if kind == "plain":
        assert fast_in.pager.adopted == (3 if seed % 3 == 1 else 0)  # (a RST is Python's)
        assert fast["web_entities"].num_rows == 0
    if kind == "post":  # (the pool's, read in Python from the first POST on)
        assert fast["payload_sessions"].num_rows == 3 and fast_in.pager.adopted == 3


@pytest.mark.parametrize("seed", range(30))
def test_rough_page_fetches_read_in_compiled_code_as_in_python(seed):
    rng = np.random.default_rng(100 + seed)
    convs = [(conversation(rng, str(rng.choice(KINDS))), bool(rng.random() < 0.7))
             for _ in range(3)]
    same_both_ways(capture_of(rng, convs, ["fin", "rst", "open"][seed % 3],
                              cut=bool(seed % 4 == 3)))


@pytest.mark.parametrize("seed", range(40))
def test_page_fetches_open_at_the_end_are_held_as_python_holds_them(seed):
    rng = np.random.default_rng(500 + seed)
    kinds = ["plain", "big", "post", "long-client", "big-then-miner", "miner-then-big", "miner"]
    convs = [(conversation(rng, str(rng.choice(kinds))), bool(rng.random() < 0.7))
             for _ in range(4)]
    assert_states_as_python_holds(capture_of(rng, convs, "open", cut=bool(seed % 4 == 3)))


def test_the_held_states_are_compared():
    rng = np.random.default_rng(600)
    convs = [(conversation(rng, "plain"), False) for _ in range(6)]
    assert assert_states_as_python_holds(capture_of(rng, convs, "open")) >= 3


@pytest.mark.parametrize("pause", [250.0, 297.5, 298.5, 299.5, 300.0, 300.5, 301.0, 400.0])
@pytest.mark.parametrize("seed", range(3))
def test_pauses_near_the_idle_timeout_end_connections_as_in_python(seed, pause):
    rng = np.random.default_rng(200 + seed)
    convs = [(conversation(rng, str(rng.choice(["plain", "miner", "post"]))), False)
             for _ in range(3)]
    same_both_ways(capture_of(rng, convs, ["fin", "rst", "open"][seed % 3], pause=pause))


def test_a_page_fetch_cut_short_or_begun_mid_connection_as_in_python():
    rng = np.random.default_rng(300)
    for seed in range(6):
        convs = [(conversation(rng, kind), False) for kind in ("plain", "miner", "big")]
        same_both_ways(capture_of(rng, convs, "open", cut=True))


def test_with_no_room_left_page_fetches_stay_in_python(monkeypatch):
    from minewatch.ingest import pagefetch

    rng = np.random.default_rng(400)
    convs = [(conversation(rng, "plain"), False) for _ in range(12)]
    data = capture_of(rng, convs, "fin")
    real = pagefetch.PageReader.__init__
    monkeypatch.setattr(pagefetch.PageReader, "__init__",
                        lambda self: real(self, capacity=4, buffers=2))
    fast, fast_in, slow_in = same_both_ways(data)
    assert fast_in.pager.packets > 0 and fast_in.routed > 0


# --- the needles: what a BrowserScan could report on holds one ----------------------------------

PIECES = [b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 9",
          b"\r\n\r\n", b"<script src=", b"http://", b"ws://", b"/x.js", b"Referer: http://b/",
          b"Upgrade: websocket\r\n", b"HTTP/1.1 101 OK\r\n\r\n", b"Transfer-Encoding: chunked",
          LISTED_HOST.encode(), LISTED_HOST.upper().encode(), LISTED_PATH.encode(),
          MARKER.encode(), b"\x81\x05hello", b"0\r\n\r\n", b"x" * 40]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12), st.lists(st.sampled_from(PIECES),
                                                                max_size=12))
def test_a_browser_scan_reports_only_on_bytes_that_hold_a_needle(up, down):
    up_bytes, down_bytes = b"".join(up), b"".join(down)
    scan = BrowserScan()
    scan.feed("up", 1.0, up_bytes)
    scan.feed("down", 1.1, down_bytes)
    if scan.entities("10.0.0.1", "in"):
        needles = pages.browser_needles(INTEL)
        assert any(n in (up_bytes + b"|" + down_bytes).lower() for n in needles)


def test_the_compiled_needle_search_finds_what_python_finds():
    needles = pages.browser_needles(INTEL)
    table = pages.needle_table(needles)
    rng = np.random.default_rng(5)
    for _ in range(300):
        text = rng.bytes(int(rng.integers(0, 200)))
        if rng.random() < 0.5:
            at = int(rng.integers(len(text) + 1))
            needle = needles[int(rng.integers(len(needles)))]
            text = text[:at] + (needle.upper() if rng.random() < 0.5 else needle) + text[at:]
        arr = np.frombuffer(text + b"\0", np.uint8)
        want = any(n in text.lower() for n in needles)
        assert pages._hit(arr, 0, len(text), table) == want
