"""IP fragments on the capture path: a pool session whose packets arrive in fragments (out of
order, twice through a mirror, inside a fragmented ERSPAN or VXLAN mirror feed, or with a
piece missing) is read as if whole, its bytes counted as they crossed the link, and the
Python reference path reads it the same."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.ipfrag import fragment
from minewatch.decode.packet import encapsulate, encode_udp
from minewatch.decode.pcap import PcapReader, PcapWriter
from minewatch.ingest.capture import read_capture
from minewatch.ingest.packets import PacketIngest
from minewatch.sim.packets import Conn, frame, tcp_session

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def session(client: str, pool: str) -> list:
    """A Stratum v1 miner with long job notifications (a merkle branch of 12 hashes)."""
    branch = ",".join(f'"{k:064x}"' for k in range(12))
    msgs = [(10.0, True, b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.12.0"]}\n'),
            (10.1, False, b'{"id":1,"result":[[],"08000002",4],"error":null}\n'),
            (10.2, True, f'{{"id":2,"method":"mining.authorize","params":["{WALLET}.rig1","x"]}}\n'
             .encode()),
            (10.3, False, b'{"id":null,"method":"mining.set_difficulty","params":[1024]}\n')]
    for k in range(12):
        msgs.append((11 + 20 * k, False, (
            f'{{"id":null,"method":"mining.notify","params":["j{k}","{"0" * 64}","{"a" * 180}",'
            f'"{"b" * 90}",[{branch}],"20000000","1a2b3c4d","{k:08x}",true]}}\n').encode()))
        msgs.append((15 + 20 * k, True, (
            f'{{"id":{10 + k},"method":"mining.submit","params":["{WALLET}.rig1","j{k}",'
            f'"00000001","{k:08x}","abcd{k:04x}"]}}\n').encode()))
    return tcp_session(Conn(client, 40001, pool, 3333), msgs, np.random.default_rng(3), True,
                       close_at=None)


def frames_of(client: str = "10.0.0.5", pool: str = "192.0.2.80") -> list[tuple[float, bytes]]:
    """(time, Ethernet frame) of the session, each IP packet with its own identification."""
    out = []
    for k, p in enumerate(session(client, pool)):
        f = bytearray(frame(p))
        if f[14] >> 4 == 4:
            f[18:20] = (k + 1).to_bytes(2, "big")
        out.append((p.ts, bytes(f)))
    return out


def pcap(frames: list[tuple[float, bytes]]) -> bytes:
    out = io.BytesIO()
    w = PcapWriter(out)
    for ts, data in frames:
        w.write(ts, data)
    return out.getvalue()


def cut(frames, mtu: int, *, shuffle=False, copies=False, drop=None, tunnel=None):
    """The frames with each IP packet (the outer one in a tunnel) cut into fragments of at
    most mtu bytes; (frames, IP header bytes the fragments add). `drop` = (index of a
    fragmented packet, index of the fragment of it to leave out)."""
    rnd, out, extra, seen = random.Random(7), [], 0, 0
    for ts, data in frames:
        data = encapsulate(data, tunnel) if tunnel else data
        head, ip = data[:14], data[14:]
        if tunnel and ip[0] >> 4 == 4:  # (each outer packet its own identification: RFC 6864)
            ip = ip[:4] + (len(out) % 65535 + 1).to_bytes(2, "big") + ip[6:]
        pieces = fragment(ip, mtu, ident=seen + 1)
        if len(pieces) > 1:
            extra += sum(len(p) for p in pieces) - len(ip)
            if drop and drop[0] == seen:
                del pieces[drop[1]]
            seen += 1
        if shuffle:
            rnd.shuffle(pieces)
        for piece in pieces:  # (at one time, so events keep their times to the bit)
            out.append((ts, head + piece))
            if copies:
                out.append((ts, head + piece))
    return out, extra


def compiled(data: bytes):
    tables, ingest, _ = read_capture(io.BytesIO(data), "in", "cap")
    return tables, ingest.counters


def reference(data: bytes):
    state = PacketIngest("in", exporter="cap")
    for raw in PcapReader(io.BytesIO(data)):
        state.add(raw)
    return state.finish(), state.counters


def rows(table, drop=()) -> list[str]:
    return sorted(repr({k: v for k, v in r.items() if k not in drop}) for r in table.to_pylist())


def flow_bytes(tables) -> dict:
    out = {}
    for r in tables["flows"].to_pylist():
        key = (r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"])
        out[key] = out.get(key, 0) + r["bytes"]
    return out


@pytest.fixture(scope="module")
def whole():
    data = {v: pcap(frames_of(*addrs)) for v, addrs in (
        (4, ("10.0.0.5", "192.0.2.80")), (6, ("2001:db8::5", "2001:db8::80")))}
    return {v: (data[v], compiled(data[v])[0]) for v in data}


@pytest.mark.parametrize("version", [4, 6])
@pytest.mark.parametrize("shuffle,copies", [(False, False), (True, True)])
def test_fragmented_session_reads_as_whole(whole, version, shuffle, copies):
    data, base = whole[version]
    frames, extra = cut(frames_from(data), 256,
                        shuffle=shuffle, copies=copies)
    assert extra > 0
    tables, counters = compiled(pcap(frames))
    for name in ("payload_sessions", "stratum_events", "tls_hellos", "dns_map"):
        assert rows(tables[name]) == rows(base[name]), name
    [session] = tables["payload_sessions"].to_pylist()
    assert (session["dialect"], session["wallet"], session["shares"]) == (
        "stratum-v1", WALLET, 12)
    got, want = flow_bytes(tables), flow_bytes(base)
    assert sum(got.values()) == sum(want.values()) + extra  # each fragment's own IP header
    assert got.keys() == want.keys()
    assert counters.fragments_left == 0
    assert counters.duplicates == (len(frames) // 2 if copies else 0)
    ref, ref_counters = reference(pcap(frames))
    for name in tables:
        assert rows(ref[name]) == rows(tables[name]), name
    assert (ref_counters.duplicates, ref_counters.fragments_left) == (
        counters.duplicates, counters.fragments_left)


def frames_from(data: bytes) -> list[tuple[float, bytes]]:
    return [(raw.ts, raw.data) for raw in PcapReader(io.BytesIO(data))]


@pytest.mark.parametrize("tunnel", ["erspan2", "vxlan"])
def test_a_fragmented_mirror_feed_is_put_together_before_the_tunnel_is_peeled(whole, tunnel):
    data, base = whole[4]
    frames, extra = cut(frames_from(data), 300, tunnel=tunnel)
    assert extra > 0
    tables, counters = compiled(pcap(frames))
    for name in ("payload_sessions", "stratum_events", "flows"):
        assert rows(tables[name], drop={"exporter"}) == rows(base[name], drop={"exporter"})
    ref, _ = reference(pcap(frames))
    assert rows(ref["flows"]) == rows(tables["flows"])


@pytest.mark.parametrize("at", ["middle", "end"])
def test_a_datagram_missing_a_piece_is_counted_not_read(whole, at):
    data, base = whole[4]
    frames = frames_from(data)
    _, extra = cut(frames, 256)
    fragmented = sum(len(f) - 14 > 256 for _, f in frames)
    index = 3 if at == "middle" else fragmented - 1  # (the end: nothing after to time it out)
    lost, _ = cut(frames, 256, drop=(index, 1))
    lost_bytes = sum(len(f) - 14 for _, f in cut(frames, 256)[0]) \
        - sum(len(f) - 14 for _, f in lost)
    tables, counters = compiled(pcap(lost))
    pieces = len(fragment(_ip_of(frames, index), 256)) - 1
    assert counters.fragments_left == pieces
    assert "IP fragment" in counters.quality()
    got, want = flow_bytes(tables), flow_bytes(base)
    assert sum(got.values()) == sum(want.values()) + extra - lost_bytes  # none lost, none twice
    ref, ref_counters = reference(pcap(lost))
    assert ref_counters.fragments_left == pieces
    assert rows(ref["flows"]) == rows(tables["flows"])
    assert rows(ref["payload_sessions"]) == rows(tables["payload_sessions"])


def test_a_mirrored_erspan_feed_missing_a_piece(whole):
    """Fragmented outer packets, each sent twice by the mirror, one piece lost: the copies are
    counted as copies, the incomplete datagram's other pieces once each, both paths alike."""
    data, base = whole[4]
    frames = frames_from(data)
    lost, _ = cut(frames, 256, drop=(3, 1), tunnel="erspan2", copies=True)
    outer = [f for _, f in frames if len(encapsulate(f, "erspan2")) - 14 > 256][3]
    pieces = len(fragment(encapsulate(outer, "erspan2")[14:], 256)) - 1
    tables, counters = compiled(pcap(lost))
    assert counters.fragments_left == pieces
    assert counters.duplicates == len(lost) // 2  # (every frame was sent twice)
    ref, ref_counters = reference(pcap(lost))
    assert (ref_counters.fragments_left, ref_counters.duplicates) == (
        counters.fragments_left, counters.duplicates)
    assert rows(ref["flows"]) == rows(tables["flows"])
    assert [r["wallet"] for r in tables["payload_sessions"].to_pylist()] == [WALLET]


def _ip_of(frames, index: int) -> bytes:
    """The IP packet of the index-th frame that gets fragmented at 256 bytes."""
    return [f[14:] for _, f in frames if len(f) - 14 > 256][index]


@pytest.mark.skipif(not (PCAPS / "btc-stratum-bitminter.pcap").exists(),
                    reason="../shared/data/pcaps is not here")
def test_a_real_capture_fragmented_reads_as_the_original():
    data = (PCAPS / "btc-stratum-bitminter.pcap").read_bytes()
    base, _ = compiled(data)
    frames = frames_from(data)
    assert all(f[12:14] == b"\x08\x00" for _, f in frames)  # (Ethernet, IPv4: as read by hand)
    cut_frames, extra = cut(frames, 200, shuffle=True)
    tables, counters = compiled(pcap(cut_frames))
    assert extra > 0 and counters.fragments_left == 0
    for name in ("payload_sessions", "stratum_events"):
        assert rows(tables[name]) == rows(base[name]), name
    assert sum(flow_bytes(tables).values()) == sum(flow_bytes(base).values()) + extra


def test_errors_are_numbered_by_frame_around_rebuilt_datagrams():
    """A rebuilt datagram that does not decode is reported at the fragment that completed it,
    and a frame before it by its own number, on both paths: rows added to a batch are no
    frames of the capture."""
    first = frames_of()[:1]
    ts, good = first[0]
    broken = good[:14] + b"\x4f" + good[15:30]  # IPv4 header of 60 bytes, cut at 16
    bad = bytearray(good + bytes(600))
    bad[14 + 20 + 12] = 0x20  # TCP data offset 2 words: below the header's 20 bytes
    bad[16:18] = (len(bad) - 14).to_bytes(2, "big")
    pieces, _ = cut([(ts + 1, bytes(bad))], 256)
    frames = [(ts, broken)] + first + pieces + [(ts + 2, good)]
    _, counters = compiled(pcap(frames))
    _, ref = reference(pcap(frames))
    assert counters.first_error.startswith("packet 1: ")
    assert (counters.skipped, counters.packets) == (2, len(frames))
    assert (ref.first_error, ref.skipped) == (counters.first_error, counters.skipped)
    last = PacketIngest("in", exporter="cap")  # (the second error's number, on its own)
    for raw in PcapReader(io.BytesIO(pcap(frames[1:]))):
        last.add(raw)
    assert last.counters.first_error.startswith(f"packet {1 + len(pieces)}: ")
    _, alone = compiled(pcap(frames[1:]))
    assert alone.first_error == last.counters.first_error


@st.composite
def fragment_soup(draw) -> list[bytes]:
    """The IP packets of a few UDP datagrams cut into fragments, shuffled, some pieces lost,
    some sent twice, some replaced by an overlapping variant, some whole packets between."""
    packets = []
    for k in range(draw(st.integers(1, 4))):
        packet = bytearray(encode_udp("10.0.0.5", "192.0.2.80", 5000 + k, 6000,
                                      bytes(draw(st.integers(0, 3000))))[14:])
        packet[4:6] = (k + 1).to_bytes(2, "big")
        pieces = fragment(bytes(packet), draw(st.sampled_from([68, 200, 576, 1500])))
        for piece in pieces:
            fate = draw(st.sampled_from(["keep"] * 6 + ["lose", "twice", "overlap"]))
            field = int.from_bytes(piece[6:8], "big")
            if fate == "overlap" and field & 0x1FFF:  # (a piece past the first, moved back 8)
                shifted = bytearray(piece)
                shifted[6:8] = (field - 1).to_bytes(2, "big")
                packets.append(bytes(shifted))
            if fate != "lose":
                packets.append(piece)
            if fate == "twice":
                packets.append(piece)
    return draw(st.permutations(packets))


@settings(max_examples=40, deadline=None)
@given(fragment_soup())
def test_any_fragments_are_counted_once_and_alike_on_both_paths(packets):
    """Whatever arrives, every fragment's bytes are in exactly one flow, except exact second
    copies of fragments, which are counted as such (a whole UDP datagram twice is two: UDP
    has no sequence to tell a copy by); and the reference path agrees to the row."""
    head = frames_of()[0][1][:14]
    data = pcap([(100.0, head + p) for p in packets])
    tables, counters = compiled(data)
    ref, ref_counters = reference(data)
    assert rows(tables["flows"]) == rows(ref["flows"])
    copies = [p for k, p in enumerate(packets)
              if p in packets[:k] and int.from_bytes(p[6:8], "big") & 0x3FFF]
    assert sum(flow_bytes(tables).values()) == sum(map(len, packets)) - sum(map(len, copies))
    assert counters.duplicates == ref_counters.duplicates == len(copies)
    assert counters.fragments_left == ref_counters.fragments_left
    assert counters.packets == len(packets)
