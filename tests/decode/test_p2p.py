"""Coin nodes' P2P framing: a 2011 Bitcoin capture (version without a checksum), vectors
written out by hand from the developer reference and levin_base.h, round trips, and random
bytes raising only DecodeError."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import p2p
from minewatch.decode.pcap import PcapReader
from minewatch.decode.packet import decode_frame
from minewatch.errors import DecodeError, NeedMoreData

CAPTURE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"
           / "not-mining-bitcoin-p2p.pcap")
MAIN = bytes.fromhex("f9beb4d9")


def test_the_2011_capture_opens_with_a_version_that_has_no_checksum():
    """The first payload of not-mining-bitcoin-p2p.pcap, read by hand: magic f9beb4d9,
    "version", length 0x55 = 85, then at once the payload (no checksum before protocol 60002):
    protocol 0x7d01 = 32001 (Bitcoin 0.3.20), services 1, time 0x4d90b041 (2011-03-28),
    26-byte addresses, nonce, an empty user agent (before BIP 14), height 0x0001bdfa."""
    if not CAPTURE.is_file():
        pytest.skip("../shared/data/pcaps not present")
    with CAPTURE.open("rb") as f:
        first = next(decode_frame(r.linktype, r.data, r.ts) for r in PcapReader(f))
    assert p2p.opens(first.payload)
    head, payload = p2p.parse_message(first.payload)
    assert (head.magic, head.command, head.length, head.checksum, head.size) == (
        MAIN, "version", 85, None, 20)
    assert p2p.parse_version(payload) == p2p.Version(
        32001, 1, 0x4D90B041, 0x0C1E101BCF3A30D9, "", 114_170, None)


def modern_version() -> bytes:
    """A Bitcoin Core 25 version message, field by field (the checksum by hashlib here)."""
    payload = bytes.fromhex(
        "80110100"  # protocol 70016
        "0904000000000000"  # services NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED
        "00e1f50500000000"  # timestamp 100,000,000
        + "00" * 52  # addr_recv, addr_from
        + "0102030405060708"  # nonce
        "10" + "/Satoshi:25.0.0/".encode().hex()  # user agent, 16 bytes
        + "00350c00"  # start height 800,000
        "01")  # relay
    check = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    return MAIN + b"version".ljust(12, b"\0") + struct.pack("<I", len(payload)) + check + payload


def test_a_modern_version_message_by_hand():
    head, payload = p2p.parse_message(modern_version())
    assert (head.command, head.length, head.size) == ("version", 102, 24)
    assert p2p.parse_version(payload) == p2p.Version(
        70016, 0x409, 100_000_000, 0x0807060504030201, "/Satoshi:25.0.0/", 800_000, True)
    assert p2p.encode_message(MAIN, "version", payload) == modern_version()


def test_a_bad_checksum_is_an_error_for_commands_that_always_had_one():
    msg = bytearray(p2p.encode_message(MAIN, "inv", b"\x01" + b"\x00" * 36))
    msg[20] ^= 1
    with pytest.raises(DecodeError, match="checksum"):
        p2p.parse_message(bytes(msg))
    with pytest.raises(NeedMoreData):
        p2p.parse_message(p2p.encode_message(MAIN, "inv", b"\x01" + b"\x00" * 36)[:30])


def test_a_levin_handshake_by_hand():
    """levin_base.h's bucket_head2, packed: signature 0x0101010101012101, body size, have to
    return (1), command 1001, return code 0, flags 1 (request), protocol version 1; then a
    body holding node_data's network_id (Monero's main network, cryptonote_config.h)."""
    monero = bytes.fromhex("1230f171610441611731008216a1a110")
    body = bytes.fromhex("011101010101020101") + b"\x0anetwork_id\x0a\x40" + monero
    data = bytes.fromhex("0121010101010101") + struct.pack("<Q", len(body)) + bytes.fromhex(
        "01" "e9030000" "00000000" "01000000" "01000000") + body
    assert p2p.opens(data)
    assert p2p.parse_levin(data) == p2p.LevinHeader(len(body), True, 1001, 0, 1, 1)
    assert p2p.network_id(data[p2p.LEVIN.size:]) == monero
    assert p2p.NETWORK_IDS[monero] == "Monero"
    assert p2p.encode_levin(p2p.parse_levin(data), body) == data


G = bytes.fromhex(  # secp256k1's generator (SEC 2, 2.4.1): a point on the curve
    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")


def rlpx_auth(key: bytes = G, body: int = 300) -> bytes:
    """An EIP-8 auth as it goes on the wire: its size (big-endian), then ECIES's 0x04, the
    ephemeral key, a 16-byte IV, the ciphertext and a 32-byte tag."""
    ecies = b"\x04" + key + b"\x11" * 16 + b"\x22" * body + b"\x33" * 32
    return len(ecies).to_bytes(2, "big") + ecies


def test_an_rlpx_handshake_is_known_by_its_key_on_the_curve():
    assert p2p.opens(rlpx_auth()) and p2p.rlpx_key(rlpx_auth()) == G
    off_curve = G[:63] + bytes([G[63] ^ 1])
    assert p2p.opens(rlpx_auth(off_curve)) and p2p.rlpx_key(rlpx_auth(off_curve)) is None
    assert p2p.rlpx_key(rlpx_auth()[:66]) is None  # the key cut short
    assert not p2p.opens(rlpx_auth(body=5000))  # larger than any handshake


@pytest.mark.parametrize("head, opens", [
    (MAIN + b"version\0\0\0\0\0" + b"\x55\0\0\0", True),
    (bytes.fromhex("fbc0b6db") + b"sendcmpct\0\0\0" + b"\x09\0\0\0", True),  # Litecoin
    (MAIN + b"version\0\0\0\0\0" + b"\x55\0\0", False),  # cut before the length ends
    (MAIN + b"vers ion\0\0\0\0" + b"\x55\0\0\0", False),  # not a command name
    (MAIN + b"version\0\0\0\0x" + b"\x55\0\0\0", False),  # not NUL padded
    (MAIN + b"\0" * 12 + b"\x55\0\0\0", False),  # no command
    (MAIN + b"block\0\0\0\0\0\0\0" + b"\0\0\0\x03", False),  # 48 MiB: over Bitcoin's limit
    (b"\x11\x22\x33\x44" + b"version\0\0\0\0\0" + b"\x55\0\0\0", False),  # unknown network
    (bytes.fromhex("0121010101010101") + b"\0" * 25, True),
    (bytes.fromhex("0121010101010101") + b"\0" * 24, False),  # the header cut short
])
def test_what_opens_a_node_connection(head, opens):
    assert p2p.opens(head) is opens


versions = st.builds(p2p.Version, st.integers(-2**31, 2**31 - 1), st.integers(0, 2**64 - 1),
                     st.integers(-2**63, 2**63 - 1), st.integers(0, 2**64 - 1),
                     st.text(st.characters(max_codepoint=255), max_size=300),
                     st.integers(-2**31, 2**31 - 1), st.none() | st.booleans())


@given(versions)
def test_version_round_trip(v):
    assert p2p.parse_version(p2p.encode_version(v)) == v


@given(st.sampled_from(sorted(p2p.NETWORKS)), st.text("abcdefghijklmnopqrstuvwxyz0123456789",
                                                      min_size=1, max_size=12),
       st.binary(max_size=200), st.binary(max_size=30))
def test_message_round_trip(magic, command, payload, after):
    head, got = p2p.parse_message(p2p.encode_message(magic, command, payload) + after)
    assert (head.magic, head.command, head.length, got) == (magic, command, len(payload), payload)


@given(st.sampled_from(p2p.UNCHECKED), st.binary(max_size=120))
def test_old_version_and_verack_round_trip(command, payload):
    head, got = p2p.parse_message(p2p.encode_message(MAIN, command, payload, checksum=False))
    assert (head.command, head.checksum, got) == (command, None, payload)


@given(st.builds(p2p.LevinHeader, st.integers(0, 2**64 - 1), st.booleans(),
                 st.integers(0, 2**32 - 1), st.integers(-2**31, 2**31 - 1),
                 st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)))
def test_levin_round_trip(h):
    assert p2p.parse_levin(p2p.encode_levin(h)) == h


@settings(max_examples=300)
@given(st.binary(max_size=200) | st.binary(max_size=150).map(lambda b: MAIN + b)
       | st.binary(max_size=150).map(lambda b: MAIN + b"version\0\0\0\0\0" + b))
def test_random_bytes_raise_only_decode_errors(data):
    for parse in (p2p.parse_message, p2p.parse_levin, lambda d: p2p.parse_version(d)):
        try:
            parse(data)
        except DecodeError:
            pass
    p2p.opens(data), p2p.network_id(data), p2p.rlpx_key(data)
