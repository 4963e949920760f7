"""TLS ClientHello: SNI, ALPN, JA3."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import tls
from minewatch.errors import DecodeError, NeedMoreData

# bfgminer's ClientHello to us1.bitminter.com:3333 (btc-stratum-bitminter.pcap)
BFGMINER_HELLO = bytes.fromhex(
    "160301010c0100010803035b64647cf504b32950060964db3f7d795d9df243516978ddc71095672147c5e60000"
    "6cc02bc02cc086c087c009c023c00ac024c072c073c0acc0adc008c02fc030c08ac08bc013c027c014c028c076"
    "c077c012009c009dc07ac07b002f003c0035003d004100ba008400c0c09cc09d000a009e009fc07cc07d003300"
    "670039006b004500be008800c4c09ec09f00160100007300170000001600000005000501000000000000001600"
    "140000117573312e6269746d696e7465722e636f6dff0100010000230000000a000c000a001700180019001500"
    "13000b00020100000d0016001404010403050105030601060303010303020102030010000b000908687474702f"
    "312e31")
BFGMINER_JA3 = (
    "771,49195-49196-49286-49287-49161-49187-49162-49188-49266-49267-49324-49325-49160-49199-49200-"
    "49290-49291-49171-49191-49172-49192-49270-49271-49170-156-157-49274-49275-47-60-53-61-65-186-"
    "132-192-49308-49309-10-158-159-49276-49277-51-103-57-107-69-190-136-196-49310-49311-22,"
    "23-22-5-0-65281-35-10-11-13-16,23-24-25-21-19,0")

hostnames = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){0,3}", fullmatch=True)
suites = st.lists(st.integers(1, 0xFFFE), min_size=1, max_size=40).map(tuple)
alpns = st.lists(st.sampled_from(["h2", "http/1.1", "stratum"]), max_size=3, unique=True).map(tuple)


def test_real_client_hello():
    hello = tls.parse_client_hello(BFGMINER_HELLO)
    assert hello.sni == "us1.bitminter.com" and hello.alpn == ("http/1.1",)
    assert hello.version == 0x0303 and len(hello.cipher_suites) == 54
    assert hello.ja3 == BFGMINER_JA3
    assert hello.ja3_md5 == hashlib.md5(BFGMINER_JA3.encode()).hexdigest()


@given(st.none() | hostnames, suites, alpns, st.binary(min_size=32, max_size=32))
def test_encode_parse_round_trip(sni, cipher_suites, alpn, random):
    hello = tls.parse_client_hello(tls.encode_client_hello(sni, cipher_suites, alpn, random))
    assert hello.sni == sni and hello.alpn == alpn and hello.cipher_suites == cipher_suites
    assert hello.supported_versions == (0x0304, 0x0303) and hello.supported_groups[0] == 29
    assert (0 in hello.extensions) == bool(sni)


def test_grease_values_are_left_out_of_ja3():
    hello = tls.parse_client_hello(tls.encode_client_hello("pool.example", (0x0A0A, 0x1301)))
    assert hello.cipher_suites == (0x0A0A, 0x1301)
    assert hello.ja3.split(",")[1] == "4865"
    assert tls.is_grease(0xFAFA) and not tls.is_grease(0x0A0B)


def test_hello_split_over_two_records():
    record = tls.encode_client_hello("xmr.pool.example")
    body = record[5:]
    split = (record[:3] + (40).to_bytes(2, "big") + body[:40]
             + record[:3] + (len(body) - 40).to_bytes(2, "big") + body[40:])
    assert tls.parse_client_hello(split).sni == "xmr.pool.example"


def test_every_prefix_needs_more_data():
    for end in range(len(BFGMINER_HELLO)):
        with pytest.raises(NeedMoreData):
            tls.parse_client_hello(BFGMINER_HELLO[:end])


def test_sslv2_compatible_hello_is_read_without_extensions():
    v2 = bytes.fromhex("801f010301000600000010000035000005") + bytes(16)
    hello = tls.parse_client_hello(v2)
    assert hello.version == 0x0301 and hello.cipher_suites == (0x35, 0x05) and hello.sni is None


@pytest.mark.parametrize("data", [b'{"id":1,"method":"mining.subscribe"}\n',
                                  b"SSH-2.0-OpenSSH_8\r\n",
                                  b"\x17\x03\x03\x00\x10" + bytes(16),  # application data
                                  b"\x16\x03\x03\x00\x04\x02\x00\x00\x00"])  # a ServerHello
def test_not_a_client_hello_raises_decode_error(data):
    with pytest.raises(DecodeError) as info:
        tls.parse_client_hello(data)
    assert not isinstance(info.value, NeedMoreData)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data):
    try:
        tls.parse_client_hello(data)
    except DecodeError:
        pass


@given(st.integers(0, len(BFGMINER_HELLO) - 1), st.integers(0, 255))
def test_mutated_hello_raises_only_decode_error(at, value):
    data = bytearray(BFGMINER_HELLO)
    data[at] = value
    try:
        tls.parse_client_hello(bytes(data))
    except DecodeError:
        pass


def test_looks_like_tls():
    assert tls.looks_like_tls(BFGMINER_HELLO[:3])
    assert not tls.looks_like_tls(b'{"i') and not tls.looks_like_tls(b"POST ")
