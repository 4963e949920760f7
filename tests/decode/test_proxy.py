"""Proxy preambles: hand-written vectors from the protocols' documents, round trips, cuts and
random bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import proxy
from minewatch.decode.proxy import ProxyRequest
from minewatch.errors import DecodeError, NeedMoreData


def test_socks4_connect_as_the_protocol_document_spells_it():
    # SOCKS4.protocol: VN 4, CD 1, DSTPORT 80, DSTIP 66.102.7.99, USERID "Fred", NULL
    data = bytes.fromhex("04010050426607634672656400")
    assert proxy.parse_request(data + b"{") == (
        ProxyRequest(proxy.SOCKS4, "66.102.7.99", 80, "Fred"), len(data))
    assert proxy.reply_length(ProxyRequest(proxy.SOCKS4, "", 0),
                              bytes.fromhex("005a000000000000") + b"{") == (True, 8)
    assert proxy.reply_length(ProxyRequest(proxy.SOCKS4, "", 0), bytes(8))[0] is False


def test_socks4a_names_the_host_after_the_user_id():
    data = b"\x04\x01\x0d\x05\x00\x00\x00\x01\x00xmr.pool.example\x00"
    assert proxy.parse_request(data) == (
        ProxyRequest(proxy.SOCKS4A, "xmr.pool.example", 3333), len(data))


def test_socks5_greeting_authentication_and_a_named_host():
    # RFC 1928 greeting (1 method: 02), RFC 1929 user "u" password "pw", CONNECT to a name
    data = (b"\x05\x01\x02" + b"\x01\x01u\x02pw"
            + b"\x05\x01\x00\x03\x10btc.pool.example\x0d\x05")
    req = ProxyRequest(proxy.SOCKS5, "btc.pool.example", 3333, "u", "pw")
    assert proxy.parse_request(data) == (req, len(data))
    answer = b"\x05\x02" + b"\x01\x00" + b"\x05\x00\x00\x01\x0a\x00\x00\x01\x1f\x90"
    assert proxy.reply_length(req, answer + b'{"id":1}') == (True, len(answer))
    refused = b"\x05\x02" + b"\x01\x01" + b"\x05\x00\x00\x01" + bytes(6)  # bad password
    assert proxy.reply_length(req, refused) == (False, len(refused))


def test_socks5_ipv6_target():
    data = b"\x05\x01\x00\x05\x01\x00\x04" + bytes(15) + b"\x01" + b"\x0d\x05"
    assert proxy.parse_request(data)[0] == ProxyRequest(proxy.SOCKS5, "::1", 3333)


def test_http_connect_and_its_answer():
    data = b"CONNECT [2001:db8::7]:14444 HTTP/1.1\r\nHost: [2001:db8::7]:14444\r\n\r\n"
    req = ProxyRequest(proxy.HTTP_CONNECT, "2001:db8::7", 14444)
    assert proxy.parse_request(data + b"{") == (req, len(data))
    answer = b"HTTP/1.0 200 Connection established\r\nProxy-agent: Squid\r\n\r\n"
    assert proxy.reply_length(req, answer + b"{") == (True, len(answer))
    denied = b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"
    assert proxy.reply_length(req, denied) == (False, len(denied))


@pytest.mark.parametrize("data", [
    b'{"id":1}', b"GET / HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x00", b"\x05\x00",
    b"\x04\x09" + bytes(8),
    b"CONNECT nohost HTTP/1.1\r\n\r\n", b"CONNECT a:99999 HTTP/1.1\r\n\r\n",
    b"\x05\x01\x00\x05\x07\x00\x01" + bytes(6),  # command 7
    b"\x05\x01\x00\x05\x01\x00\x09" + bytes(6),  # address type 9
])
def test_what_is_no_proxy_request(data):
    with pytest.raises(DecodeError):
        proxy.parse_request(data)


hosts = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}\.){1,3}[a-z]{2,6}", fullmatch=True),
    st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
names = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", max_size=40)


@st.composite
def requests(draw) -> ProxyRequest:
    kind = draw(st.sampled_from([proxy.SOCKS4, proxy.SOCKS4A, proxy.SOCKS5, proxy.HTTP_CONNECT]))
    port = draw(st.integers(0, 65535))
    if kind == proxy.SOCKS4:  # (0.0.0.x, x > 0, is SOCKS4a's mark for a name that follows)
        address = draw(st.ip_addresses(v=4).filter(lambda a: not 0 < int(a) < 256))
        return ProxyRequest(kind, str(address), port, draw(names))
    if kind == proxy.SOCKS4A:
        return ProxyRequest(kind, draw(hosts.filter(lambda h: ":" not in h)), port, draw(names))
    if kind == proxy.SOCKS5:
        password = draw(st.one_of(st.none(), names.filter(bool)))
        user = draw(names.filter(bool)) if password is not None else ""
        return ProxyRequest(kind, draw(hosts), port, user, password)
    return ProxyRequest(kind, draw(hosts), port)


@settings(max_examples=400)
@given(requests(), st.booleans(), st.binary(max_size=20))
def test_round_trip_and_every_cut(req, granted, after):
    data = proxy.encode_request(req)
    assert proxy.parse_request(data + after) == (req, len(data))
    answer = proxy.encode_reply(req, granted)
    assert proxy.reply_length(req, answer + after) == (granted, len(answer))
    assert proxy.opens_tunnel(data[:8] if req.kind == proxy.HTTP_CONNECT else data)
    for cut in range(len(data)):
        with pytest.raises(NeedMoreData):
            proxy.parse_request(data[:cut])
    for cut in range(len(answer)):
        with pytest.raises(NeedMoreData):
            proxy.reply_length(req, answer[:cut])


@settings(max_examples=400)
@given(st.binary(max_size=300), requests())
def test_random_bytes_raise_only_decode_errors(data, req):
    for head in (data, b"\x05" + data, b"\x04\x01" + data, b"CONNECT " + data):
        try:
            proxy.parse_request(head)
        except DecodeError:
            pass
        try:
            proxy.reply_length(req, head)
        except DecodeError:
            pass
