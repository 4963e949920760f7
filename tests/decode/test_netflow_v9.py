"""NetFlow v9: a packet written byte by byte from RFC 3954, round trips, template and
sequence state, and the vectorised encoder."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch import schema
from minewatch.decode import netflow_v9 as v9
from minewatch.decode.flowfields import (
    DataBlock,
    ExportConfig,
    FieldSpec,
    Template,
    TemplateSet,
    flow_table,
)
from minewatch.errors import DecodeError

# RFC 3954 section 5: header, then a template flowset (id 0) and a data flowset (id 256).
HEADER = bytes.fromhex(
    "0009" "0002"      # version 9, count 2 (one template record + one data record)
    "000186a0"         # sysUpTime 100000 ms
    "6553f100"         # UNIX secs 1700000000
    "0000002a"         # package sequence 42
    "00000007")        # source id 7
TEMPLATE_FLOWSET = bytes.fromhex(
    "0000" "0030"      # flowset id 0 (templates), length 48
    "0100" "000a"      # template 256, 10 fields
    "0008" "0004"      # IPV4_SRC_ADDR
    "000c" "0004"      # IPV4_DST_ADDR
    "0007" "0002"      # L4_SRC_PORT
    "000b" "0002"      # L4_DST_PORT
    "0004" "0001"      # PROTOCOL
    "0006" "0001"      # TCP_FLAGS
    "0002" "0004"      # IN_PKTS
    "0001" "0004"      # IN_BYTES
    "0016" "0004"      # FIRST_SWITCHED
    "0015" "0004")     # LAST_SWITCHED
DATA_FLOWSET = bytes.fromhex(
    "0100" "0024"      # flowset id 256, length 36 (4 header + 30 record + 2 padding)
    "0a000005"         # 10.0.0.5
    "c6336407"         # 198.51.100.7
    "c350" "0d05"      # ports 50000 -> 3333
    "06" "1b"          # TCP, flags SYN|ACK|PSH|FIN
    "0000000c"         # 12 packets
    "000005dc"         # 1500 bytes
    "00015f90"         # first 90000 ms
    "000184ac"         # last 99500 ms
    "0000")            # padding to 32 bits
PACKET = HEADER + TEMPLATE_FLOWSET + DATA_FLOWSET

NO_PACKET_STATS = ("psh_packets", "bytes_sq", "gap_sq", "gap_max", "tls_packets")  # v9 has none


def test_hand_written_packet_decodes():
    dg = v9.parse_datagram(PACKET, "192.0.2.1", v9.TemplateCache())
    assert dg.header == v9.V9Header(100000, 1700000000, 42, 7)
    assert dg.records == [{
        "sourceIPv4Address": "10.0.0.5", "destinationIPv4Address": "198.51.100.7",
        "sourceTransportPort": 50000, "destinationTransportPort": 3333, "protocolIdentifier": 6,
        "tcpControlBits": 0x1B, "packetDeltaCount": 12, "octetDeltaCount": 1500,
        "flowStartSysUpTime": 90000, "flowEndSysUpTime": 99500}]
    [row] = v9.to_flow_rows(dg, "sha")
    assert {k: row.pop(k) for k in NO_PACKET_STATS} == dict.fromkeys(NO_PACKET_STATS)
    assert row == {"ts_start": 1699999990.0, "ts_end": 1699999999.5, "src_ip": "10.0.0.5",
                   "src_port": 50000, "dst_ip": "198.51.100.7", "dst_port": 3333, "proto": 6,
                   "packets": 12, "bytes": 1500, "tcp_flags": 0x1B, "sampling_rate": 1,
                   "exporter": "192.0.2.1/7", "source": "netflow-v9", "input_id": "sha"}


def test_hand_written_packet_reencodes_byte_for_byte():
    dg = v9.parse_datagram(PACKET, "192.0.2.1", v9.TemplateCache())
    assert v9.encode_datagram(dg.header, dg.sets) == PACKET


def test_sysuptime_wrap():
    """FIRST_SWITCHED just before the 2^32 ms wrap, export just after it."""
    head = HEADER[:4] + (5000).to_bytes(4, "big") + HEADER[8:]
    data = bytearray(DATA_FLOWSET)
    data[26:30] = (2**32 - 5000).to_bytes(4, "big")
    dg = v9.parse_datagram(head + TEMPLATE_FLOWSET + bytes(data), "e", v9.TemplateCache())
    assert v9.to_flow_rows(dg)[0]["ts_start"] == 1700000000 - 10.0


# --- round trips --------------------------------------------------------------------------------

U_IDS = [1, 2, 4, 5, 6, 7, 10, 11, 14, 16, 17, 21, 22, 34, 85, 86, 148, 150, 152]


@st.composite
def field_and_value(draw):
    kind = draw(st.sampled_from(["u", "ipv4", "ipv6", "mac", "str"]))
    if kind == "u":
        eid, n = draw(st.sampled_from(U_IDS)), draw(st.integers(1, 8))
        return FieldSpec(eid, n), st.integers(0, 2 ** (8 * n) - 1)
    if kind == "ipv4":
        return FieldSpec(draw(st.sampled_from([8, 12, 15])), 4), st.ip_addresses(v=4).map(str)
    if kind == "ipv6":
        return FieldSpec(draw(st.sampled_from([27, 28])), 16), st.ip_addresses(v=6).map(str)
    if kind == "mac":
        return FieldSpec(56, 6), st.binary(min_size=6, max_size=6)
    n = draw(st.integers(1, 24))
    return FieldSpec(82, n), st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                     max_size=n)


@st.composite
def template_and_records(draw, template_id=256):
    chosen = draw(st.lists(field_and_value(), min_size=1, max_size=8,
                           unique_by=lambda fv: fv[0].element_id))
    template = Template(template_id, tuple(f for f, _ in chosen))
    records = draw(st.lists(st.fixed_dictionaries(
        {c.name: values for c, (_, values) in zip(template.layout.columns, chosen)}), max_size=12))
    return template, records


headers = st.builds(v9.V9Header, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
                    st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None)
@given(headers, template_and_records())
def test_decode_of_encode_is_identity(header, tr):
    template, records = tr
    sets = (TemplateSet((template,)), DataBlock.from_records(template, records))
    dg = v9.parse_datagram(v9.encode_datagram(header, sets), "e", v9.TemplateCache())
    assert dg.header == header
    assert dg.sets == sets
    assert dg.records == records


@settings(max_examples=50, deadline=None)
@given(headers, st.integers(1, 2**32 - 1), st.integers(0, 255))
def test_options_round_trip(header, interval, sampler):
    option = Template(300, (FieldSpec(1, 4, v9_scope=True), FieldSpec(48, 1), FieldSpec(34, 4)),
                      scope_count=1)
    record = {"scopeSystem": 1, "samplerId": sampler, "samplingInterval": interval}
    sets = (TemplateSet((option,), options=True), DataBlock.from_records(option, [record]))
    cache = v9.TemplateCache()
    dg = v9.parse_datagram(v9.encode_datagram(header, sets), "e", cache)
    assert dg.sets == sets and dg.records == []
    assert dict(dg.options.sampling) == {sampler: interval}


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data):
    cache = v9.TemplateCache()
    v9.parse_datagram(PACKET, "e", cache)  # template 256 known for source id 7
    for blob in (data, b"\x00\x09" + data, PACKET[:20] + data, PACKET[:68] + data):
        try:
            v9.to_flow_rows(v9.parse_datagram(blob, "e", cache))
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(PACKET) - 1), st.integers(0, 255), st.integers(1, len(PACKET)))
def test_mutated_packets_raise_only_decode_error(at, value, cut):
    blob = bytearray(PACKET)
    blob[at] = value
    try:
        v9.to_flow_rows(v9.parse_datagram(bytes(blob[:cut]), "e", v9.TemplateCache()))
    except DecodeError:
        pass


def test_bad_templates_are_decode_errors():
    bad = HEADER + bytes.fromhex("0000 000c 0010 0001 0008 0004")  # template id 16 is reserved
    with pytest.raises(DecodeError):
        v9.parse_datagram(bad, "e", v9.TemplateCache())
    bad = HEADER + bytes.fromhex("0000 000c 0100 0001 0008 0002")  # a 2-byte IPv4 address
    with pytest.raises(DecodeError):
        v9.parse_datagram(bad, "e", v9.TemplateCache())


# --- template cache -----------------------------------------------------------------------------

def _packet(sequence, *flowsets, source_id=7):
    head = bytearray(HEADER)
    head[12:16] = sequence.to_bytes(4, "big")
    head[16:20] = source_id.to_bytes(4, "big")
    return bytes(head) + b"".join(flowsets)


def test_template_missing_then_arriving():
    cache = v9.TemplateCache()
    early = v9.parse_datagram(_packet(1, DATA_FLOWSET), "e", cache)
    assert early.records == [] and early.pending == 1
    assert cache.counters["pending"] == 1
    late = v9.parse_datagram(_packet(2, TEMPLATE_FLOWSET), "e", cache)
    assert late.pending == 0 and len(late.records) == 1
    assert late.records[0]["sourceIPv4Address"] == "10.0.0.5"
    assert cache.counters["replayed_records"] == 1 and not cache.pending
    # templates are per source id: another domain's data stays pending
    other = v9.parse_datagram(_packet(3, DATA_FLOWSET, source_id=8), "e", cache)
    assert other.pending == 1


def test_pending_sets_are_bounded_and_counted():
    cache = v9.TemplateCache(max_pending=3)
    for seq in range(5):
        v9.parse_datagram(_packet(seq, DATA_FLOWSET), "e", cache)
    assert len(cache.pending) == 3 and cache.counters["pending_dropped"] == 2
    assert len(v9.parse_datagram(_packet(5, TEMPLATE_FLOWSET), "e", cache).records) == 3


def test_template_refresh_replaces_definition():
    cache = v9.TemplateCache()
    v9.parse_datagram(PACKET, "e", cache)
    short = Template(256, (FieldSpec(8, 4),))
    header = v9.V9Header(100000, 1700000000, 43, 7)
    dg = v9.parse_datagram(v9.encode_datagram(header, [
        TemplateSet((short,)), DataBlock.from_records(short, [{"sourceIPv4Address": "1.2.3.4"}])]),
        "e", cache)
    assert dg.records == [{"sourceIPv4Address": "1.2.3.4"}]


def test_sequence_gap_counted_in_packets():
    cache = v9.TemplateCache()
    lost = [v9.parse_datagram(_packet(s, TEMPLATE_FLOWSET), "e", cache).lost
            for s in (10, 11, 14, 15, 12)]
    assert lost == [0, 0, 2, 0, 0]  # a late packet is not loss and does not rewind
    assert (cache.counters["lost"], cache.counters["reordered"]) == (2, 1)
    assert v9.parse_datagram(_packet(16, TEMPLATE_FLOWSET), "e", cache).lost == 0
    restarted = [v9.parse_datagram(_packet(s, TEMPLATE_FLOWSET), "e", cache).lost
                 for s in (10**6, 0, 1, 3)]
    assert restarted == [10**6 - 17, 0, 0, 1]
    wrap = v9.TemplateCache()
    assert [v9.parse_datagram(_packet(s, TEMPLATE_FLOWSET), "e", wrap).lost
            for s in (2**32 - 1, 1)] == [0, 1]


def test_options_template_sampling_applied():
    option = Template(257, (FieldSpec(1, 4, v9_scope=True), FieldSpec(34, 4), FieldSpec(35, 1)),
                      scope_count=1)
    header = v9.V9Header(100000, 1700000000, 43, 7)
    options = v9.encode_datagram(header, [
        TemplateSet((option,), options=True),
        DataBlock.from_records(option, [{"scopeSystem": 0, "samplingInterval": 100,
                                         "samplingAlgorithm": 2}])])
    cache = v9.TemplateCache()
    v9.parse_datagram(options, "e", cache)
    [row] = v9.to_flow_rows(v9.parse_datagram(PACKET, "e", cache))
    assert (row["packets"], row["bytes"], row["sampling_rate"]) == (1200, 150000, 100)


def test_flow_sampler_id_selects_its_rate():
    option = Template(257, (FieldSpec(1, 4, v9_scope=True), FieldSpec(48, 1), FieldSpec(50, 4)),
                      scope_count=1)
    data = Template(258, (FieldSpec(8, 4), FieldSpec(2, 4), FieldSpec(48, 1)))
    header = v9.V9Header(100000, 1700000000, 1, 7)
    packet = v9.encode_datagram(header, [
        TemplateSet((option,), options=True), TemplateSet((data,)),
        DataBlock.from_records(option, [{"scopeSystem": 0, "samplerId": 1,
                                         "samplerRandomInterval": 10},
                                        {"scopeSystem": 0, "samplerId": 2,
                                         "samplerRandomInterval": 1000}]),
        DataBlock.from_records(data, [{"sourceIPv4Address": "1.1.1.1", "packetDeltaCount": 3,
                                       "samplerId": s} for s in (1, 2, 9)])])
    rows = v9.to_flow_rows(v9.parse_datagram(packet, "e", v9.TemplateCache()))
    assert [(r["packets"], r["sampling_rate"]) for r in rows] == [(30, 10), (3000, 1000), (3, 1)]


# --- vectorised encoder ---------------------------------------------------------------------------

def flows_table(n, rate=10, seed=3):
    rng = np.random.default_rng(seed)
    start = np.round(1.7e9 + np.sort(rng.uniform(0, 600, n)), 3)

    def quad():
        return [".".join(map(str, rng.integers(0, 256, 4))) for _ in range(n)]

    rates = np.full(n, rate) if np.isscalar(rate) else np.asarray(rate)
    return pa.table({
        "ts_start": start, "ts_end": np.round(start + rng.uniform(0, 30, n), 3),
        "src_ip": quad(), "src_port": rng.integers(0, 65536, n), "dst_ip": quad(),
        "dst_port": rng.integers(0, 65536, n), "proto": rng.choice([6, 17], n),
        "packets": rng.integers(1, 500, n) * rates, "bytes": rng.integers(40, 10**6, n) * rates,
        "tcp_flags": rng.integers(0, 64, n), "sampling_rate": rates})


def _decoded(packets, cache=None):
    cache = cache or v9.TemplateCache()
    return flow_table([v9.parse_datagram(p, "192.0.2.9", cache) for p in packets], "in")


@pytest.mark.parametrize("rate", [1, 10, [1, 10, 100] * 33 + [1]])
def test_vectorised_encoder_round_trips_flows(rate):
    flows = flows_table(100, rate)
    packets = v9.encode_v9_datagrams(flows, ExportConfig(boot_time=1.69e9, domain=3,
                                                         records_per_datagram=24,
                                                         template_refresh=2))
    assert len(packets) == 5 and all(len(p) <= 1472 for p in packets)
    got = _decoded(packets)
    for name in ("src_ip", "dst_ip", "src_port", "dst_port", "proto", "packets", "bytes",
                 "tcp_flags", "sampling_rate"):
        assert got[name].to_pylist() == flows[name].to_pylist(), name
    for name in ("ts_start", "ts_end"):
        assert np.abs(got[name].to_numpy() - flows[name].to_numpy()).max() < 1e-6
    assert set(got["exporter"].to_pylist()) == {"192.0.2.9/3"}
    assert got.schema == schema.arrow_schema("flows")


def test_vectorised_encoder_matches_per_record_encoder():
    flows = flows_table(30)
    config = ExportConfig(boot_time=1.69e9, domain=3, sequence=77)
    [packet] = v9.encode_v9_datagrams(flows, config)
    template = v9.flow_template(config.template_id, per_record_sampling=False)
    option = v9.sampling_option_template(config.options_template_id)
    records = [{"sourceIPv4Address": r["src_ip"], "destinationIPv4Address": r["dst_ip"],
                "sourceTransportPort": r["src_port"], "destinationTransportPort": r["dst_port"],
                "protocolIdentifier": r["proto"], "tcpControlBits": r["tcp_flags"],
                "packetDeltaCount": r["packets"] // 10, "octetDeltaCount": r["bytes"] // 10,
                "flowStartSysUpTime": round((r["ts_start"] - 1.69e9) * 1000) % 2**32,
                "flowEndSysUpTime": round((r["ts_end"] - 1.69e9) * 1000) % 2**32}
               for r in flows.to_pylist()]
    unix_secs = int(np.ceil(max(flows["ts_end"].to_pylist())))
    header = v9.V9Header(round((unix_secs - 1.69e9) * 1000) % 2**32, unix_secs, 77, 3)
    expected = v9.encode_datagram(header, [
        TemplateSet((template,)), TemplateSet((option,), options=True),
        DataBlock.from_records(option, [{"scopeSystem": 3, "samplingInterval": 10,
                                         "samplingAlgorithm": 2}]),
        DataBlock.from_records(template, records)])
    assert packet == expected


def test_vectorised_template_refresh_and_sequence():
    packets = v9.encode_v9_datagrams(flows_table(100), ExportConfig(
        boot_time=1.69e9, sequence=2**32 - 2, records_per_datagram=10, template_refresh=4))
    cache = v9.TemplateCache()
    dgs = [v9.parse_datagram(p, "e", cache) for p in packets]
    with_templates = [i for i, d in enumerate(dgs)
                      if any(isinstance(s, TemplateSet) for s in d.sets)]
    assert with_templates == [0, 4, 8]
    assert [d.header.sequence for d in dgs[:4]] == [2**32 - 2, 2**32 - 1, 0, 1]
    assert sum(d.lost for d in dgs) == 0
    # a collector that starts late holds data until the next refresh, then recovers it
    late = v9.TemplateCache()
    rows = [v9.parse_datagram(p, "e", late) for p in packets[1:]]
    assert sum(d.pending for d in rows) == 3 and sum(len(d.records) for d in rows) == 90


def test_vectorised_encoder_rejects_ipv6_and_flows_before_boot():
    flows = flows_table(3)
    with pytest.raises(ValueError):
        v9.encode_v9_datagrams(flows, ExportConfig(boot_time=1.8e9))
    v6 = flows.set_column(2, "src_ip", pa.array(["2001:db8::1"] * 3))
    with pytest.raises(ValueError):
        v9.encode_v9_datagrams(v6, ExportConfig(boot_time=1.69e9))


def test_sniff():
    assert v9.sniff(PACKET)
    assert not v9.sniff(b"\x00\x0a" + PACKET[2:]) and not v9.sniff(PACKET[:10])


def test_export_time_never_goes_back():
    flows = flows_table(90)
    ends = flows["ts_end"].to_numpy().copy()
    ends[:30] += 400  # the first packet's flows end late
    flows = flows.set_column(1, "ts_end", pa.array(ends))
    packets = v9.encode_v9_datagrams(flows, ExportConfig(boot_time=1.69e9))
    secs = [v9.parse_datagram(p, "e", v9.TemplateCache()).header.unix_secs for p in packets]
    assert secs == sorted(secs) and secs[0] == int(np.ceil(ends[:30].max()))
