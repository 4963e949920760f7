"""TCP reassembly and the connection table: properties, the ugly cases, and real captures whose
reassembled streams must equal what Wireshark follows."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.packet import ACK, FIN, PSH, RST, SYN, Segment, decode_frame
from minewatch.decode.pcap import PcapReader
from minewatch.flows.tcp import (
    ConnClosed, ConnKey, StreamReassembler, TcpConfig, TcpConnectionTable, client_is_source,
)

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"
MOD = 2**32


def joined(chunks) -> bytes:
    return b"".join(data for _, data in chunks)


# -- StreamReassembler: the property

@settings(max_examples=300)
@given(st.data())
def test_shuffled_duplicated_overlapping_segments_rebuild_the_stream(data):
    stream = data.draw(st.binary(min_size=1, max_size=4000))
    isn = data.draw(st.one_of(st.integers(0, MOD - 1), st.integers(MOD - 4000, MOD - 1)))
    cuts = data.draw(st.lists(st.integers(1, max(1, len(stream) - 1)), max_size=40))
    bounds = sorted({0, len(stream), *cuts})
    pieces = list(pairwise(bounds))
    overlaps = data.draw(st.lists(st.tuples(st.integers(0, len(stream) - 1),
                                            st.integers(1, 600)), max_size=10))
    pieces += [(a, min(len(stream), a + n)) for a, n in overlaps]
    pieces += data.draw(st.lists(st.sampled_from(pieces), max_size=8))  # retransmissions
    with_syn = data.draw(st.booleans())
    first, rest = pieces[0], data.draw(st.permutations(pieces[1:]))
    r = StreamReassembler()
    # without a SYN the first segment seen anchors the stream, so it must be the first one
    out = r.add(isn, b"", 0.0, syn=True) if with_syn else []
    order = data.draw(st.permutations([first, *rest])) if with_syn else [first, *rest]
    for a, b in order:
        out += r.add((isn + 1 + a) % MOD, stream[a:b], 1.0)
    out += r.flush()
    assert joined(out) == stream
    assert (r.gaps, r.gap_bytes, r.delivered) == (0, 0, len(stream))


@settings(max_examples=200)
@given(st.binary(min_size=3, max_size=2000), st.data())
def test_lost_segment_is_one_counted_gap(stream, data):
    a = data.draw(st.integers(1, len(stream) - 2))
    b = data.draw(st.integers(a + 1, len(stream) - 1))
    r = StreamReassembler()
    out = r.add(7, stream[:a], 0.0)
    out += r.add(7 + b, stream[b:], 1.0)
    out += r.flush()
    assert [data for _, data in out] == [stream[:a], b"", stream[b:]]  # b"" marks the hole
    assert (r.gaps, r.gap_bytes) == (1, b - a)


# -- StreamReassembler: the cases

def test_in_order_chunks_carry_their_timestamps():
    r = StreamReassembler()
    assert r.add(1000, b"abc", 1.0, syn=False) == [(1.0, b"abc")]
    assert r.add(1003, b"def", 2.0) == [(2.0, b"def")]


def test_late_segment_releases_the_buffer_at_its_own_time():
    r = StreamReassembler()
    r.add(0, b"", 0.0, syn=True)
    assert r.add(4, b"world", 1.0) == []
    assert r.add(1, b"hel", 2.0) == [(2.0, b"helworld")]  # contiguous chunks come joined


def test_first_seen_bytes_win_overlaps():
    r = StreamReassembler()
    assert r.add(100, b"AAAA", 0.0) == [(0.0, b"AAAA")]
    assert r.add(106, b"CCCC", 1.0) == []
    assert r.add(104, b"BBXXXX", 2.0) == [(2.0, b"BBCCCC")]
    assert r.add(100, b"ZZZZZZZZZZ", 3.0) == []  # delivered bytes are never delivered again
    assert r.add(108, b"QQWW", 4.0) == [(4.0, b"WW")]


def test_buffered_pieces_keep_first_seen_bytes_too():
    r = StreamReassembler()
    r.add(0, b"x", 0.0)
    r.add(5, b"55", 1.0)
    r.add(9, b"99", 1.0)
    r.add(3, b"abcdefghij", 2.0)  # overlaps both waiting pieces
    assert joined(r.add(1, b"12", 3.0)) == b"12" + b"ab55e" + b"f" + b"99" + b"ij"


def test_sequence_wraparound():
    r = StreamReassembler()
    isn = MOD - 3
    r.add(isn, b"", 0.0, syn=True)
    assert r.add(3, b"WORLD", 1.0) == []  # seq wrapped past 0
    assert r.add(MOD - 2, b"HELLO", 2.0) == [(2.0, b"HELLOWORLD")]
    assert r.add(8, b"!", 3.0) == [(3.0, b"!")]


def test_buffer_limit_skips_the_gap():
    r = StreamReassembler(limit=100)
    r.add(0, b"a" * 10, 0.0)
    assert r.add(20, b"b" * 60, 1.0) == []  # bytes 10..19 were never captured
    assert r.add(80, b"c" * 50, 2.0) == [(1.0, b""), (1.0, b"b" * 60), (2.0, b"c" * 50)]
    assert (r.gaps, r.gap_bytes) == (1, 10)
    assert r.add(15, b"late", 3.0) == []  # the hole filling in after all: too late


def test_max_wait_skips_a_hole_that_never_fills():
    r = StreamReassembler(max_wait=5.0)
    r.add(0, b"abc", 0.0)
    assert r.add(10, b"later", 1.0) == []
    assert r.add(15, b"", 3.0) == []  # an ACK-only segment: still within max_wait
    assert r.add(15, b"", 7.0) == [(1.0, b""), (1.0, b"later")]  # b"": the hole; each piece
    # keeps its arrival time (when a hole is given up on depends on the packets a reader sees)
    assert (r.gaps, r.gap_bytes) == (1, 7)


def test_a_hole_the_receiver_acknowledges_is_given_up_on_at_once():
    r = StreamReassembler(max_wait=30.0)
    r.add(0, b"abc", 0.0)
    assert r.add(10, b"later", 1.0) == []
    assert r.acked(5, 1.5) == []  # part of the hole acknowledged: the rest may be in flight
    assert r.acked(10, 2.0) == [(1.0, b""), (1.0, b"later")]  # all of it: the capture lost it
    assert (r.gaps, r.gap_bytes, r.delivered) == (1, 7, 8)
    r.add(20, b"x", 3.0)
    r.add(30, b"y", 3.0)
    assert r.acked(31, 4.0) == [(3.0, b""), (3.0, b"x"), (3.0, b""), (3.0, b"y")]
    assert (r.gaps, r.gap_bytes) == (3, 7 + 5 + 9)
    assert r.acked(1 << 20, 5.0) == [] and r.acked(0, 5.0) == []  # nothing waits: no effect
    r.add(40, b"z", 6.0)
    assert r.acked(40 + (2 << 20), 6.0) == []  # far beyond what was seen: not trusted
    assert r.acked(41, 6.5) == [(6.0, b""), (6.0, b"z")]


def test_flushed_pieces_keep_their_arrival_times():
    r = StreamReassembler()
    r.add(0, b"a", 0.0)
    r.add(3, b"b", 5.0)
    r.add(4, b"c", 4.0)
    r.add(9, b"d", 6.0)
    assert r.flush() == [(5.0, b""), (5.0, b"b"), (4.0, b"c"), (6.0, b""), (6.0, b"d")]
    assert (r.gaps, r.gap_bytes) == (2, 2 + 4)


def test_keepalive_does_not_anchor_the_stream():
    r = StreamReassembler()
    assert r.add(999, b"", 0.0) == []  # keep-alive: one below the next byte
    assert r.add(1000, b"data", 1.0) == [(1.0, b"data")]
    assert r.add(1003, b"\0", 2.0) == []  # keep-alive with its garbage byte


def test_fin_marks_the_end():
    r = StreamReassembler()
    r.add(0, b"", 0.0, syn=True)
    r.add(6, b"", 1.0, fin=True)
    assert not r.finished
    r.add(1, b"hello", 2.0)
    assert r.finished


# -- the connection table

CLIENT, POOL = ("10.0.0.2", 50000), ("1.2.3.4", 3333)
KEY = ConnKey(*CLIENT, *POOL)


def seg(src, dst, flags, seq, payload=b"", ts=0.0, ack=0) -> Segment:
    return Segment(ts, src[0], dst[0], 6, src[1], dst[1], flags, seq, ack, payload,
                   40 + len(payload))


def feed(table, segments):
    events = []
    for s in segments:
        events += table.add(s)
    return events


def handshake(ts=0.0, isn=100):
    return [seg(CLIENT, POOL, SYN, isn, ts=ts), seg(POOL, CLIENT, SYN | ACK, 500, ts=ts),
            seg(CLIENT, POOL, ACK, isn + 1, ts=ts)]


def test_full_session_with_fin_close_and_stragglers():
    table = TcpConnectionTable()
    events = feed(table, handshake() + [
        seg(CLIENT, POOL, PSH | ACK, 101, b"login\n", 1.0),
        seg(POOL, CLIENT, PSH | ACK, 501, b"ok\n", 2.0),
        seg(CLIENT, POOL, FIN | ACK, 107, ts=3.0),
        seg(POOL, CLIENT, FIN | ACK, 504, ts=3.1),
    ])
    assert events == [
        (KEY, "up", 1.0, b"login\n"), (KEY, "down", 2.0, b"ok\n"),
        ConnClosed(KEY, 3.1, "fin", 6, 3, 0, 0),
    ]
    # the last ACK and a retransmission after the close open nothing and repeat nothing
    stragglers = [seg(CLIENT, POOL, ACK, 108, ts=3.2),
                  seg(CLIENT, POOL, PSH | ACK | FIN, 101, b"login\n", 3.5)]
    assert feed(table, stragglers) == []
    assert (table.opened, table.strays, len(table)) == (1, 2, 1)
    assert table.expire(1000.0) == [] and len(table) == 0


def test_a_dropped_request_does_not_hold_back_its_answer():
    # the capture lost the client's second segment; the pool's reply acknowledges it, so the
    # request after the hole is delivered before the reply, not max_wait seconds later
    table = TcpConnectionTable()
    events = feed(table, handshake() + [
        seg(CLIENT, POOL, PSH | ACK, 101, b"req1\n", 1.0, ack=501),
        # (101 + 5: "req2\n" never captured)
        seg(CLIENT, POOL, PSH | ACK, 111, b"req3\n", 1.2, ack=501),
        seg(POOL, CLIENT, PSH | ACK, 501, b"ans3\n", 1.3, ack=116),
    ])
    assert events == [(KEY, "up", 1.0, b"req1\n"), (KEY, "up", 1.2, b""),  # b"": the hole
                      (KEY, "up", 1.2, b"req3\n"), (KEY, "down", 1.3, b"ans3\n")]


def test_rst_closes_and_delivers_what_was_buffered():
    """The close comes once the grace for data in flight is over (at the next segment of any
    connection after it), dated at the RST."""
    table = TcpConnectionTable()
    events = feed(table, handshake() + [
        seg(CLIENT, POOL, PSH | ACK, 104, b"def", 1.0),  # bytes 101..103 were lost
        seg(POOL, CLIENT, RST, 501, ts=2.0),
    ])
    assert events == []
    later = feed(table, [seg(("10.0.0.3", 50001), POOL, PSH | ACK, 1, b"x", 3.5)])
    assert later[:3] == [(KEY, "up", 1.0, b""), (KEY, "up", 1.0, b"def"),
                         ConnClosed(KEY, 2.0, "rst", 3, 0, 1, 3)]


def test_data_in_flight_across_a_rst_is_read():
    """A miner resets its connection while the pool's next job is on the wire: a tap by the
    miner sees the RST, then the job. The job is the pool's stream; whatever the RST's sender
    seems to send later is not read."""
    table = TcpConnectionTable()
    events = feed(table, handshake() + [
        seg(CLIENT, POOL, PSH | ACK, 101, b"sub\n", 1.0),
        seg(POOL, CLIENT, PSH | ACK, 501, b"ok\n", 1.1),
        seg(CLIENT, POOL, RST | ACK, 105, ts=1.2),
        seg(POOL, CLIENT, PSH | ACK, 504, b"job\n", 1.2001),
        seg(CLIENT, POOL, PSH | ACK, 105, b"late\n", 1.3),
    ]) + table.flush()
    assert events == [(KEY, "up", 1.0, b"sub\n"), (KEY, "down", 1.1, b"ok\n"),
                      (KEY, "down", 1.2001, b"job\n"), ConnClosed(KEY, 1.2, "rst", 4, 7, 0, 0)]


def test_data_after_the_grace_is_not_read():
    table = TcpConnectionTable()
    events = feed(table, handshake() + [
        seg(CLIENT, POOL, RST | ACK, 101, ts=1.0),
        seg(POOL, CLIENT, PSH | ACK, 501, b"job\n", 2.5),
    ])
    assert events == [ConnClosed(KEY, 1.0, "rst", 0, 0, 0, 0)] and table.strays == 1


def test_mid_session_capture_uses_ports_to_find_the_client():
    table = TcpConnectionTable()
    events = feed(table, [seg(POOL, CLIENT, PSH | ACK, 7_000, b'{"result":true}\n', 5.0),
                          seg(CLIENT, POOL, PSH | ACK, 9_000, b'{"id":4}\n', 6.0)])
    assert events == [(KEY, "down", 5.0, b'{"result":true}\n'), (KEY, "up", 6.0, b'{"id":4}\n')]


def test_syn_ack_seen_first_still_orients():
    table = TcpConnectionTable()
    events = feed(table, [seg(POOL, CLIENT, SYN | ACK, 500, ts=0.0),
                          seg(POOL, CLIENT, PSH | ACK, 501, b"hi", 1.0)])
    assert events == [(KEY, "down", 1.0, b"hi")]


@pytest.mark.parametrize("sport,dport,flags,expected", [
    (50000, 3333, SYN, True),
    (3333, 50000, SYN | ACK, False),
    (3333, 50000, ACK, False),  # pool port
    (40000, 45700, ACK, True),  # a pool on a high port: known service ports beat "higher"
    (33001, 34254, ACK, True),  # Stratum V2's port
    (443, 80, ACK, True),  # both well-known: the higher port is the client's
    (1023, 60000, ACK, False),  # a port below 1024 is the server's
    (50001, 50000, ACK, True),  # two ephemeral ports: the higher is the client's
    (5000, 5000, ACK, True),  # equal: the sender of the first segment seen
])
def test_client_rule(sport, dport, flags, expected):
    s = Segment(0.0, "a", "b", 6, sport, dport, flags, 0, 0, b"x", 41)
    assert client_is_source(s) is expected


def test_port_reuse_with_a_new_syn_starts_a_new_connection():
    table = TcpConnectionTable()
    first = feed(table, handshake(isn=100) + [seg(CLIENT, POOL, PSH | ACK, 101, b"one", 1.0)])
    again = feed(table, handshake(ts=5.0, isn=90_000) + [
        seg(CLIENT, POOL, PSH | ACK, 90_001, b"two", 6.0)])
    assert first == [(KEY, "up", 1.0, b"one")]
    assert again == [ConnClosed(KEY, 1.0, "reused", 3, 0, 0, 0), (KEY, "up", 6.0, b"two")]


def test_retransmitted_syn_is_not_reuse():
    table = TcpConnectionTable()
    events = feed(table, [seg(CLIENT, POOL, SYN, 100), seg(POOL, CLIENT, RST | ACK, 0, ts=0.1),
                          seg(CLIENT, POOL, SYN, 100, ts=1.0),
                          seg(POOL, CLIENT, RST | ACK, 0, ts=1.1)]) + table.flush()
    assert events == [ConnClosed(KEY, 0.1, "rst", 0, 0, 0, 0)]
    assert table.opened == 1


def test_idle_connections_expire_in_capture_time():
    table = TcpConnectionTable(TcpConfig(idle_timeout=60.0))
    other = ("10.0.0.3", 50001)
    events = feed(table, handshake() + [seg(CLIENT, POOL, PSH | ACK, 101, b"a", 1.0),
                                        seg(other, POOL, PSH | ACK, 1, b"b", 62.0)])
    assert ConnClosed(KEY, 1.0, "idle", 1, 0, 0, 0) in events
    assert len(table) == 1


def test_eviction_beyond_max_connections_and_flush():
    table = TcpConnectionTable(TcpConfig(max_connections=2))
    events = []
    for port in (50000, 50001, 50002):
        events += table.add(seg(("10.0.0.2", port), POOL, PSH | ACK, 1, b"x", float(port)))
    closed = [e for e in events if isinstance(e, ConnClosed)]
    assert [(c.key.client_port, c.reason) for c in closed] == [(50000, "evicted")]
    closed = [e for e in table.flush() if isinstance(e, ConnClosed)]
    assert [(c.key.client_port, c.reason) for c in closed] == [(50001, "flush"), (50002, "flush")]
    assert len(table) == 0


def test_non_tcp_and_strays_are_ignored():
    table = TcpConnectionTable()
    udp = Segment(0.0, "a", "b", 17, 1, 2, 0, 0, 0, b"x", 29)
    assert table.add(udp) == []
    assert table.add(seg(CLIENT, POOL, ACK, 5)) == []  # a bare ACK opens nothing
    assert table.add(seg(CLIENT, POOL, RST, 5)) == []
    assert len(table) == 0


# -- real captures, checked against Wireshark

def reassemble(path: Path) -> tuple[list, list[ConnClosed]]:
    table, events = TcpConnectionTable(), []
    with open(path, "rb") as f:
        for packet in PcapReader(f):
            segment = decode_frame(packet.linktype, packet.data, packet.ts)
            if segment is not None:
                events += table.add(segment)
    events += table.flush()
    return events, [e for e in events if isinstance(e, ConnClosed)]


def stream_digest(events) -> tuple[int, int, str]:
    """(connections with data, payload bytes, sha256 of the per-connection listing)."""
    streams: dict[tuple, bytearray] = defaultdict(bytearray)
    lines = []
    for e in events:
        if not isinstance(e, ConnClosed):
            streams[e[0], e[1]] += e[3]
            continue
        up, down = bytes(streams.pop((e.key, "up"), b"")), bytes(streams.pop((e.key, "down"), b""))
        a, b = f"{e.key[0]}:{e.key[1]}", f"{e.key[2]}:{e.key[3]}"
        (a, da), (b, db) = sorted([(a, up), (b, down)])
        if up or down:
            lines.append(f"{a} {b} {len(da)} {hashlib.sha256(da).hexdigest()} "
                         f"{len(db)} {hashlib.sha256(db).hexdigest()}")
    total = sum(int(line.split()[2]) + int(line.split()[4]) for line in lines)
    return len(lines), total, hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


# Expected values come from Wireshark 4.x, independently of this code: for every tcp.stream N,
# `tshark -r <file> -q -z follow,tcp,raw,N` gives each side's bytes; the "[n bytes missing in
# capture file]" markers it inserts for holes were dropped. Each connection with data became
# the line "<A> <B> <len A> <sha256 A> <len B> <sha256 B>" (A, B the ip:port ends, A < B as
# text), and the value below is the count, total bytes and sha256 of the sorted lines joined
# by newlines. (Wireshark has one stream more in cgminer-pool-scan: a FIN/ACK-only one that
# we do not open.)
GOLDEN = {
    "btc-stratum-bitminter.pcap":
        (13, 20385, "fa5d1d77df2a4b94a50fbac8aa2acc6d0f7cfe4e38863bc0698820b8c446f22f"),
    "cgminer-pool-scan.pcapng":
        (845, 336183, "75c0defa9874b63283b30ace2cc3b7555e3d93b437bc5c01924b1f3af0a844ff"),
    "ethproxy-dwarfpool.pcapng":
        (1, 7533, "95f1f3c635ad074013e46d871e38f0b5e8d623aed03dacd4afaca7113d54e9f6"),
    "ltc-stratum-pool-side-mini.pcapng":
        (16, 50209, "6125b34a6fabd4ee4a363c6751ce10665e55f77f90a456d81bf1b2d34ada8e27"),
    "not-mining-bitcoin-p2p.pcap":
        (6, 389950, "634b8d6f0793f271a28862aecc049e4e15b16f954ca7dc5adcb16c4063dd2f44"),
    "not-mining-ssh.pcap":
        (2, 25471, "c3d4af85dd89f916947552d8c229f19b9fc3875c945154b8965d6be31515e7c5"),
    "not-mining-tls.pcap":
        (1, 4404, "c9e78540f3c6c277b1951b7f596dec3a7e77f63bca13ef31cdf30f557e1cccee"),
}

needs_pcaps = pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")


@needs_pcaps
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_streams_equal_wireshark_follow(name):
    events, _ = reassemble(PCAPS / name)
    assert stream_digest(events) == GOLDEN[name]


@needs_pcaps
def test_ethproxy_session():
    events, closes = reassemble(PCAPS / "ethproxy-dwarfpool.pcapng")
    up = b"".join(e[3] for e in events if not isinstance(e, ConnClosed) and e[1] == "up")
    # data/README.md: eth_submitLogin, eth_getWork and 4 eth_submitWork to 87.98.182.61:8008
    assert (up.count(b'"eth_submitLogin"'), up.count(b'"eth_getWork"'),
            up.count(b'"eth_submitWork"')) == (1, 1, 4)
    assert [(c.key, c.reason) for c in closes] == [
        (ConnKey("192.168.1.128", 3911, "87.98.182.61", 8008), "fin")]


@needs_pcaps
def test_bitcoin_p2p_holes_match_wireshark():
    # the "[n bytes missing in capture file]" markers of tshark's follow, per client port
    _, closes = reassemble(PCAPS / "not-mining-bitcoin-p2p.pcap")
    holes = {c.key.client_port: c.gap_bytes for c in closes if c.gap_bytes}
    assert holes == {55317: 7240, 55400: 28960, 55487: 1448}


@needs_pcaps
def test_clients_are_the_miners():
    _, closes = reassemble(PCAPS / "cgminer-pool-scan.pcapng")
    assert {c.key.client_ip for c in closes} == {"192.168.1.100"}  # the scanning host
    _, closes = reassemble(PCAPS / "ltc-stratum-pool-side-mini.pcapng")  # no SYN in it
    stratum = [c.key for c in closes if c.key.server_port == 3333]
    assert stratum == [ConnKey("10.0.0.40", 22341, "10.0.0.13", 3333)]
