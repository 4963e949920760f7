"""Flow metering: record boundaries, conservation of packets and bytes, the flows schema, and
record counts on the real captures checked against tshark."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode.packet import ACK, FIN, PSH, SYN, Segment, decode_frame
from minewatch.decode.pcap import PcapReader
from minewatch.flows.meter import DUPLICATE_S, FlowMeter, MeterConfig, to_batch
from minewatch.schema import arrow_schema, column_names

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"
A, B = ("10.0.0.2", 50000), ("1.2.3.4", 3333)


def seg(src, dst, ts, flags=ACK, ip_len=40, proto=6) -> Segment:
    return Segment(ts, src[0], dst[0], proto, src[1], dst[1], flags, 0, 0, b"", ip_len)


def meter_of(segments, **config) -> FlowMeter:
    meter = FlowMeter(MeterConfig(**config))
    for s in segments:
        meter.add(s)
    return meter


def test_each_direction_is_a_record_with_every_column():
    meter = meter_of([seg(A, B, 1.0, SYN, 60), seg(B, A, 1.1, SYN | ACK, 60),
                      seg(A, B, 2.0, PSH | ACK, 140), seg(A, B, 3.0, FIN | ACK, 40)],
                     exporter="capture.pcap", input_id="abc123")
    rows = sorted(meter.flush(), key=lambda r: r["ts_start"])
    assert rows == [
        {"ts_start": 1.0, "ts_end": 3.0, "src_ip": "10.0.0.2", "src_port": 50000,
         "dst_ip": "1.2.3.4", "dst_port": 3333, "proto": 6, "packets": 3, "bytes": 240,
         "tcp_flags": SYN | PSH | ACK | FIN, "psh_packets": 1, "bytes_sq": 60**2 + 140**2 + 40**2,
         "gap_sq": 2.0, "gap_max": 1.0, "tls_packets": 0, "sampling_rate": 1,
         "exporter": "capture.pcap",
         "source": "pcap", "input_id": "abc123"},
        {"ts_start": 1.1, "ts_end": 1.1, "src_ip": "1.2.3.4", "src_port": 3333,
         "dst_ip": "10.0.0.2", "dst_port": 50000, "proto": 6, "packets": 1, "bytes": 60,
         "tcp_flags": SYN | ACK, "psh_packets": 0, "bytes_sq": 3600, "gap_sq": 0.0, "gap_max": 0.0,
         "tls_packets": 0, "sampling_rate": 1, "exporter": "capture.pcap",
         "source": "pcap", "input_id": "abc123"},
    ]
    assert all(list(row) == column_names("flows") for row in rows)
    assert len(meter) == 0 and meter.flush() == []


def test_protocol_is_part_of_the_key():
    rows = meter_of([seg(A, B, 1.0), seg(A, B, 1.0, flags=0, proto=17)]).flush()
    assert sorted(r["proto"] for r in rows) == [6, 17]


def test_idle_timeout_ends_a_record_in_expired_and_in_add():
    meter = meter_of([seg(A, B, 0.0), seg(B, A, 50.0)], idle_timeout=60.0)
    assert meter.expired(60.0) == []  # idle exactly 60 s: not yet
    (row,) = meter.expired(60.5)
    assert (row["src_ip"], row["packets"]) == ("10.0.0.2", 1)
    meter.add(seg(B, A, 200.0))  # the same key after 150 s idle: a new record
    rows = meter.flush()
    assert [(r["ts_start"], r["ts_end"]) for r in rows] == [(50.0, 50.0), (200.0, 200.0)]


def test_active_timeout_slices_a_long_record():
    meter = meter_of([seg(A, B, float(t)) for t in range(0, 100, 10)],
                     idle_timeout=60.0, active_timeout=30.0)
    rows = meter.expired(95.0) + meter.flush()
    assert [(r["ts_start"], r["ts_end"], r["packets"]) for r in rows] == [
        (0.0, 20.0, 3), (30.0, 50.0, 3), (60.0, 80.0, 3), (90.0, 90.0, 1)]


def test_max_flows_ends_the_least_recently_active():
    # port 1 is refreshed after port 2, so port 2 is the one ended to make room for port 3
    meter = meter_of([seg(("10.0.0.9", port), B, float(t)) for t, port in enumerate([1, 2, 1, 3])],
                     max_flows=2)
    assert len(meter) == 2
    ended = meter.expired(0.0)
    assert [(r["src_port"], r["packets"]) for r in ended] == [(2, 1)]


def test_late_timestamps_do_not_shrink_a_record():
    rows = meter_of([seg(A, B, 10.0), seg(A, B, 9.5)]).flush()
    assert (rows[0]["ts_start"], rows[0]["ts_end"], rows[0]["packets"]) == (10.0, 10.0, 2)


def test_a_mirror_ports_second_copy_is_not_counted_a_retransmission_is():
    """A switch mirroring both ports a packet crosses sends it twice, microseconds apart and
    byte for byte the same in TCP: the copy is not traffic. A retransmission is, and differs
    in its IPv4 identification (or its timestamp option, hence checksum) and in time."""
    def tcp(ts, seq, ident, checksum=0x1234, n=1000):
        return Segment(ts, A[0], B[0], 6, A[1], B[1], PSH | ACK, seq, 7, b"", n,
                       ident << 16 | checksum)

    meter = FlowMeter(MeterConfig())
    taken = [meter.add(s) for s in (
        tcp(1.0, 100, 1), tcp(1.0001, 100, 1),  # a copy
        tcp(1.001, 1100, 2), tcp(1.002, 2100, 3), tcp(1.0021, 1100, 2), tcp(1.0022, 2100, 3),
        tcp(1.003, 100, 4),  # the first again, with a new identification: a retransmission
        tcp(1.5, 100, 4),  # the same bytes again, half a second on: a retransmission
        tcp(1.6, 100, 4, 0x4321),  # the same numbers, another checksum (its timestamp option)
    )]
    assert taken == [True, False, True, True, False, False, True, True, True]
    [row] = meter.flush()
    assert (row["packets"], row["bytes"]) == (6, 6000)
    # a copy of a packet three back is not recognised (two are kept): it is counted
    meter = FlowMeter(MeterConfig())
    assert [meter.add(tcp(2.0 + k * 1e-4, 100 + 1000 * k, k)) for k in range(3)] == [True] * 3
    assert meter.add(tcp(2.0004, 100, 0))
    assert not meter.add(tcp(2.0002 + DUPLICATE_S * 0.9, 2100, 2))  # within the window
    assert meter.add(tcp(2.0004 + DUPLICATE_S * 1.1, 100, 0))  # past it


def test_to_batch_has_the_flows_schema():
    rows = meter_of([seg(A, B, 1.0), seg(B, A, 2.0)], exporter="x").flush()
    batch = to_batch(rows)
    assert batch.schema == arrow_schema("flows") and batch.num_rows == 2
    assert batch.column("bytes").to_pylist() == [40, 40]
    assert to_batch([]).num_rows == 0


endpoints = st.sampled_from([A, B, ("10.0.0.3", 1234), ("2001:db8::5", 443)])


@given(st.lists(st.tuples(endpoints, endpoints, st.floats(0, 5000), st.integers(20, 1500),
                          st.integers(0, 255)), max_size=60),
       st.floats(1, 300), st.floats(1, 3000), st.floats(0, 6000))
def test_packets_and_bytes_are_conserved(packets, idle, active, cut):
    packets.sort(key=lambda p: p[2])
    segments = [seg(s, d, ts, flags, n) for s, d, ts, n, flags in packets]
    meter = meter_of([], idle_timeout=idle, active_timeout=active)
    rows, counted, last = [], [], defaultdict(list)
    for s in segments:
        key = (s.src, s.sport, s.dst, s.dport)
        copy = any(abs(s.ts - t.ts) <= DUPLICATE_S and t[3:] == s[3:] for t in last[key][-2:])
        assert meter.add(s) is not copy  # only a mirror's copy is refused (ts apart, the same)
        if not copy:
            counted.append(s)
            last[key].append(s)
        if s.ts > cut:
            rows += meter.expired(s.ts)
    rows += meter.flush()
    assert sum(r["packets"] for r in rows) == len(counted)
    assert sum(r["bytes"] for r in rows) == sum(s.ip_len for s in counted)
    per_key = defaultdict(list)
    for r in rows:
        assert r["ts_start"] <= r["ts_end"] and r["ts_end"] - r["ts_start"] < active
        per_key[r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"]].append(r)
    for records in per_key.values():  # the records of one key do not overlap in time
        records.sort(key=lambda r: r["ts_start"])
        assert all(a["ts_end"] < b["ts_start"] for a, b in pairwise(records))


# -- real captures

# name: (records with default timeouts 60 s idle / 1800 s active, records with no timeout,
#        packets, IP bytes). Checked with tshark: `tshark -r <file> -Y "ip or ipv6" -T fields
# -e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e ip.proto -e ipv6.nxt
# -e tcp.srcport -e udp.srcport -e tcp.dstport -e udp.dstport`, then awk counting a new record
# per 5-tuple whenever the gap to its previous packet is over 60 s or the record is 1800 s old;
# packets and bytes are the sums of frames and of ip.len (ipv6.plen + 40). With no timeout the
# per-5-tuple packet, byte and flag totals were compared with tshark's one by one: all agreed.
GOLDEN = {
    "btc-stratum-bitminter.pcap": (30, 30, 188, 28265),
    "cgminer-pool-scan.pcapng": (1842, 1842, 8568, 713689),
    "ethproxy-dwarfpool.pcapng": (16, 4, 88, 11077),
    "ltc-stratum-pool-side-mini.pcapng": (32, 32, 69, 53641),
    "not-mining-bitcoin-p2p.pcap": (54, 12, 529, 419138),
    "not-mining-ssh.pcap": (6, 4, 295, 40847),
    "not-mining-tls.pcap": (2, 2, 28, 8696),
}


def meter_capture(path: Path, config: MeterConfig) -> list[dict]:
    meter, rows = FlowMeter(config), []
    with open(path, "rb") as f:
        for i, packet in enumerate(PcapReader(f)):
            segment = decode_frame(packet.linktype, packet.data, packet.ts)
            if segment is not None:
                meter.add(segment)
                if i % 100 == 0:
                    rows += meter.expired(segment.ts)
    return rows + meter.flush()


@pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/data/pcaps not present")
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_real_capture_records(name):
    timed, untimed, packets, ip_bytes = GOLDEN[name]
    rows = meter_capture(PCAPS / name, MeterConfig(exporter=name))
    assert len(rows) == timed
    assert (sum(r["packets"] for r in rows), sum(r["bytes"] for r in rows)) == (packets, ip_bytes)
    forever = MeterConfig(idle_timeout=1e12, active_timeout=1e12)
    assert len(meter_capture(PCAPS / name, forever)) == untimed
    assert to_batch(rows).num_rows == timed


def test_gaps_come_from_packets_in_time_order_only():
    """A packet older than the record's last (reordered by the tap) adds no gap: the gaps are
    1.5 s and 0.5 s, whatever arrived between them."""
    rows = meter_of([seg(A, B, 10.0), seg(A, B, 11.5), seg(A, B, 11.0), seg(A, B, 12.0)]).flush()
    (row,) = rows
    assert row["packets"] == 4 and row["gap_sq"] == 1.5**2 + 0.5**2 and row["gap_max"] == 1.5


def test_packets_opening_a_tls_record_are_counted():
    """Content type 20-23 and version 3.0-3.4 open a record; a JSON line, SSH's banner, a
    record cut to 4 bytes and a DTLS-like version do not."""
    payloads = [b"\x17\x03\x03\x00\x20" + b"x" * 32, b"\x16\x03\x01\x02\x00", b"\x14\x03\x04\x00\x01",
                b'{"id":1}\n', b"SSH-2.0-OpenSSH_9.6\r\n", b"\x17\x03\x03\x00", b"\x17\xfe\xfd\x00\x10",
                b"\x18\x03\x03\x00\x10"]
    segs = [Segment(1.0 + i, A[0], B[0], 6, A[1], B[1], PSH | ACK, 0, 0, p, 40 + len(p))
            for i, p in enumerate(payloads)]
    (row,) = meter_of(segs).flush()
    assert row["tls_packets"] == 3
