"""IPFIX: a hand-written message (enterprise and variable-length fields), round trips, withdrawal,
options, sequence numbers in records, RFC 5655 files, and the vectorised encoder."""

import io

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import ipfix
from minewatch.decode.flowfields import (
    VARLEN,
    DataBlock,
    ExportConfig,
    FieldSpec,
    Template,
    TemplateSet,
    flow_table,
)
from minewatch.errors import DecodeError, NeedMoreData

LONG_APP = "a" * 300
TEMPLATE_SET = bytes.fromhex(
    "0002" "0024"            # set 2 (templates), length 36
    "012c" "0006"            # template 300, 6 fields
    "0008" "0004"            # sourceIPv4Address
    "8064" "0002" "00000009"  # enterprise bit | element 100, 2 bytes, PEN 9: skipped
    "000c" "0004"            # destinationIPv4Address
    "0001" "0004"            # octetDeltaCount in 4 bytes (reduced-size encoding)
    "0060" "ffff"            # applicationName, variable length
    "0098" "0008")           # flowStartMilliseconds
DATA_SET = bytes.fromhex(
    "012c" "0168"            # set 300, length 360
    "0a000001" "beef" "c0000201" "000003e8"   # 10.0.0.1, (enterprise), 192.0.2.1, 1000 bytes
    "05") + b"xmrig" + bytes.fromhex(         # 1-byte length prefix
    "0000018bcfe56800"       # 1700000000000 ms
    "0a000002" "0000" "c0000202" "00000001"
    "ff012c") + LONG_APP.encode() + bytes.fromhex(  # 255 then a 2-byte length: 300
    "0000018bcfe56ddc"       # 1700000001500 ms
    "000000")                # padding to 32 bits
HEADER = bytes.fromhex(
    "000a" "019c"            # version 10, length 412
    "6553f100"               # export time 1700000000
    "00000000"               # sequence 0
    "00000005")              # observation domain 5
MESSAGE = HEADER + TEMPLATE_SET + DATA_SET


def test_hand_written_message_decodes():
    dg = ipfix.parse_datagram(MESSAGE, "198.51.100.1", ipfix.TemplateCache())
    assert dg.header == ipfix.IpfixHeader(1700000000, 0, 5)
    assert dg.records == [
        {"sourceIPv4Address": "10.0.0.1", "destinationIPv4Address": "192.0.2.1",
         "octetDeltaCount": 1000, "applicationName": "xmrig",
         "flowStartMilliseconds": 1700000000000},
        {"sourceIPv4Address": "10.0.0.2", "destinationIPv4Address": "192.0.2.2",
         "octetDeltaCount": 1, "applicationName": LONG_APP,
         "flowStartMilliseconds": 1700000001500}]
    rows = ipfix.to_flow_rows(dg, "sha")
    assert [(r["ts_start"], r["ts_end"], r["bytes"]) for r in rows] == [
        (1700000000.0, 1700000000.0, 1000), (1700000001.5, 1700000000.0, 1)]
    assert rows[0]["exporter"] == "198.51.100.1/5" and rows[0]["source"] == "ipfix"


def test_hand_written_message_reencodes_byte_for_byte():
    dg = ipfix.parse_datagram(MESSAGE, "e", ipfix.TemplateCache())
    assert ipfix.encode_datagram(dg.header, dg.sets) == MESSAGE


# --- round trips --------------------------------------------------------------------------------

@st.composite
def field_and_value(draw):
    kind = draw(st.sampled_from(["u", "ipv4", "ipv6", "str", "varstr", "enterprise"]))
    if kind == "u":
        eid = draw(st.sampled_from([1, 2, 7, 11, 34, 85, 152, 153, 160]))
        n = draw(st.integers(1, 8))
        return FieldSpec(eid, n), st.integers(0, 2 ** (8 * n) - 1)
    if kind == "ipv4":
        return FieldSpec(draw(st.sampled_from([8, 12])), 4), st.ip_addresses(v=4).map(str)
    if kind == "ipv6":
        return FieldSpec(draw(st.sampled_from([27, 28])), 16), st.ip_addresses(v=6).map(str)
    printable = st.characters(min_codepoint=32, max_codepoint=126)
    if kind == "str":
        n = draw(st.integers(1, 16))
        return FieldSpec(82, n), st.text(printable, max_size=n)
    if kind == "varstr":
        return FieldSpec(96, VARLEN), st.text(printable, max_size=400)
    length = draw(st.sampled_from([1, 2, 3, 4, 8, VARLEN]))
    return FieldSpec(draw(st.integers(1, 0x7FFF)), length, draw(st.integers(1, 2**32 - 1))), None


@st.composite
def template_and_records(draw, template_id=256):
    chosen = draw(st.lists(field_and_value(), min_size=1, max_size=7,
                           unique_by=lambda fv: (fv[0].element_id, fv[0].enterprise)))
    scope = draw(st.integers(0, len(chosen)))
    template = Template(template_id, tuple(f for f, _ in chosen), scope)
    named = [v for f, v in chosen if not f.enterprise]
    records = draw(st.lists(st.fixed_dictionaries(
        {c.name: v for c, v in zip(template.layout.columns, named)}), max_size=6))
    return template, records


headers = st.builds(ipfix.IpfixHeader, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
                    st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None)
@given(headers, template_and_records())
def test_decode_of_encode_is_identity(header, tr):
    template, records = tr
    sets = (TemplateSet((template,), options=bool(template.scope_count)),
            DataBlock.from_records(template, records))
    dg = ipfix.parse_datagram(ipfix.encode_datagram(header, sets), "e", ipfix.TemplateCache())
    assert dg.header == header and dg.sets == sets
    assert dg.sets[1].records() == records


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data):
    cache = ipfix.TemplateCache()
    ipfix.parse_datagram(MESSAGE, "e", cache)
    prefix = HEADER[:2] + (16 + len(data)).to_bytes(2, "big") + HEADER[4:]
    for blob in (data, prefix + data, b"\x00\x0a" + data):
        try:
            ipfix.to_flow_rows(ipfix.parse_datagram(blob, "e", cache))
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(MESSAGE) - 1), st.integers(0, 255), st.integers(1, len(MESSAGE)))
def test_mutated_messages_raise_only_decode_error(at, value, cut):
    blob = bytearray(MESSAGE)
    blob[at] = value
    blob = blob[:cut]
    blob[2:4] = min(len(blob), int.from_bytes(blob[2:4], "big")).to_bytes(2, "big")[-2:] \
        if len(blob) >= 4 else blob[2:4]
    try:
        ipfix.to_flow_rows(ipfix.parse_datagram(bytes(blob), "e", ipfix.TemplateCache()))
    except DecodeError:
        pass


# --- templates, options, sequence ----------------------------------------------------------------

def _message(sequence, *sets, export_time=1700000000, domain=5):
    return ipfix.encode_datagram(ipfix.IpfixHeader(export_time, sequence, domain), sets)


SIMPLE = Template(256, (FieldSpec(8, 4), FieldSpec(2, 4), FieldSpec(1, 4)))


def _simple(*packets):
    return DataBlock.from_records(SIMPLE, [{"sourceIPv4Address": "10.1.1.1", "packetDeltaCount": p,
                                            "octetDeltaCount": 100 * p} for p in packets])


def test_template_missing_then_arriving():
    cache = ipfix.TemplateCache()
    early = ipfix.parse_datagram(_message(0, _simple(1, 2)), "e", cache)
    assert early.pending == 1 and early.records == []
    late = ipfix.parse_datagram(_message(2, TemplateSet((SIMPLE,)), _simple(3)), "e", cache)
    assert [r["packetDeltaCount"] for r in late.records] == [1, 2, 3]
    assert [r["ts_start"] for r in ipfix.to_flow_rows(late)] == [1700000000.0] * 3


def test_withdrawal_and_withdraw_all():
    cache = ipfix.TemplateCache()
    ipfix.parse_datagram(_message(0, TemplateSet((SIMPLE, Template(257, SIMPLE.fields)))), "e",
                         cache)
    gone = ipfix.parse_datagram(_message(0, TemplateSet((Template(256, ()),)), _simple(1)),
                                "e", cache)
    assert gone.pending == 1 and ("e", 5, 257) in cache.templates
    ipfix.parse_datagram(_message(0, TemplateSet((Template(2, ()),))), "e", cache)
    assert not cache.templates and cache.counters["withdrawals"] == 2


def test_options_sampling_applied():
    option = Template(400, (FieldSpec(149, 4), FieldSpec(305, 4), FieldSpec(306, 4)),
                      scope_count=1)
    announce = DataBlock.from_records(option, [{"observationDomainId": 5,
                                                "samplingPacketInterval": 1,
                                                "samplingPacketSpace": 63}])
    cache = ipfix.TemplateCache()
    ipfix.parse_datagram(_message(0, TemplateSet((option,), options=True), announce), "e", cache)
    rows = ipfix.to_flow_rows(ipfix.parse_datagram(
        _message(1, TemplateSet((SIMPLE,)), _simple(2)), "e", cache))
    assert [(r["packets"], r["bytes"], r["sampling_rate"]) for r in rows] == [(128, 12800, 64)]


def test_sysuptime_relative_times_use_system_init_time():
    option = Template(400, (FieldSpec(144, 4), FieldSpec(160, 8)), scope_count=1)
    data = Template(256, (FieldSpec(22, 4), FieldSpec(21, 4), FieldSpec(159, 4)))
    cache = ipfix.TemplateCache()
    dg = ipfix.parse_datagram(_message(
        0, TemplateSet((option,), options=True), TemplateSet((data,)),
        DataBlock.from_records(option, [{"exportingProcessId": 1,
                                         "systemInitTimeMilliseconds": 1_699_000_000_000}]),
        DataBlock.from_records(data, [{"flowStartSysUpTime": 5000, "flowEndSysUpTime": 6000,
                                       "flowEndDeltaMicroseconds": 250_000}])), "e", cache)
    [row] = ipfix.to_flow_rows(dg)
    assert row["ts_start"] == 1_699_000_005.0
    assert row["ts_end"] == 1_699_999_999.75  # export-relative wins over sysUpTime-relative


def test_sequence_gap_counted_in_records():
    cache = ipfix.TemplateCache()
    lost = [ipfix.parse_datagram(_message(seq, TemplateSet((SIMPLE,)), _simple(*range(n))), "e",
                                 cache).lost for seq, n in ((0, 2), (2, 3), (9, 1), (10, 1))]
    assert lost == [0, 0, 4, 0]
    # a message with pending data cannot say how many records it held: resynchronise
    fresh = ipfix.TemplateCache()
    assert [ipfix.parse_datagram(_message(seq, _simple(1, 2)), "e", fresh).lost
            for seq in (0, 50)] == [0, 0]


# --- files ----------------------------------------------------------------------------------------

def test_file_round_trip_and_sniff():
    messages = [MESSAGE, _message(2, TemplateSet((SIMPLE,)), _simple(1))]
    buf = io.BytesIO()
    assert ipfix.write_ipfix_file(buf, messages) == sum(map(len, messages))
    data = buf.getvalue()
    assert list(ipfix.iter_ipfix_file(io.BytesIO(data))) == messages
    assert ipfix.sniff(data[:64]) and ipfix.sniff(data)
    assert not ipfix.sniff(b"\x00\x09" + data[2:64]) and not ipfix.sniff(b"#separator \\x09\n")
    with pytest.raises(NeedMoreData):
        list(ipfix.iter_ipfix_file(io.BytesIO(data[:-1])))
    with pytest.raises(DecodeError):
        list(ipfix.iter_ipfix_file(io.BytesIO(b"\x00\x05" + data[2:])))
    with pytest.raises(ValueError):
        ipfix.write_ipfix_file(io.BytesIO(), [MESSAGE[:-1]])


# --- vectorised encoder ---------------------------------------------------------------------------

def flows_table(n, rate=10, seed=5):
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
        "tcp_flags": rng.integers(0, 512, n), "sampling_rate": rates})


@pytest.mark.parametrize("rate", [1, 64, [1, 64] * 50])
def test_vectorised_encoder_round_trips_flows(rate):
    flows = flows_table(100, rate)
    messages = ipfix.encode_ipfix_messages(flows, ExportConfig(domain=9, sequence=5,
                                                               template_refresh=3))
    cache = ipfix.TemplateCache()
    dgs = [ipfix.parse_datagram(m, "203.0.113.4", cache) for m in messages]
    assert sum(d.lost for d in dgs) == 0
    assert all(len(m) <= (1472 if np.isscalar(rate) else 1530) for m in messages)
    got = flow_table(dgs, "in")
    for name in ("src_ip", "dst_ip", "src_port", "dst_port", "proto", "packets", "bytes",
                 "tcp_flags", "sampling_rate", "ts_start", "ts_end"):
        assert got[name].to_pylist() == flows[name].to_pylist(), name
    assert set(got["exporter"].to_pylist()) == {"203.0.113.4/9"}


def test_vectorised_encoder_matches_per_record_encoder():
    flows = flows_table(30)
    config = ExportConfig(domain=9, sequence=5)
    [message] = ipfix.encode_ipfix_messages(flows, config)
    template = ipfix.flow_template(config.template_id, per_record_sampling=False)
    option = ipfix.sampling_option_template(config.options_template_id)
    records = [{"sourceIPv4Address": r["src_ip"], "destinationIPv4Address": r["dst_ip"],
                "sourceTransportPort": r["src_port"], "destinationTransportPort": r["dst_port"],
                "protocolIdentifier": r["proto"], "tcpControlBits": r["tcp_flags"],
                "packetDeltaCount": r["packets"] // 10, "octetDeltaCount": r["bytes"] // 10,
                "flowStartMilliseconds": round(r["ts_start"] * 1000),
                "flowEndMilliseconds": round(r["ts_end"] * 1000)} for r in flows.to_pylist()]
    header = ipfix.IpfixHeader(int(np.ceil(max(flows["ts_end"].to_pylist()))), 5, 9)
    assert message == ipfix.encode_datagram(header, [
        TemplateSet((template,)), TemplateSet((option,), options=True),
        DataBlock.from_records(option, [{"observationDomainId": 9, "samplingInterval": 10,
                                         "samplingAlgorithm": 2}]),
        DataBlock.from_records(template, records)])
