"""A coin node's P2P connection labelled `node`, with the evidence its first bytes hold."""

from __future__ import annotations

import json
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import p2p
from minewatch.detect.nodes import node_label

MAIN = bytes.fromhex("f9beb4d9")


def test_a_version_names_the_network_the_software_and_the_height():
    v = p2p.Version(70016, 0x409, 1_700_000_000, 7, "/Satoshi:25.0.0/", 800_000, True)
    label = node_label(p2p.encode_message(MAIN, "version", p2p.encode_version(v)))
    assert (label["label"], label["methods"], label["agent"]) == (
        "node", "version", "/Satoshi:25.0.0/")
    assert json.loads(label["evidence"]) == [
        "Bitcoin-family P2P message 'version', network magic f9beb4d9 (Bitcoin)",
        "version: protocol 70016, agent /Satoshi:25.0.0/, chain height 800,000"]


def test_another_command_or_a_version_cut_short_is_still_a_node():
    inv = node_label(p2p.encode_message(bytes.fromhex("c0c0c0c0"), "inv", b"\x00"))
    assert (inv["methods"], inv["agent"]) == ("inv", None)
    assert "Dogecoin" in json.loads(inv["evidence"])[0]
    v = p2p.encode_message(MAIN, "version", p2p.encode_version(
        p2p.Version(70016, 1, 0, 0, "/btcd:0.24.0/", 1, False)))
    cut = node_label(v[:60])
    assert (cut["methods"], cut["agent"], len(json.loads(cut["evidence"]))) == (
        "version", None, 1)


def test_a_monero_handshake_names_its_network():
    body = b"\x0anetwork_id\x0a\x40" + bytes.fromhex("1230f171610441611731008216a1a112")
    data = p2p.encode_levin(p2p.LevinHeader(len(body), True, 1001), body)
    label = node_label(data)
    assert label["methods"] == "handshake"
    assert json.loads(label["evidence"]) == [
        "levin message (CryptoNote P2P), command 1001 (handshake)",
        "handshake network id 1230f171610441611731008216a1a112 (Monero stagenet)"]


def test_an_rlpx_handshake_with_its_key_on_the_curve_is_a_node():
    g = bytes.fromhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                      "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
    ecies = b"\x04" + g + bytes(16 + 250 + 32)
    label = node_label(len(ecies).to_bytes(2, "big") + ecies)
    assert (label["label"], label["methods"]) == ("node", "rlpx-handshake")
    assert "secp256k1 (79be667e...)" in json.loads(label["evidence"])[0]
    random_key = b"\x04" + bytes(range(64)) + bytes(16 + 250 + 32)
    assert node_label(len(random_key).to_bytes(2, "big") + random_key) is None


def test_what_is_no_node_is_not_labelled():
    for head in (b'{"id":1,"method":"mining.subscribe","params":[]}\n', b"SSH-2.0-OpenSSH_9.6\r\n",
                 b"\x16\x03\x01\x02\x00" + b"\0" * 40, struct.pack("<I", 0x11223344) * 8):
        assert node_label(head) is None


@settings(max_examples=300)
@given(st.sampled_from([b"", MAIN, MAIN + b"version\0\0\0\0\0", bytes.fromhex("0121010101010101"),
                        b"\x01\x80\x04"]).flatmap(lambda p: st.binary(max_size=150).map(
                            lambda b: p + b)))
def test_any_bytes_give_a_label_or_none(head):
    label = node_label(head)
    assert label is None or label["label"] == "node"
