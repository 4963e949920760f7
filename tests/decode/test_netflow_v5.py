"""NetFlow v5: a hand-written packet, round trips, sequence gaps, header sampling and the
vectorised encoder."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import netflow_v5 as v5
from minewatch.decode.flowfields import DataBlock, ExportConfig, flow_table
from minewatch.decode.netflow_v9 import TemplateCache
from minewatch.errors import DecodeError, NeedMoreData

HEADER = bytes.fromhex(
    "0005" "0001"      # version 5, one record
    "000186a0"         # sysUpTime 100000 ms
    "6553f100"         # unix_secs 1700000000
    "1dcd6500"         # unix_nsecs 500000000
    "00000064"         # flow_sequence 100
    "01" "02"          # engine type 1, engine id 2
    "4064")            # sampling: mode 1, interval 100
RECORD = bytes.fromhex(
    "0a000005" "c6336407" "00000000"   # srcaddr, dstaddr, nexthop
    "0003" "0004"                      # input, output interfaces
    "0000000c" "000005dc"              # 12 packets, 1500 octets
    "00015f90" "000184ac"              # first 90000, last 99500 ms
    "c350" "0d05"                      # ports 50000 -> 3333
    "00" "1b" "06" "00"                # pad1, tcp_flags, prot, tos
    "fde8" "0000"                      # src_as 65000, dst_as 0
    "18" "00" "0000")                  # src_mask 24, dst_mask 0, pad2
PACKET = HEADER + RECORD


def test_hand_written_packet_decodes():
    dg = v5.parse_datagram(PACKET, "192.0.2.1", TemplateCache())
    assert dg.header == v5.V5Header(100000, 1700000000, 500000000, 100, 1, 2, 0x4064)
    assert dg.domain == 0x0102
    assert dg.records == [{
        "sourceIPv4Address": "10.0.0.5", "destinationIPv4Address": "198.51.100.7",
        "ipNextHopIPv4Address": "0.0.0.0", "ingressInterface": 3, "egressInterface": 4,
        "packetDeltaCount": 12, "octetDeltaCount": 1500, "flowStartSysUpTime": 90000,
        "flowEndSysUpTime": 99500, "sourceTransportPort": 50000,
        "destinationTransportPort": 3333, "tcpControlBits": 0x1B, "protocolIdentifier": 6,
        "ipClassOfService": 0, "bgpSourceAsNumber": 65000, "bgpDestinationAsNumber": 0,
        "sourceIPv4PrefixLength": 24, "destinationIPv4PrefixLength": 0}]
    [row] = v5.to_flow_rows(dg, "sha")
    assert row == {"ts_start": 1699999990.5, "ts_end": 1700000000.0, "src_ip": "10.0.0.5",
                   "src_port": 50000, "dst_ip": "198.51.100.7", "dst_port": 3333, "proto": 6,
                   "packets": 1200, "bytes": 150000, "tcp_flags": 0x1B, "psh_packets": None,
                   "bytes_sq": None, "gap_sq": None, "gap_max": None, "tls_packets": None,
                   "sampling_rate": 100,
                   "exporter": "192.0.2.1/258", "source": "netflow-v5", "input_id": "sha"}


def test_hand_written_packet_reencodes_byte_for_byte():
    dg = v5.parse_datagram(PACKET, "e", TemplateCache())
    assert v5.encode_datagram(dg.header, dg.sets) == PACKET


record = st.fixed_dictionaries({
    "sourceIPv4Address": st.ip_addresses(v=4).map(str),
    "destinationIPv4Address": st.ip_addresses(v=4).map(str),
    "packetDeltaCount": st.integers(0, 2**32 - 1), "octetDeltaCount": st.integers(0, 2**32 - 1),
    "sourceTransportPort": st.integers(0, 65535), "tcpControlBits": st.integers(0, 255),
    "flowStartSysUpTime": st.integers(0, 2**32 - 1), "bgpSourceAsNumber": st.integers(0, 65535)})
headers = st.builds(v5.V5Header, *[st.integers(0, 2**32 - 1)] * 4, st.integers(0, 255),
                    st.integers(0, 255), st.integers(0, 65535))


@settings(max_examples=150, deadline=None)
@given(headers, st.lists(record, max_size=30))
def test_decode_of_encode_is_identity(header, records):
    block = DataBlock.from_records(v5.RECORD, records)
    dg = v5.parse_datagram(v5.encode_datagram(header, [block]), "e", TemplateCache())
    assert dg.header == header and dg.sets == (block,)
    assert [{k: got[k] for k in want} for got, want in zip(dg.records, records)] == records
    assert len(dg.records) == len(records)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data):
    for blob in (data, b"\x00\x05" + data, PACKET[:4] + data):
        try:
            v5.to_flow_rows(v5.parse_datagram(blob, "e", TemplateCache()))
        except DecodeError:
            pass


def test_truncated_packet_needs_more_data():
    with pytest.raises(NeedMoreData):
        v5.parse_datagram(PACKET[:-1], "e", TemplateCache())
    with pytest.raises(DecodeError):
        v5.parse_datagram(b"\x00\x09" + PACKET[2:], "e", TemplateCache())


def _packet(sequence, count=1):
    head = bytearray(HEADER)
    head[2:4] = count.to_bytes(2, "big")
    head[16:20] = sequence.to_bytes(4, "big")
    return bytes(head) + RECORD * count


def test_sequence_gap_counted_in_records():
    cache = TemplateCache()
    lost = [v5.parse_datagram(_packet(s, n), "e", cache).lost
            for s, n in ((0, 3), (3, 2), (10, 1), (11, 1))]
    assert lost == [0, 0, 5, 0]


def test_vectorised_encoder_round_trips_flows():
    rng = np.random.default_rng(9)
    n = 95
    start = np.round(1.7e9 + np.sort(rng.uniform(0, 600, n)), 3)
    flows = pa.table({
        "ts_start": start, "ts_end": np.round(start + rng.uniform(0, 30, n), 3),
        "src_ip": [f"10.0.{i // 256}.{i % 256}" for i in range(n)], "src_port": np.arange(n),
        "dst_ip": ["203.0.113.7"] * n, "dst_port": np.full(n, 3333), "proto": np.full(n, 6),
        "packets": rng.integers(1, 500, n) * 8, "bytes": rng.integers(40, 10**6, n) * 8,
        "tcp_flags": rng.integers(0, 256, n), "sampling_rate": np.full(n, 8)})
    packets = v5.encode_v5_datagrams(flows, ExportConfig(boot_time=1.6999e9, domain=0x0102))
    assert len(packets) == 4 and all(v5.sniff(p) for p in packets)
    cache = TemplateCache()
    got = flow_table([v5.parse_datagram(p, "e", cache) for p in packets])
    for name in ("src_ip", "dst_ip", "src_port", "packets", "bytes", "tcp_flags", "sampling_rate"):
        assert got[name].to_pylist() == flows[name].to_pylist(), name
    assert np.abs(got["ts_start"].to_numpy() - start).max() < 1e-6
    assert cache.counters["lost"] == 0
