"""DNS wire format: a hand-written compressed response, pointer loops, round trips, fuzzing."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import dns
from minewatch.errors import DecodeError, NeedMoreData

RESPONSE = bytes.fromhex(
    "1234" "8180" "0001" "0002" "0000" "0000"     # id, QR|RD|RA, 1 question, 2 answers
    "04706f6f6c" "076d696e65786d72" "03636f6d" "00"  # offset 12: pool.minexmr.com
    "0001" "0001"                                  # A, IN
    "c00c" "0005" "0001" "0000012c" "0005"         # pool.minexmr.com CNAME, TTL 300, 5 bytes:
    "026c62" "c011"                                # offset 46: lb + pointer to minexmr.com (17)
    "c02e" "0001" "0001" "0000003c" "0004"         # lb.minexmr.com A, TTL 60
    "05270102")                                    # 5.39.1.2


def test_hand_written_response_decodes():
    msg = dns.parse_message(RESPONSE)
    assert (msg.txid, msg.is_response, msg.rcode, msg.truncated) == (0x1234, True, 0, False)
    assert msg.questions == (dns.Question("pool.minexmr.com", dns.A, dns.IN),)
    assert msg.answers == (
        dns.ResourceRecord("pool.minexmr.com", dns.CNAME, dns.IN, 300, "lb.minexmr.com"),
        dns.ResourceRecord("lb.minexmr.com", dns.A, dns.IN, 60, "5.39.1.2"))
    assert dns.answer_addresses(msg) == [("pool.minexmr.com", "5.39.1.2", 60)]


def test_encoder_compresses_like_the_hand_written_response():
    assert dns.encode_message(dns.parse_message(RESPONSE)) == RESPONSE
    # the same chain from the simulator's helper, one TTL for both records
    same_ttl = RESPONSE[:-10] + bytes.fromhex("0000012c" "0004" "05270102")
    assert dns.encode_response("pool.minexmr.com", ["lb.minexmr.com", "5.39.1.2"], 300,
                               0x1234) == same_ttl
    msg = dns.parse_message(dns.encode_response("Pool.MineXMR.com", ["lb.minexmr.com",
                                                                     "5.39.1.2"], 60, 7))
    assert dns.answer_addresses(msg) == [("pool.minexmr.com", "5.39.1.2", 60)]


def test_encode_query_and_aaaa_response():
    q = dns.parse_message(dns.encode_query("xmr.pool.example", 99))
    assert (q.txid, q.is_response, q.questions) == (99, False, (dns.Question("xmr.pool.example"),))
    r = dns.parse_message(dns.encode_response("v6.pool.example", ["2001:db8::7"], 30, 5))
    assert r.questions[0].qtype == dns.AAAA
    assert dns.answer_addresses(r) == [("v6.pool.example", "2001:db8::7", 30)]
    nx = dns.parse_message(dns.encode_response("gone.example", [], 0, 6, rcode=dns.NXDOMAIN))
    assert nx.rcode == dns.NXDOMAIN and nx.answers == ()


@pytest.mark.parametrize("name_bytes", [
    "c00c",            # points at itself
    "c00e" "c00c",     # forward pointer (into a second pointer pointing back)
    "0161" "c00c",     # a label, then back to its own start
])
def test_compression_loops_are_decode_errors_and_fast(name_bytes):
    data = bytes.fromhex("0000 0100 0001 0000 0000 0000" + name_bytes + "00010001")
    started = time.monotonic()
    with pytest.raises(DecodeError):
        dns.parse_message(data)
    assert time.monotonic() - started < 0.1


def test_forward_pointer_is_decode_error():
    with pytest.raises(DecodeError):
        dns.read_name(bytes.fromhex("c002c000"), 0)
    assert dns.read_name(bytes.fromhex("0161 00 c000"), 3) == ("a", 5)


def test_truncation_is_need_more_data():
    for cut in (5, 20, 40, len(RESPONSE) - 1):
        with pytest.raises(NeedMoreData):
            dns.parse_message(RESPONSE[:cut])


label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)
names = st.lists(label, min_size=1, max_size=4).map(".".join)
record = st.one_of(
    st.builds(dns.ResourceRecord, names, st.just(dns.A), st.just(dns.IN),
              st.integers(0, 2**32 - 1), st.ip_addresses(v=4).map(str)),
    st.builds(dns.ResourceRecord, names, st.just(dns.AAAA), st.just(dns.IN),
              st.integers(0, 2**32 - 1), st.ip_addresses(v=6).map(str)),
    st.builds(dns.ResourceRecord, names, st.sampled_from([dns.CNAME, dns.NS, dns.PTR]),
              st.just(dns.IN), st.integers(0, 2**32 - 1), names),
    st.builds(dns.ResourceRecord, names, st.just(dns.TXT), st.integers(0, 65535),
              st.integers(0, 2**32 - 1), st.binary(max_size=60)))
messages = st.builds(
    dns.DnsMessage, st.integers(0, 65535), st.integers(0, 65535),
    st.lists(st.builds(dns.Question, names, st.integers(0, 65535), st.integers(0, 65535)),
             max_size=3).map(tuple),
    st.lists(record, max_size=5).map(tuple), st.lists(record, max_size=2).map(tuple),
    st.lists(record, max_size=2).map(tuple))


@settings(max_examples=300, deadline=None)
@given(messages)
def test_decode_of_encode_is_identity(msg):
    assert dns.parse_message(dns.encode_message(msg)) == msg


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data):
    for blob in (data, RESPONSE[:12] + data, RESPONSE[:34] + data):
        try:
            dns.answer_addresses(dns.parse_message(blob))
        except DecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(RESPONSE) - 1), st.integers(0, 255))
def test_mutated_responses_raise_only_decode_error(at, value):
    blob = bytearray(RESPONSE)
    blob[at] = value
    try:
        dns.answer_addresses(dns.parse_message(bytes(blob)))
    except DecodeError:
        pass
