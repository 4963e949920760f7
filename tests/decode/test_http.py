"""HTTP/1.x framing for JSON-RPC over POST."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import http
from minewatch.errors import DecodeError, NeedMoreData

# bfgminer/5.2.0 asking bitminter for a block template (btc-stratum-bitminter.pcap)
BFGMINER_GBT = (
    b"POST / HTTP/1.1\r\nHost: us1.bitminter.com:3333\r\nAuthorization: Basic Qmlnc2t5OjEyMw==\r\n"
    b"Accept: */*\r\nAccept-Encoding: deflate, gzip\r\nContent-type: application/json\r\n"
    b"X-Mining-Extensions: longpoll midstate rollntime submitold\r\nContent-Length: 44\r\n"
    b"User-Agent: bfgminer/5.2.0\r\n\r\n"
    b'{"method": "getwork", "params": [], "id":0}\n')

tokens = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"),
                 min_size=1, max_size=12)
values = st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20)
headers = st.lists(st.tuples(tokens, values), max_size=5).map(
    lambda hs: tuple((k, v) for k, v in hs if k.lower() not in ("content-length",
                                                               "transfer-encoding")))
requests = st.builds(http.request, st.sampled_from(["POST", "GET", "PUT"]),
                     st.sampled_from(["/", "/0xabc/rig1", "/api?x=1"]), headers,
                     st.binary(max_size=100))
responses = st.builds(http.response, st.integers(100, 599).filter(
    lambda s: not (100 <= s < 200 or s in (204, 304))), st.sampled_from(["OK", "Not Found", ""]),
    headers, st.binary(max_size=100))


def _feed_in_pieces(data: bytes, cuts: list[int]) -> list[http.HttpMessage]:
    framer, out, pos = http.HttpFramer(), [], 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out += framer.feed(data[pos:cut])
        pos = cut
    assert not framer.failed
    return out


def test_real_miner_request():
    msg = http.parse_http(BFGMINER_GBT)
    assert msg.method == "POST" and msg.target == "/" and msg.host == "us1.bitminter.com:3333"
    assert msg.user_agent == "bfgminer/5.2.0"
    assert msg.basic_auth == ("Bigsky", "123")
    assert msg.header("x-mining-extensions").startswith("longpoll")
    assert msg.body.startswith(b'{"method": "getwork"')


@given(st.lists(requests | responses, min_size=1, max_size=4),
       st.lists(st.integers(0, 2000), max_size=12))
def test_pipelined_messages_round_trip_in_any_chunking(msgs, cuts):
    data = b"".join(http.encode(m) for m in msgs)
    assert _feed_in_pieces(data, cuts) == msgs


def test_chunked_body_is_joined():
    data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n")
    assert http.parse_http(data).body == b"Wikipedia"
    assert _feed_in_pieces(data, list(range(len(data))))[0].body == b"Wikipedia"


def test_oversized_body_is_cut_and_skipped():
    data = http.encode(http.response(200, "OK", (), b"x" * 50)) + http.encode(
        http.response(200, "OK", (), b"next"))
    framer = http.HttpFramer(max_body=10)
    first, second = framer.feed(data)
    assert first.truncated and first.body == b"x" * 10
    assert second.body == b"next" and not second.truncated


def test_a_gap_drops_the_message_it_cut_and_the_next_one_is_read():
    first = http.encode(http.response(200, "OK", (), b'{"id":1,"result":true}'))
    second = http.encode(http.response(200, "OK", (), b'{"id":2,"result":false}'))
    framer = http.HttpFramer()
    assert framer.feed(first[:30]) == []
    framer.gap()  # the rest of the first answer was lost
    (msg,) = framer.feed(second)
    assert msg.body == b'{"id":2,"result":false}' and not framer.failed
    framer.gap()
    assert framer.feed(first[5:]) == [] and framer.failed  # no start line after it: given up


def test_response_without_length_ends_at_close():
    framer = http.HttpFramer()
    assert framer.feed(b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\n{\"result\":1}") == []
    assert framer.finish()[0].body == b'{"result":1}'


def test_partial_message_needs_more_data():
    for end in range(len(BFGMINER_GBT)):
        with pytest.raises(NeedMoreData):
            http.parse_http(BFGMINER_GBT[:end])


@pytest.mark.parametrize("data", [b"\x16\x03\x01\x00\x05hello\r\n\r\n", b"SSH-2.0-OpenSSH\r\n\r\n",
                                  b"POST / HTTP/1.1\r\nbad header\r\n\r\n",
                                  b"HTTP/1.1 2x0 OK\r\n\r\n",
                                  b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"])
def test_not_http_raises_decode_error_and_framer_gives_up(data):
    with pytest.raises(DecodeError):
        http.parse_http(data)
    framer = http.HttpFramer()
    assert framer.feed(data) == [] and framer.failed
    assert framer.feed(BFGMINER_GBT) == []


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data):
    try:
        http.parse_http(data)
    except DecodeError:
        pass


@given(st.binary(max_size=60), st.integers(0, len(BFGMINER_GBT)))
def test_mutated_requests_raise_only_decode_error(junk, at):
    try:
        http.parse_http(BFGMINER_GBT[:at] + junk + BFGMINER_GBT[at:])
    except DecodeError:
        pass


def test_is_http_start():
    assert http.is_http_start(b"POST / H") and http.is_http_start(b"HTTP/1.1 200")
    assert not http.is_http_start(b'{"id":1,') and not http.is_http_start(b"\x16\x03\x01")


def test_basic_auth_header_round_trip():
    msg = http.request("POST", "/", (http.basic_auth_header("wallet.rig", "p:w"),))
    assert msg.basic_auth == ("wallet.rig", "p:w")
    assert http.HttpMessage(headers=(("Authorization", "Basic !!!"),)).basic_auth is None


@pytest.mark.parametrize("target, split", [
    ("/0xabc/rig1", (None, "/0xabc/rig1")),
    ("http://pool.example:8888/0xabc/rig1", ("pool.example:8888", "/0xabc/rig1")),
    ("http://user:pw@pool.example", ("pool.example", "/")),
    ("http://[2001:db8::1]:80/x", ("[2001:db8::1]:80", "/x")),
    ("*", (None, "*")),
    ("/redirect?to=http://elsewhere/", (None, "/redirect?to=http://elsewhere/")),
    (None, (None, "")),
])
def test_request_targets_in_absolute_and_origin_form(target, split):
    assert http.split_target(target) == split
