"""The compiled capture path gives the same tables as PacketIngest fed packet by packet (the
reference), on real captures and on simulated traffic of every kind, whatever the read and batch
sizes; and it reports damage as the reference reader does."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from minewatch.decode import proxy
from minewatch.decode.packet import TUNNELS, encapsulate, encode_tcp, nflog_frame
from minewatch.decode.pcap import PcapngWriter, PcapReader, PcapWriter
from minewatch.decode.proxy import ProxyRequest
from minewatch.ingest import capture, frames
from minewatch.ingest.capture import read_capture
from minewatch.ingest.packets import PacketIngest
from minewatch.sim import background as bg
from minewatch.sim.packets import Conn, SimPacket, tcp_session, write_pcap

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"


def reference(data: bytes) -> dict:
    state = PacketIngest("in", exporter="cap")
    for raw in PcapReader(io.BytesIO(data)):
        state.add(raw)
    return state.finish()


def compiled(data: bytes) -> dict:
    tables, _, _ = read_capture(io.BytesIO(data), "in", "cap")
    return tables


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        rows = lambda t: sorted(map(repr, t.to_pylist()))  # noqa: E731 (order is not part of it)
        assert rows(a[name]) == rows(b[name]), name


def stratum_session(rng, t0: float) -> list:
    msgs = [(t0, True, b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.10"]}\n'),
            (t0 + 0.1, False, b'{"id":1,"result":[[],"08000002",4],"error":null}\n'),
            (t0 + 0.2, True, b'{"id":2,"method":"mining.authorize","params":["bc1qw.rig1","x"]}\n'),
            (t0 + 0.3, False, b'{"id":null,"method":"mining.set_difficulty","params":[512]}\n')]
    for k in range(20):
        job = (f'{{"id":null,"method":"mining.notify","params":["j{k}","{"0" * 64}","01","02",[],'
               f'"20000000","1a2b3c4d","{k:08x}",true]}}\n').encode()
        msgs.append((t0 + 1 + 30 * k, False, job))
        msgs.append((t0 + 5 + 30 * k, True, (f'{{"id":{10 + k},"method":"mining.submit","params":'
                                             f'["bc1qw.rig1","j{k}","00000001","{k:08x}","abcd"]}}\n').encode()))
    return tcp_session(Conn("10.0.0.5", 40001, "192.0.2.80", 3333), msgs, rng, True, close_at=None)


def simulated_capture(pcapng: bool = False, tunnel: str | None = None,
                      nflog: bool = False) -> bytes:
    """Pool talk, web pages, HTTPS, SSH, P2P, JSON-RPC and a browser miner, time-ordered;
    every frame inside a `tunnel` (packet.TUNNELS) if one is named, or logged by NFLOG
    (linktype 239) instead of framed as Ethernet."""
    rng = np.random.default_rng(7)
    pkts = stratum_session(rng, 100.0)
    for k in range(40):
        t = 100.0 + 15 * k
        pkts += bg.https_session("10.0.0.7", "198.51.100.4", f"site{k}.example.com", t, rng)
        pkts += bg.http_session("10.0.0.8", "198.51.100.5", "news.example.com", t + 1, rng)
    pkts += bg.ssh_session("10.0.0.9", "198.51.100.6", 100.0, 700.0, rng)
    pkts += bg.bitcoin_p2p("10.0.0.10", "198.51.100.7", 100.0, 700.0, rng)
    pkts += bg.jsonrpc_poller("10.0.0.11", "198.51.100.8", 100.0, 700.0, rng, 8332,
                              "getblockchaininfo")
    pkts += bg.browser_miner_visit("10.0.0.12", "198.51.100.9", "miner.example.net", 200.0, rng)
    pkts.sort(key=lambda p: p.ts)
    out = io.BytesIO()
    linktype = 239 if nflog else 1
    writer = PcapngWriter(out) if pcapng else PcapWriter(out, linktype=linktype)
    if pcapng:
        writer.add_interface(linktype)
    for p in pkts:
        frame = encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
        if nflog:
            frame = nflog_frame(frame[14:])
        writer.write(p.ts, encapsulate(frame, tunnel) if tunnel else frame)
    return out.getvalue()


@pytest.fixture(scope="module")
def sim_pcap() -> bytes:
    return simulated_capture()


def test_simulated_traffic_equals_reference(sim_pcap):
    a, b = reference(sim_pcap), compiled(sim_pcap)
    assert a["payload_sessions"].num_rows >= 1 and a["tls_hellos"].num_rows >= 40
    assert a["web_entities"].num_rows >= 1
    assert_same(a, b)


@pytest.mark.parametrize("pcapng", [False, True])
def test_small_reads_and_batches_change_nothing(pcapng, monkeypatch):
    monkeypatch.setattr(frames, "READ", 4096)
    monkeypatch.setattr(frames, "BATCH", 97)
    monkeypatch.setattr(capture, "EXPIRE_EVERY", 50)
    monkeypatch.setattr(capture, "HELLO_BLOCK", 3)  # server names written over many blocks
    data = simulated_capture(pcapng)
    assert_same(reference(data), compiled(data))


def test_pcapng_equals_reference():
    data = simulated_capture(pcapng=True)
    assert_same(reference(data), compiled(data))


class Trickle(io.RawIOBase):
    """A pipe: reads return at most 1000 bytes, and it cannot seek."""

    def __init__(self, data: bytes):
        self._data, self._pos = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), 1000, len(self._data) - self._pos)
        b[:n] = self._data[self._pos:self._pos + n]
        self._pos += n
        return n


def test_a_stream_that_trickles_equals_reference(sim_pcap):
    tables, _, _ = read_capture(io.BufferedReader(Trickle(sim_pcap)), "in", "cap")
    assert_same(reference(sim_pcap), tables)


@pytest.mark.parametrize("tunnel", TUNNELS)
def test_traffic_inside_a_tunnel_reads_as_without_it(sim_pcap, tunnel):
    """Mirrored or overlay traffic (GRE, ERSPAN, VXLAN, GTP-U, IP-in-IP, MPLS): the same pool
    session, web pages, server names and flows as the bare capture, on both paths."""
    inside = simulated_capture(tunnel=tunnel)
    bare = compiled(sim_pcap)
    assert_same(compiled(inside), bare)
    assert_same(reference(inside), bare)
    (session,) = bare["payload_sessions"].to_pylist()
    assert session["wallet"] == "bc1qw" and session["client_ip"] == "10.0.0.5"


@pytest.mark.parametrize("pcapng", [False, True])
def test_a_firewall_nflog_capture_reads_as_the_ethernet_one(sim_pcap, pcapng):
    """`tcpdump -i nflog` on a Linux firewall: the same tables on both paths as the bare
    capture, except that NFLOG frames carry no Ethernet header, so the flows' byte counts
    (IP bytes) are the same and only the frames are shorter."""
    logged = simulated_capture(pcapng, nflog=True)
    bare = compiled(sim_pcap)
    assert_same(compiled(logged), bare)
    assert_same(reference(logged), bare)


@pytest.mark.parametrize("linktype, head", [
    (104, lambda ethertype: b"\x0f\x00" + ethertype),  # Cisco HDLC
    (9, lambda ethertype: b"\xff\x03\x00" + (b"\x21" if ethertype == b"\x08\x00" else b"\x57")),
])
def test_a_routers_serial_link_reads_as_the_ethernet_one(sim_pcap, linktype, head):
    """A capture from a router's WAN port (PPP or Cisco HDLC framing instead of Ethernet):
    the same tables on both paths as the Ethernet capture."""
    out = io.BytesIO()
    writer = PcapWriter(out, linktype=linktype)
    for raw in PcapReader(io.BytesIO(sim_pcap)):
        writer.write(raw.ts, head(raw.data[12:14]) + raw.data[14:])
    serial = out.getvalue()
    bare = compiled(sim_pcap)
    assert_same(compiled(serial), bare)
    assert_same(reference(serial), bare)


def mirrored(data: bytes, delay: float = 30e-6) -> bytes:
    """Every frame twice, as a switch mirroring both ports it crosses sends it: the second copy
    `delay` later, from the router's side (other MAC addresses, TTL one less)."""
    out = io.BytesIO()
    writer = PcapWriter(out)
    for raw in PcapReader(io.BytesIO(data)):
        frame = raw.data
        writer.write(raw.ts, frame)
        copy = frame[6:12] + frame[:6] + frame[12:22] + bytes([frame[22] - 1]) + frame[23:]
        writer.write(raw.ts + delay, copy if frame[12:14] == b"\x08\x00" else frame)
    return out.getvalue()


def test_a_mirror_ports_second_copies_are_not_counted(sim_pcap):
    """A SPAN port that mirrors both the miner's port and the uplink sends every packet twice:
    flows, sessions and shares come out as from the capture of one port, the copies counted."""
    twice = mirrored(sim_pcap)
    once = compiled(sim_pcap)
    for read in (reference, compiled):
        assert_same(read(twice), once)
    tables, ingest, _ = read_capture(io.BytesIO(twice), "in", "cap")
    frames = sum(1 for _ in PcapReader(io.BytesIO(sim_pcap)))
    assert ingest.counters.duplicates == frames
    assert f"{frames:,} packets captured twice" in ingest.counters.quality()
    # copies a quarter of a second late are retransmissions as far as anyone can tell: counted
    late = compiled(mirrored(sim_pcap, 0.25))
    packets = [sum(t["flows"]["packets"].to_pylist()) for t in (late, once)]
    assert packets[0] == 2 * packets[1]


def test_the_counters_and_time_span_equal_the_references():
    """Frames that are not IP, frames cut by the snap length, a mirror's second copy and
    the capture's first and last times, counted per batch in compiled code (batch_stats),
    as the reference counts them packet by packet; batches of 3 rows, so that each holds
    some kinds and not others."""
    arp = b"\xff" * 12 + b"\x08\x06" + b"\0" * 28
    tcp = [encode_tcp("10.0.0.1", "10.0.0.2", 40000, 3333, k, 0, 0x18, b"x" * (50 + k))
           for k in range(12)]
    records = [(5.0, arp, 42), (6.0, tcp[0], None), (6.5, tcp[1][:40], None), (7.0, arp, 60),
               (7.0, tcp[1], None), (7.0, tcp[1], None), (8.0, tcp[2][:60], None),
               (4.0, tcp[3], None), (9.0, arp[:20], 42), *[(10.0 + k, f, None)
                                                           for k, f in enumerate(tcp[4:])],
               (30.0, arp, None)]
    out = io.BytesIO()
    w = PcapWriter(out)
    for ts, frame, wirelen in records:
        w.write(ts, frame, wirelen or len(frame) + (len(tcp[1]) - 40 if len(frame) == 40
                                                   else 10 if len(frame) == 60 else 0))
    data = out.getvalue()
    ref = PacketIngest("in", exporter="cap")
    for raw in PcapReader(io.BytesIO(data)):
        ref.add(raw)
    for batch in (3, frames.BATCH):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(frames, "BATCH", batch)
            _, got, _ = read_capture(io.BytesIO(data), "in", "cap")
        c, r = got.counters, ref.counters
        assert (c.packets, c.non_ip, c.cut_short, c.snaplen, c.duplicates) == (
            r.packets, r.non_ip, r.cut_short, r.snaplen, r.duplicates) == (18, 4, 4, 60, 1)
        assert (got.dpi.first_ts, got.dpi.last_ts) == (ref.first_ts, ref.last_ts) == (6.0, 17.0)


def test_a_cut_capture_is_read_up_to_the_cut(sim_pcap):
    cut = sim_pcap[:len(sim_pcap) * 2 // 3]
    tables, state, frames = read_capture(io.BytesIO(cut), "in", "cap")
    assert frames.truncated and frames.error is None
    assert state.counters.packets == sum(1 for _ in PcapReader(io.BytesIO(cut)))
    assert_same(reference(cut), tables)


def test_an_absurd_record_length_stops_with_a_message(sim_pcap):
    data = bytearray(sim_pcap)
    data[24 + 8:24 + 12] = (1 << 30).to_bytes(4, "little")  # the first record
    _, state, frames = read_capture(io.BytesIO(bytes(data)), "in", "cap")
    assert state.counters.packets == 0 and frames.error == "record length 1073741824 at packet 1"


def test_a_capture_that_begins_inside_a_pool_message_still_finds_the_miner():
    rng = np.random.default_rng(3)
    msgs = [(10.0, False, b'000000","1a2b3c4d","5f5e1000",true]}\n'),  # the tail of a notify
            (11.0, False, b'{"id":null,"method":"mining.set_difficulty","params":[64]}\n'),
            (12.0, False, b'{"id":null,"method":"mining.notify","params":["j1","' + b"0" * 64
             + b'","01","02",[],"20000000","1a2b3c4d","5f5e1000",true]}\n'),
            (20.0, True, b'{"id":7,"method":"mining.submit","params":["bc1qw.rig1","j1",'
             b'"00000001","5f5e1001","abcd"]}\n'),
            (20.1, False, b'{"id":7,"result":true,"error":null}\n')]
    pkts = tcp_session(Conn("10.0.0.5", 40001, "192.0.2.80", 3333), msgs, rng, False,
                       close_at=None)
    out = io.BytesIO()
    w = PcapWriter(out)
    for p in pkts:
        w.write(p.ts, encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload))
    a, b = reference(out.getvalue()), compiled(out.getvalue())
    assert_same(a, b)
    (session,) = a["payload_sessions"].to_pylist()
    assert session["dialect"] == "stratum-v1" and session["shares"] == 1


def pool_talk(rounds: int) -> list[tuple[float, bool, bytes]]:
    """A Stratum v1 conversation: opening, then per round a notify longer than one segment,
    a share and its acceptance."""
    msgs = [(1.0, True, b'{"id":1,"method":"mining.subscribe","params":["bmminer/2.0.0",'
                        b'"a1b2c3d4"]}\n'),  # (resuming: longer than GIVE_UP_CHUNKS bytes)
            (1.1, False, b'{"id":1,"result":[[],"08000002",4],"error":null}\n'),
            (1.2, True, b'{"id":2,"method":"mining.authorize","params":["bc1qw.rig1","x"]}\n'),
            (1.3, False, b'{"id":2,"result":true,"error":null}\n'),
            (1.4, False, b'{"id":null,"method":"mining.set_difficulty","params":[512]}\n')]
    branches = ",".join(f'"{k:064x}"' for k in range(24))
    for k in range(rounds):
        msgs += [(2.0 + 2 * k, False, (
                     f'{{"id":null,"method":"mining.notify","params":["j{k}","{"0" * 64}","01",'
                     f'"02",[{branches}],"20000000","1a2b3c4d","{k:08x}",true]}}\n').encode()),
                 (2.5 + 2 * k, True, (f'{{"id":{10 + k},"method":"mining.submit","params":["bc1q'
                                      f'w.rig1","j{k}","00000001","{k:08x}","abcd"]}}\n').encode()),
                 (2.6 + 2 * k, False, f'{{"id":{10 + k},"result":true,"error":null}}\n'.encode())]
    return msgs


def pcap_of(pkts) -> bytes:
    out = io.BytesIO()
    w = PcapWriter(out)
    for p in pkts:
        w.write(p.ts, encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload))
    return out.getvalue()


def test_a_capture_that_drops_packets_still_matches_every_answer():
    """Capture drops never heal: the pool's ACKs show the hole was received, so the reader
    goes on at once instead of holding one direction back while the other runs ahead (the
    answers would then come before the shares they answer, and match nothing)."""
    pkts = tcp_session(Conn("10.0.0.5", 40001, "192.0.2.80", 3333), pool_talk(20),
                       np.random.default_rng(5), True, close_at=None, retransmit_p=0.0)
    lost = [p for p in pkts if b'"id":15,"method"' in p.payload]  # a share
    lost += [p for p in pkts if p.payload.startswith(b'{"id":null,"method":"mining.notify",'
                                                     b'"params":["j9"')]  # a notify's head
    assert len(lost) == 2
    data = pcap_of(p for p in pkts if p not in lost)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    # 19 shares captured, each answered "true" (the 16th's answer has no share to match)
    assert (session["shares"], session["shares_accepted"]) == (19, 19)


@pytest.mark.parametrize("snaplen", [200, 300, 1000])
def test_a_capture_that_kept_only_the_first_bytes_of_each_packet_still_pairs_the_answers(
        snaplen):
    """A tap that saves `snaplen` bytes a packet (tcpdump -s) cuts every long notify: each cut
    is a hole the pool's ACK covers. The line it cut is dropped and reading resumes at the
    next packet's message, so the answers after it are read (before, the cut notify swallowed
    the next answer, and every acceptance was lost)."""
    pkts = tcp_session(Conn("10.0.0.5", 40001, "192.0.2.80", 3333), pool_talk(12),
                       np.random.default_rng(7), True, close_at=None, retransmit_p=0.0)
    out, cut = io.BytesIO(), 0
    w = PcapWriter(out)
    for p in pkts:
        frame = encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
        w.write(p.ts, frame[:snaplen], len(frame))
        cut += len(frame) > snaplen
    a = reference(out.getvalue())
    assert_same(a, compiled(out.getvalue()))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["shares"], session["shares_accepted"], session["wallet"]) == (12, 12, "bc1qw")
    assert session["hashes"] == pytest.approx(12 * 512 * 2**48 / 65535)  # difficulty 512 each
    # the input's line says what was lost: every cut packet (a notify's, with more after it)
    # leaves one hole in the session
    slow = PacketIngest("in", exporter="cap")
    for raw in PcapReader(io.BytesIO(out.getvalue())):
        slow.add(raw)
    slow.finish()
    _, fast, _ = read_capture(io.BytesIO(out.getvalue()), "in", "cap")
    for c in (slow.counters, fast.counters):
        assert (c.cut_short, c.snaplen, c.holes) == (cut, snaplen if cut else 0, cut)
    assert cut >= 12


def cut_small(msgs, size: int, begin: int = 0) -> bytes:
    """A pcap of one connection (no handshake) whose every segment carries at most `size`
    bytes; the segments before the `begin`-th are not in it (the capture began there)."""
    pkts, seq = [], {True: 1000, False: 5000}
    for ts, up, data in msgs:
        for k in range(0, len(data), size):
            pkts.append(SimPacket(ts + k * 1e-6, *(("10.0.0.5", "192.0.2.80", 40001, 3333) if up
                                                   else ("192.0.2.80", "10.0.0.5", 3333, 40001)),
                                  6, 0x18, seq[up], seq[not up], data[k:k + size]))
            seq[up] += len(data[k:k + size])
    return pcap_of(pkts[begin:])


@pytest.mark.parametrize("size, begin", [(1, 0), (40, 0), (40, 30), (40, 47), (300, 3)])
def test_a_miner_that_writes_in_small_segments_is_found_wherever_the_capture_begins(size, begin):
    """Neither tiny segments (a miner, or a middlebox, that writes a byte at a time) nor a
    capture that begins inside a long message cut small hide the pool session: connections
    are classified and given up on by bytes as well as by packets."""
    data = cut_small(pool_talk(12), size, begin)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["dialect"], session["wallet"], session["worker"]) == (
        "stratum-v1", "bc1qw", "rig1")
    assert session["shares_accepted"] >= 10


@pytest.mark.parametrize("req", [
    ProxyRequest(proxy.SOCKS5, "btc.pool.example", 3333, "u", "pw"),
    ProxyRequest(proxy.SOCKS4A, "btc.pool.example", 3333),
    ProxyRequest(proxy.HTTP_CONNECT, "btc.pool.example", 3333)])
def test_a_miner_behind_a_proxy_is_found_with_its_pool(req):
    """XMRig's --proxy (SOCKS5), cgminer's --pool-proxy (SOCKS4a, HTTP CONNECT): the tap sees
    the proxy's address, the preamble naming the pool, then the pool dialect."""
    msgs = [(0.5, True, proxy.encode_request(req)), (0.6, False, proxy.encode_reply(req))]
    data = cut_small(msgs + pool_talk(6), 1448)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["pool_host"], session["wallet"], session["shares_accepted"]) == (
        "btc.pool.example", "bc1qw", 6)
    assert f"through a {req.kind} proxy to btc.pool.example:3333" in session["evidence"]


def test_a_getwork_miner_behind_a_forward_proxy_is_found_with_its_pool():
    """ethminer's getwork client with http_proxy set: every poll names the pool in its URL."""
    from minewatch.decode import http
    wallet = "0x512ee0989a7ec0382365f824f9b620de312fd212"
    url = f"http://eth.pool.example:8888/{wallet}/rig7"

    def post(k, method, params):
        body = (f'{{"id":{k},"jsonrpc":"2.0","method":"{method}","params":{params}}}\n').encode()
        return http.encode(http.request("POST", url, (("Host", "eth.pool.example:8888"),), body))

    def answer(k, result):
        body = f'{{"id":{k},"jsonrpc":"2.0","result":{result}}}\n'.encode()
        return http.encode(http.response(200, "OK", (), body))

    work = f'["0x{"aa" * 32}","0x{"bb" * 32}","0x{"00" * 4}{"ff" * 28}"]'
    msgs = []
    for k in range(40):
        t = 1.0 + 2 * k
        msgs += [(t, True, post(2 * k, "eth_getWork", "[]")), (t + 0.1, False, answer(2 * k, work))]
        if k % 4 == 3:
            share = f'["0x{k:016x}","0x{"aa" * 32}","0x{"cc" * 32}"]'
            msgs += [(t + 1, True, post(2 * k + 1, "eth_submitWork", share)),
                     (t + 1.1, False, answer(2 * k + 1, "true"))]
    data = cut_small(msgs, 1448)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["dialect"], session["pool_host"], session["wallet"], session["worker"],
            session["shares_accepted"]) == ("ethproxy-http", "eth.pool.example", wallet, "rig7", 10)
    assert "through an http proxy to eth.pool.example:8888" in session["evidence"]


def http_polls(host: str, path: str, agent: str, calls, auth: bool = False) -> list:
    """A miner's HTTP polls: (method, params, result) per call, one keep-alive connection."""
    from minewatch.decode import http
    head = (("Host", host), ("User-Agent", agent)) + (
        (http.basic_auth_header("rpcuser", "rpcpass"),) if auth else ())
    msgs = []
    for k, (method, params, result) in enumerate(calls):
        body = f'{{"jsonrpc":"2.0","id":{k},"method":"{method}","params":{params}}}'.encode()
        reply = f'{{"jsonrpc":"2.0","id":{k},"result":{result},"error":null}}'.encode()
        msgs += [(1.0 + k, True, http.encode(http.request("POST", path, head, body))),
                 (1.1 + k, False, http.encode(http.response(200, "OK", (), reply)))]
    return msgs


def solo(msgs, port: int) -> bytes:
    """msgs on one connection to port (cut_small's, moved)."""
    pkts = PcapReader(io.BytesIO(cut_small(msgs, 1448)))
    out = io.BytesIO()
    w = PcapWriter(out)
    for p in pkts:
        frame = bytearray(p.data)
        for at in (34, 36):  # the pool port 3333 (TCP source or destination) becomes `port`
            if frame[at:at + 2] == (3333).to_bytes(2, "big"):
                frame[at:at + 2] = port.to_bytes(2, "big")
        w.write(p.ts, bytes(frame))
    return out.getvalue()


XMR_WALLET = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2"
              "wfn3RVGQBEP3A")


@pytest.mark.parametrize("msgs, port, methods", [
    # cgminer solo against bitcoind: getblocktemplate, Basic auth, the daemon's port
    (http_polls("10.1.2.50:8332", "/", "cgminer/4.12.0",
                [("getblocktemplate", '[{"rules":["segwit"]}]',
                  '{"previousblockhash":"' + "00" * 32 + '","target":"' + "00" * 4 + "ff" * 28
                  + '","height":800000}')] * 6, auth=True), 8332, "getblocktemplate"),
    # ethminer solo against its own geth: getWork, no wallet in the URL, the node's port
    (http_polls("10.1.2.50:8545", "/", "ethminer/0.18.0",
                [("eth_getWork", "[]", f'["0x{"aa" * 32}","0x{"bb" * 32}","0x{"00" * 4}'
                  f'{"ff" * 28}"]'), ("eth_submitWork", f'["0x{"11" * 8}","0x{"aa" * 32}",'
                                                      f'"0x{"cc" * 32}"]', "true")] * 4), 8545,
     None),
    # XMRig's daemon mode against monerod (DaemonClient.cpp): getblocktemplate with an object
    # of params to /json_rpc, a job from the daemon, a block submitted
    (http_polls("10.1.2.50:18081", "/json_rpc", "XMRig/6.21.0",
                [("getblocktemplate", f'{{"wallet_address":"{XMR_WALLET}","reserve_size":8}}',
                  '{"blocktemplate_blob":"' + "10" * 80 + '","blockhashing_blob":"' + "10" * 76
                  + '","difficulty":300000000000,"height":3000000,"status":"OK"}'),
                 ("submitblock", '["' + "10" * 80 + '"]', '{"status":"OK"}')] * 2), 18081,
     "get_block_template"),
])
def test_solo_mining_against_ones_own_node_is_daemon_rpc(msgs, port, methods):
    """getwork.py's rule: a miner's polls to a coin daemon's RPC are no pool session, but the
    connection is labelled (labelled_connections), with the methods called until then."""
    data = solo(msgs, port)
    a = reference(data)
    assert_same(a, compiled(data))
    assert a["payload_sessions"].num_rows == 0
    (label,) = a["labelled_connections"].to_pylist()
    assert (label["label"], label["server_port"], label["methods"]) == ("daemon-rpc", port,
                                                                      methods)


@pytest.mark.parametrize("cut", [1, 2, 4])
def test_a_request_split_inside_its_first_word_is_read(cut):
    """Tools that dodge DPI send an HTTP request's first byte or two alone ("PO", then
    "ST / HTTP/1.1..."): the connection is still read from its first segment on."""
    work = ('{"data":"' + "00" * 128 + '","target":"' + "ff" * 28 + "00" * 4 + '"}')
    msgs = http_polls("mint.bitminter.com:3333", "/", "cgminer/3.7.2",
                      [("getwork", "[]", work)] * 2 + [("getwork", '["' + "00" * 128 + '"]',
                                                        "true")])
    ts, up, first = msgs[0]
    msgs[:1] = [(ts, up, first[:cut]), (ts + 1e-4, up, first[cut:])]
    data = cut_small(msgs, 1448)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["dialect"], session["pool_host"], session["shares_accepted"]) == (
        "getwork-http", "mint.bitminter.com", 1)


def test_a_getwork_pool_on_bitcoinds_port_is_a_pool():
    """The getwork pools of 2011-2014 listened on 8332, Basic auth and all; bitcoind has not
    served getwork since 0.10, so getwork there is a pool's, not a node's."""
    work = ('{"data":"' + "00" * 128 + '","target":"' + "ff" * 28 + "00" * 4
            + '","midstate":"' + "00" * 32 + '","hash1":"' + "00" * 64 + '"}')
    msgs = http_polls("mint.bitminter.com:8332", "/", "cgminer/3.7.2",
                      [("getwork", "[]", work)] * 3 + [("getwork", '["' + "00" * 128 + '"]',
                                                        "true")], auth=True)
    data = solo(msgs, 8332)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["dialect"], session["pool_host"], session["shares_accepted"]) == (
        "getwork-http", "mint.bitminter.com", 1)


def test_a_coin_daemon_rpc_connection_is_left_after_its_first_node_only_call(monkeypatch):
    """A wallet polling bitcoind (getblockchaininfo, Basic auth, port 8332) is daemon-rpc from
    its first request on, and no later message can make it a pool session: its connection
    goes back to flow metering instead of being decoded poll after poll."""
    monkeypatch.setattr(frames, "READ", 4096)  # batches of a few packets: Python's word to
    monkeypatch.setattr(frames, "BATCH", 5)  # stop reading lands at the end of each
    pkts = bg.jsonrpc_poller("10.0.0.5", "192.0.2.9", 100.0, 700.0, np.random.default_rng(3),
                             8332, "getblockchaininfo")
    assert sum(bool(p.payload) for p in pkts) == 80  # 40 polls and their answers
    data = pcap_of(pkts)
    a = reference(data)
    assert_same(a, compiled(data))
    assert a["payload_sessions"].num_rows == 0
    _, ingest, _ = read_capture(io.BytesIO(data), "in", "cap")
    assert ingest.routed <= 5  # the first batch: the handshake and the first request


# a Zcash pool's first words (cgminer-pool-scan.pcapng, 46.105.114.185:2142): ZIP 301's job
ZIP301_JOB = (b'{"id":null,"method":"mining.set_target","params":["003c3c3c3c3c3c3c3c3c3c3c3c3c3c'
              b'3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c"]}\n{"id":null,"method":"mining.notify",'
              b'"params":["ab0a","04000000","46d6759e5dc4b9c86d8867b9034d54e4088b0309499f62a64f6e4'
              b'90300000000","c07127ddabf360dd544dc90ddd83c234553ae4f9f7c705385c7616eae02df2cf","'
              + b"0" * 64 + b'","4cc2ff5a","e3650e1c",true]}\n')


def test_a_job_crossing_the_miners_reset_is_read():
    """The miner resets the connection while the pool's first job is on the wire: a tap by
    the miner sees the RST first. The job still names the algorithm (Equihash's shape)."""
    miner, pool = ("10.0.0.5", 40001), ("192.0.2.80", 2142)
    talk = [(1.0, True, 0x18, b'{"id": 324, "method": "mining.subscribe", "params": '
                               b'["cgminer/3.7.2"]}\n'),
            (1.1, False, 0x18, b'{"id":324,"result":[null,"38338300000000000000000000833339"],'
                               b'"error":null}\n'),
            (1.2, True, 0x14, b""), (1.2001, False, 0x18, ZIP301_JOB)]
    seq, pkts = {True: 1000, False: 5000}, []
    for ts, up, flags, data in talk:
        src, dst = (miner, pool) if up else (pool, miner)
        pkts.append(SimPacket(ts, src[0], dst[0], src[1], dst[1], 6, flags, seq[up], seq[not up],
                              data))
        seq[up] += len(data)
    data = pcap_of(pkts)
    a = reference(data)
    assert_same(a, compiled(data))
    (session,) = a["payload_sessions"].to_pylist()
    assert (session["dialect"], session["algorithm"]) == ("stratum-v1", "equihash")


def test_real_captures_equal_reference():
    found = sorted(PCAPS.glob("*.pcap*")) if PCAPS.is_dir() else []
    if not found:
        pytest.skip("../shared/data/pcaps not present")
    for path in found:
        data = path.read_bytes()
        assert_same(reference(data), compiled(data))


def test_the_real_bitcoin_nodes_are_labelled_nodes():
    """not-mining-bitcoin-p2p.pcap (2011): six connections of one node to peers on 8333,
    each opening with a version (no checksum then; decode/test_p2p.py reads the first by
    hand): each labelled `node` with the chain height of the version first seen, no miner."""
    path = PCAPS / "not-mining-bitcoin-p2p.pcap"
    if not path.is_file():
        pytest.skip("../shared/data/pcaps not present")
    a = compiled(path.read_bytes())
    assert a["payload_sessions"].num_rows == 0
    rows = a["labelled_connections"].to_pylist()
    assert {(r["label"], r["methods"], r["client_ip"], r["server_port"]) for r in rows} == {
        ("node", "version", "192.168.1.142", 8333)}
    heights = [json.loads(r["evidence"])[1].rpartition(" ")[2] for r in rows]
    assert sorted(heights) == ["114,170", "114,256", "114,365", "114,400", "114,872", "115,467"]


def test_simulated_nodes_are_labelled_on_both_paths(sim_pcap):
    a, b = reference(sim_pcap), compiled(sim_pcap)
    assert_same(a, b)
    nodes = [r for r in b["labelled_connections"].to_pylist() if r["label"] == "node"]
    assert [(r["client_ip"], r["server_port"], r["agent"]) for r in nodes] == [
        ("10.0.0.10", 8333, "/Satoshi:25.0.0/")]


def test_a_monero_node_is_labelled_with_its_network():
    """A levin handshake (request, then response) on 18080, then timed syncs: a node on both
    paths, named Monero by its handshake's network id."""
    from minewatch.decode import p2p

    body = b"\x0anetwork_id\x0a\x40" + bytes.fromhex("1230f171610441611731008216a1a110")
    hello = p2p.encode_levin(p2p.LevinHeader(len(body), True, 1001), body)
    reply = p2p.encode_levin(p2p.LevinHeader(len(body), False, 1001, flags=2), body)
    rng = np.random.default_rng(4)
    msgs = [(100.0, True, hello), (100.2, False, reply)] + [
        (160.0 + 60 * k, k % 2 == 0, p2p.encode_levin(p2p.LevinHeader(40, True, 1002))
         + rng.bytes(40)) for k in range(10)]
    data = pcap_of(tcp_session(Conn("10.0.0.21", 40002, "192.0.2.31", 18080), msgs, rng, True,
                               close_at=None))
    a = reference(data)
    assert_same(a, compiled(data))
    (label,) = a["labelled_connections"].to_pylist()
    assert (label["label"], label["methods"], label["server_port"]) == ("node", "handshake", 18080)
    assert "(Monero)" in json.loads(label["evidence"])[1]


def test_an_ethereum_node_is_labelled_and_random_bytes_of_its_shape_are_not():
    """An RLPx handshake (EIP-8 auth and ack, each key secp256k1's generator), then encrypted
    frames: a node on both paths. The same shape with a key off the curve is no node's."""
    g = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
    rng = np.random.default_rng(3)

    def conn(key: bytes, port: int) -> list:
        ecies = b"\x04" + key + rng.bytes(16 + 300 + 32)
        auth = len(ecies).to_bytes(2, "big") + ecies
        msgs = [(100.0, True, auth), (100.1, False, auth)]  # (the ack: the same shape)
        msgs += [(101.0 + k, k % 2 == 0, rng.bytes(200)) for k in range(20)]
        return tcp_session(Conn("10.0.0.20", port, "192.0.2.30", 30303), msgs, rng, True,
                           close_at=None)

    data = pcap_of(sorted(conn(g, 40000) + conn(bytes(range(64)), 40001), key=lambda p: p.ts))
    a = reference(data)
    assert_same(a, compiled(data))
    assert [(r["client_port"], r["label"], r["methods"])
            for r in a["labelled_connections"].to_pylist()] == [(40000, "node", "rlpx-handshake")]


# What each real pool capture holds (tests/detect/test_stratum_golden.py checks the whole
# captures by hand): the (dialect, coin) pairs of its sessions and the logins seen in it.
REAL_POOL_CAPTURES = {
    # (a Stratum v1 session's coin is BTC once a job of Bitcoin's chain is in the capture)
    "btc-stratum-bitminter.pcap": ({("stratum-v1", ""), ("stratum-v1", "BTC"),
                                    ("getwork-http", ""), ("getblocktemplate-http", "")},
                                   {"broatcast", "Bigsky"}),
    "ethproxy-dwarfpool.pcapng": ({("ethproxy", "ETH")},
                                  {"0x512ee0989a7ec0382365f824f9b620de312fd212"}),
    "ltc-stratum-pool-side-mini.pcapng": ({("stratum-v1", "")},
                                          {"mn4jUMneEBjZuDPEdFuj6BmFPmehmrT2Zc"}),
}


@pytest.mark.parametrize("name", sorted(REAL_POOL_CAPTURES))
def test_real_pool_captures_begun_at_any_packet_still_show_their_miner(name):
    """A capture that starts anywhere in the first two thirds of a real pool conversation
    (after the subscribe, the login, the first job...) still finds the miner, with a dialect
    and coin of the whole capture's and no login that is not in it."""
    path = PCAPS / name
    if not path.is_file():
        pytest.skip("../shared/data/pcaps not present")
    kinds, logins = REAL_POOL_CAPTURES[name]
    packets = list(PcapReader(io.BytesIO(path.read_bytes())))
    for cut in range(len(packets) * 2 // 3):
        out = io.BytesIO()
        writer = PcapWriter(out, linktype=packets[0].linktype)
        for p in packets[cut:]:
            writer.write(p.ts, p.data, p.wirelen)
        sessions = compiled(out.getvalue())["payload_sessions"].to_pylist()
        assert sessions, f"no miner once the first {cut} packets are cut"
        assert {(s["dialect"], s["coin"]) for s in sessions} <= kinds, cut
        assert {s["wallet"] for s in sessions} - {None} <= logins, cut


def read_both_ways(pkts) -> dict:
    """Simulated packets as a capture, read by both paths, which must agree: the tables."""
    out = io.BytesIO()
    write_pcap(out, pkts)
    want, got = reference(out.getvalue()), compiled(out.getvalue())
    assert_same(want, got)
    return got

@pytest.mark.parametrize("batch", [1, 2, 3, 4, 7])
def test_a_handshake_read_in_an_earlier_batch_still_names_the_client(batch, monkeypatch):
    """The reassembler opens a connection at its first payload, and the handshake goes to it
    only when both are in one batch. Across batches, the table's memory of the handshake
    names the client: on a port no list knows, from a lower ephemeral port, the ports alone
    would name the pool as the miner."""
    monkeypatch.setattr(frames, "READ", 4096)
    monkeypatch.setattr(frames, "BATCH", batch)
    rng = np.random.default_rng(batch)
    msgs = [(1000.0 + 2 * k, k % 2 == 0, payload) for k, payload in enumerate(
        stratum_lines(rng))]
    got = read_both_ways(tcp_session(Conn("10.0.0.5", 33001, "192.0.2.80", 40500), msgs, rng,
                                     True, close_at=None))
    (session,) = got["payload_sessions"].to_pylist()
    assert (session["client_ip"], session["server_port"]) == ("10.0.0.5", 40500)
    assert session["shares"] == 3


def stratum_lines(rng) -> list[bytes]:
    """A miner's opening and three shares, each answered (alternating, the miner first)."""
    out = [b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.10"]}\n',
           b'{"id":1,"result":[[],"08000002",4],"error":null}\n',
           b'{"id":2,"method":"mining.authorize","params":["bc1qw.rig1","x"]}\n',
           b'{"id":2,"result":true,"error":null}\n']
    for k in range(3):
        out.append(f'{{"id":{10 + k},"method":"mining.submit","params":["bc1qw.rig1","j{k}",'
                   f'"00000001","{k:08x}","{int(rng.integers(1 << 31)):08x}"]}}\n'.encode())
        out.append(f'{{"id":{10 + k},"result":true,"error":null}}\n'.encode())
    return out


def test_a_getwork_long_poll_is_read_as_a_pool_session_and_a_page_is_not():
    """A GET with X-Mining-Extensions (a getwork miner's long poll) goes to the pool decoders
    on both paths; the same answer to a browser's GET stays a page fetch."""
    work = json.dumps({"id": 0, "error": None, "result": {
        "data": "00" * 128, "target": "ff" * 28 + "00000000", "midstate": "ab" * 32}})
    answer = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
              f"{len(work)}\r\n\r\n{work}").encode()
    rng, pkts = np.random.default_rng(3), []
    for client, extensions in (("10.0.0.5", "X-Mining-Extensions: longpoll midstate\r\n"),
                               ("10.0.0.6", "")):
        ask = (f"GET /LP HTTP/1.1\r\nHost: pool.example.net:8332\r\n{extensions}"
               "User-Agent: cgminer 2.3.1\r\n\r\n").encode()
        pkts += tcp_session(Conn(client, 50000, "192.0.2.80", 8332),
                            [(1000.0, True, ask), (1030.0, False, answer)], rng, True,
                            close_at=1031.0)
    got = read_both_ways(pkts)
    assert [(s["client_ip"], s["dialect"]) for s in got["payload_sessions"].to_pylist()] == [
        ("10.0.0.5", "getwork-http")]


def test_a_node_connection_met_again_after_an_idle_pause_is_labelled_once():
    """The reassembler ends a connection silent for its idle timeout (300 s) and meets it
    again at its next message: it is still one connection, one `node` row on both paths."""
    from minewatch.decode import p2p

    def msg(cmd: str, payload: bytes) -> bytes:
        return p2p.encode_message(bytes.fromhex("f9beb4d9"), cmd, payload)

    version = p2p.encode_version(p2p.Version(70016, 0x409, 1000, 7, "/Satoshi:25.0.0/",
                                             800_000, True))
    msgs = [(1000.0, True, msg("version", version)), (1000.1, False, msg("version", version)),
            (1000.2, True, msg("verack", b"")), (1400.0, False, msg("inv", bytes(37))),
            (1401.0, True, msg("inv", bytes(37)))]
    got = read_both_ways(tcp_session(Conn("10.0.0.5", 50000, "192.0.2.80", 8333), msgs,
                                     np.random.default_rng(4), True, close_at=None))
    (row,) = got["labelled_connections"].to_pylist()
    assert (row["label"], row["client_ip"], row["ts_start"], row["agent"]) == (
        "node", "10.0.0.5", pytest.approx(1000.0, abs=0.2), "/Satoshi:25.0.0/")
