"""The compiled connection table meters exactly as FlowMeter does, routes to DPI what the
Python classifier would look at (and nothing it has given up on), and reads TLS server names as
parse_client_hello does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import numpy as np

from minewatch.decode import framescan as fs
from minewatch.decode import p2p
from minewatch.decode.packet import decode_frame, encode_tcp, encode_udp
from minewatch.decode.proxy import opens_tunnel
from minewatch.ingest.packets import opens_rpc_line
from minewatch.decode.tls import encode_client_hello, parse_client_hello
from minewatch.errors import DecodeError, NeedMoreData
from minewatch.flows import conntable as ct
from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.ingest.capture import _flow_table


def run(frames: list[tuple[float, bytes]], table: ct.ConnTable | None = None, batch: int = 7,
        end: bool = True):
    """Route (ts, Ethernet frame) in batches, then end the input if `end`; (rows, Routes per
    batch, flow rows, table)."""
    table = table or ct.ConnTable(capacity=4)
    ended = np.zeros(max(batch, 64), ct.ENDED)
    flows, rows_all, routes = [], [], []
    for k in range(0, len(frames), batch):
        part = frames[k:k + batch]
        for n in table.evict(len(part), ended):  # as CaptureIngest.batch does
            flows += _flow_table(ended[:n], "e", "i").to_pylist()
        buf = np.frombuffer(b"".join(f for _, f in part), np.uint8)
        rows = np.zeros(len(part), fs.PACKET)
        lens = np.array([len(f) for _, f in part])
        rows["off"], rows["caplen"], rows["linktype"] = np.cumsum(lens) - lens, lens, 1
        rows["ts"] = [ts for ts, _ in part]
        fs.parse_frames(buf, rows, 0, len(part))
        r = table.route(buf, rows, len(part), ended)
        flows += _flow_table(ended[:r.ended], "e", "i").to_pylist()
        rows_all.append((buf, rows))
        routes.append(ct.Routes(r.route.copy(), r.slot.copy(), r.hellos.copy(), r.ended))
    for n in table.expire(float("inf") if end else 0.0, ended):
        flows += _flow_table(ended[:n], "e", "i").to_pylist()
    return rows_all, routes, flows, table


def meter_rows(frames, **config) -> list[dict]:
    meter, rows = FlowMeter(MeterConfig(exporter="e", input_id="i", **config)), []
    for ts, frame in frames:
        seg = decode_frame(1, frame, ts)
        if seg is not None:
            meter.add(seg)
    return rows + meter.flush()


def key(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted(r.items())) for r in rows)


hosts = st.sampled_from(["10.0.0.1", "10.0.0.2", "192.0.2.7", "2001:db8::5", "2001:db8::6"])


@st.composite
def packet(draw) -> tuple[float, bytes]:
    v6 = draw(st.booleans())
    pool = ["2001:db8::5", "2001:db8::6"] if v6 else ["10.0.0.1", "10.0.0.2", "192.0.2.7"]
    src, dst = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
    sport, dport = draw(st.sampled_from([80, 3333, 40000])), draw(st.sampled_from([80, 3333, 53]))
    payload = draw(st.binary(max_size=8))
    ts = draw(st.floats(0, 4000, allow_nan=False))
    if draw(st.booleans()):
        return ts, encode_udp(src, dst, sport, dport, payload)
    return ts, encode_tcp(src, dst, sport, dport, 1, 1, draw(st.integers(0, 255)), payload)


@settings(max_examples=200, deadline=None)
@given(st.lists(packet(), max_size=80), st.booleans())
def test_records_equal_flow_meter(packets, ordered):
    if ordered:
        packets.sort(key=lambda p: p[0])
    _, _, flows, _ = run(packets)
    assert key(flows) == key(meter_rows(packets))


def test_growth_keeps_every_connection():
    frames = [(float(i % 50), encode_tcp(f"10.{i // 250}.{i % 250}.1", "192.0.2.1", 1000 + i % 7,
                                         443, 1, 1, 0x10, b"")) for i in range(3000)]
    _, _, flows, table = run(frames, batch=500)
    assert len(table.slots) >= 4096
    assert key(flows) == key(meter_rows(frames))


def test_expiry_frees_long_silent_connections_and_forgets_their_verdict():
    frames = [(float(k), encode_tcp("10.0.0.1", "192.0.2.1", 40000, 3333, 1, 1, 0x18, b"ssh-ish"))
              for k in range(ct.CLASSIFY_MOST)]
    _, routes, _, table = run(frames)
    slot = int(routes[0].slot[0])
    assert table.slots["dpi"][slot] == ct.PLAIN
    ended = np.zeros(64, ct.ENDED)
    assert sum(table.expire(1000.0, ended)) == 0  # already flushed by run()
    assert table.slots["state"][slot] == ct.DELETED and table.used == 0


def test_how_long_a_connection_may_take_to_show_what_it_speaks():
    assert ct.look_further(1, 10_000) and ct.look_further(3, 10_000)  # 4 packets at least
    assert ct.look_further(4, 4095) and ct.look_further(63, 100)  # then up to 4 kB ...
    assert not ct.look_further(4, 4096) and not ct.look_further(64, 100)  # ... in 64 packets


def test_a_capture_that_begins_inside_a_long_message_cut_small_finds_the_next_one():
    tail = b'"' + b"ab" * 300 + b'"]}\n'  # the last 604 bytes of a long pool message
    stream = tail + b'{"id":null,"method":"mining.notify","params":["j1"]}\n'
    frames = [(float(k), encode_tcp("10.0.0.1", "192.0.2.1", 40000, 3333, 1 + k, 1, 0x18,
                                    stream[k:k + 40])) for k in range(0, len(stream), 40)]
    route = routed(frames, batch=1)  # one packet a batch (a batch is routed as a whole)
    first = len(tail) // 40  # the packet holding the newline and the "{" after it
    assert route == [ct.NONE] * first + [ct.DPI] * (len(route) - first)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=40), st.binary(max_size=30).map(lambda b: b"\x05" + b),
                 st.binary(max_size=30).map(lambda b: b"\x04\x01" + b),
                 st.sampled_from([b"CONNECT pool:3333 HTTP/1.1\r\n", b"CONNECT", b"\x05\x01\x00",
                                  b"\x05\x02\x00\x02", b"\x04\x01\x0d\x05\x00\x00\x00\x01\x00"])))
def test_the_compiled_proxy_check_is_the_decoders(head):
    buf = np.frombuffer(b"xx" + head, np.uint8)
    assert ct._opens_tunnel(buf, 2, len(head)) == opens_tunnel(head)


_MAGICS = sorted(p2p.NETWORKS) + [bytes.fromhex("0121010101010101")]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40) | st.tuples(
    st.sampled_from(_MAGICS + [b"\x11\x22\x33\x44"]),
    st.sampled_from([b"version", b"inv", b"sendcmpct", b"", b"ve rsion", b"A1", b"x" * 12]),
    st.binary(min_size=0, max_size=3).map(lambda b: b.ljust(12, b"\0")[:12]) | st.just(b"\0" * 12),
    st.binary(max_size=30)).map(lambda t: t[0] + (t[1] + t[2])[:12] + t[3])
    | st.tuples(st.integers(0, 2500), st.sampled_from([b"\x04", b"\x05"]), st.integers(60, 70))
    .map(lambda t: t[0].to_bytes(2, "big") + t[1] + b"\x07" * t[2]))  # RLPx sizes and keys
def test_the_compiled_node_check_is_the_decoders(head):
    buf = np.frombuffer(b"zz" + head, np.uint8)
    assert ct._opens_node(buf, 2, len(head)) == p2p.opens(head)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"{", b'"', b" ", b"}", b"x", b"\r"]), max_size=12)
       .map(b"".join) | st.binary(max_size=40))
def test_the_compiled_rpc_line_check_is_the_decoders(head):
    buf = np.frombuffer(b"yy" + head, np.uint8)
    assert ct._opens_rpc_line(buf, 2, 2 + len(head)) == opens_rpc_line(head)


def test_random_bytes_after_the_first_packets_open_no_message():
    """SSH and Bitcoin P2P carry a "{" after a newline or a "}" every few kB of random
    bytes: after four packets only a JSON-RPC message start counts, so they stay unread."""
    rng = np.random.default_rng(4)
    payloads = [bytes(rng.integers(0, 256, 70, dtype=np.uint8)) for _ in range(60)]
    payloads[10] = payloads[10][:30] + b"\n{" + payloads[10][32:]
    payloads[20] = payloads[20][:30] + b"}{\x00" + payloads[20][33:]
    frames = conn_frames(b"SSH-2.0-OpenSSH_8.9\r\n",
                         [(k % 2 == 0, p) for k, p in enumerate(payloads)])
    assert set(routed(frames, batch=1)) == {ct.NONE}


def conn_frames(first_up: bytes, then: list[tuple[bool, bytes]]) -> list[tuple[float, bytes]]:
    c, s = ("10.0.0.1", 40000), ("192.0.2.1", 3333)
    out = [(0.0, encode_tcp(*c[:1], s[0], c[1], s[1], 100, 0, 0x02, b"")),
           (0.1, encode_tcp(s[0], c[0], s[1], c[1], 500, 101, 0x12, b"")),
           (0.2, encode_tcp(c[0], s[0], c[1], s[1], 101, 501, 0x18, first_up))]
    for k, (up, data) in enumerate(then):
        a, b = (c, s) if up else (s, c)
        out.append((0.3 + k, encode_tcp(a[0], b[0], a[1], b[1], 1000 + k, 1, 0x18, data)))
    return out


def routed(frames, batch=7) -> list[int]:
    _, routes, _, _ = run(frames, batch=batch)
    return [int(x) for r in routes for x in r.route]


def test_mining_json_is_routed_with_its_handshake():
    frames = conn_frames(b'{"id":1,"method":"mining.subscribe","params":[]}\n',
                         [(False, b'{"id":1,"result":[]}\n'), (True, b'{"id":2}\n')])
    assert routed(frames) == [ct.DPI] * 5


def test_bare_acks_of_a_candidate_are_not_routed():
    frames = conn_frames(b'{"id":1}\n', []) + [
        (2.0, encode_tcp("192.0.2.1", "10.0.0.1", 3333, 40000, 501, 200, 0x10, b""))]
    assert routed(frames)[-1] == ct.NONE


def test_plain_binary_protocols_are_only_metered():
    """A "{" inside binary data or a text line opens no JSON message (Bitcoin P2P, SSH)."""
    frames = conn_frames(b"SSH-2.0-OpenSSH_8.9\r\n", [
        (False, b"SSH-2.0-OpenSSH_8.2p1\r\n"), (True, b"\x00\x00\x05\xdc\x0b{\x14" + bytes(40)),
        (False, b"\xf9\xbe\xb4\xd9version\x00\x00{" + bytes(4096)),
        (True, b"{ late: the connection has shown four payloads (4 kB) already }\n")])
    assert routed(frames) == [ct.NONE] * 7


def test_a_capture_starting_inside_a_message_waits_for_the_next_one():
    tail = b'000","0b2f","1a2b3c4d",true]}\n'  # the end of a mining.notify, no "{" at a line start
    frames = conn_frames(tail, [(False, b'{"id":null,"method":"mining.notify","params":[]}\n')])
    assert routed(frames) == [ct.DPI] * 4
    tail = b'"' + b"0" * 1100 + tail
    frames = conn_frames(tail, [(False, tail), (False, tail), (False, tail),
                                (False, b'{"id":4}\n')])
    assert routed(frames)[-1] == ct.NONE  # four payloads, 4 kB, no message start: not a pool


def test_ignored_connections_are_no_longer_routed():
    frames = conn_frames(b"GET / HTTP/1.1\r\n\r\n", [(False, b"HTTP/1.1 200 OK\r\n\r\n")])
    rows, routes, _, table = run(frames[:3], end=False)
    table.ignore([int(routes[0].slot[2])])
    _, routes2, _, _ = run(frames[3:], table=table)
    assert list(routes2[0].route) == [ct.NONE]


def test_tls_hello_whole_in_one_packet_is_read_here():
    hello = encode_client_hello("Pool.SupportXMR.com.")
    rows, routes, _, _ = run(conn_frames(hello, [(False, b"\x16\x03\x03" + bytes(90))]))
    (buf, _), r = rows[0], routes[0]
    assert [int(x) for x in r.route] == [ct.NONE] * 4 and len(r.hellos) == 1
    h = r.hellos[0]
    assert buf[h["off"]:h["off"] + h["len"]].tobytes() == b"Pool.SupportXMR.com."
    assert h["row"] == 2


def test_tls_hello_over_two_packets_goes_to_python_until_the_server_answers():
    hello = encode_client_hello("pool.example.org")
    frames = conn_frames(hello[:100], [(True, hello[100:]), (False, b"\x16\x03\x03" + bytes(90)),
                                       (True, b"\x17\x03\x03" + bytes(50))])
    assert routed(frames) == [ct.DPI] * 5 + [ct.NONE]


sni_names = st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,12}[a-z0-9])?", fullmatch=True),
                     min_size=1, max_size=4).map(".".join)


@settings(max_examples=300, deadline=None)
@given(sni_names, st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3))
def test_compiled_server_name_agrees_with_parse_client_hello(name, flips):
    data = bytearray(encode_client_hello(name))
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    buf = np.frombuffer(bytes(data), np.uint8)
    off, n = ct._hello_sni(buf, 0, len(buf))
    if off == -2:
        return  # the Python decoder decides
    try:
        sni = parse_client_hello(bytes(data)).sni
    except (DecodeError, NeedMoreData):
        sni = "<no hello>"
    if off == -1:
        assert not sni
    else:
        assert bytes(data[off:off + n]).decode().lower().rstrip(".") == sni


def test_export_datagrams_are_not_metered_and_dns_is_both():
    v5 = (5).to_bytes(2, "big") + (1).to_bytes(2, "big") + bytes(20 + 48)
    frames = [(0.0, encode_udp("10.0.0.9", "10.0.0.10", 5000, 2055, v5)),
              (0.1, encode_udp("218.2.2.2", "10.0.0.1", 53, 5353, b"\0" * 12))]
    _, routes, flows, _ = run(frames)
    assert [int(x) for x in routes[0].route] == [ct.EXPORT, ct.DNS]
    assert [(f["src_port"], f["dst_port"]) for f in flows] == [(53, 5353)]


def test_a_flood_of_connections_ends_records_instead_of_growing_the_table():
    """Beyond max_connections the least recently active half ends (a scan costs records, not
    memory); every packet and byte is still counted exactly once."""
    flows: list[dict] = []
    frames = [(float(i), encode_tcp(f"10.{i // 250 % 250}.{i % 250}.1", "192.0.2.1",
                                    1000 + i % 7, 445, 1, 1, 0x02, b"")) for i in range(5000)]
    table = ct.ConnTable(ct.TableConfig(max_connections=300), capacity=4)
    most = 0
    for k in range(0, len(frames), 50):  # one batch at a time, to watch the table's size
        _, _, part, _ = run(frames[k:k + 50], table=table, batch=50, end=False)
        flows += part
        most = max(most, table.used)
    flows += run([], table=table)[2]
    assert most <= 300 and len(table.slots) <= 1024
    assert sum(f["packets"] for f in flows) == 5000
    assert key(flows) == key(meter_rows(frames))  # each one-packet flow, once


def _with_ident(frame: bytes, ident: int) -> bytes:
    """An Ethernet/IPv4 frame with another identification (IPv6 has none: unchanged)."""
    if frame[12:14] != b"\x08\x00":
        return frame
    return frame[:18] + ident.to_bytes(2, "big") + frame[20:]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(packet(), st.floats(0, 0.1), st.integers(0, 2), st.booleans()),
                max_size=40))
def test_mirror_copies_are_dropped_as_flow_meter_drops_them(drawn):
    """Packets, some sent twice by a mirror port (a copy up to 0.1 s later, the same or with
    another identification): the table drops the copies FlowMeter drops, and counts them."""
    frames = []
    for (ts, frame), delay, ident, copy in sorted(drawn, key=lambda d: d[0][0]):
        frames.append((ts, _with_ident(frame, ident)))
        if copy:
            frames.append((ts + delay, _with_ident(frame, ident if delay < 0.07 else ident + 1)))
    _, _, flows, table = run(frames)
    meter, dropped = FlowMeter(MeterConfig(exporter="e", input_id="i")), 0
    for ts, frame in frames:
        seg = decode_frame(1, frame, ts)
        dropped += seg is not None and not meter.add(seg)
    assert key(flows) == key(meter.flush())
    assert table.duplicates == dropped
