"""Newline-delimited JSON-RPC framing and messages."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode.jsonrpc import (LineFramer, RpcMessage, encode_message, id_text,
                                      parse_message, reply, request)
from minewatch.errors import DecodeError

json_scalars = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
ids = json_scalars | st.lists(json_scalars, max_size=3)
extras = st.dictionaries(st.sampled_from(["jsonrpc", "worker", "x"]), json_values, max_size=2)
requests = st.builds(RpcMessage, id=ids, method=st.text(min_size=1, max_size=20),
                     params=json_values, extra=extras)
replies = st.builds(RpcMessage, id=ids, result=json_values, error=json_values, extra=extras)


def _frame(data: bytes, cuts: list[int], max_line: int = 64 * 1024):
    framer, lines = LineFramer(max_line=max_line), []
    pos = 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        lines += framer.feed(data[pos:cut])
        pos = cut
    return lines, framer.overlong


def test_lines_are_split_on_newlines_with_crlf_and_blank_lines_dropped():
    framer = LineFramer()
    assert framer.feed(b'{"a":1}\r\n\n  \n{"b"') == [b'{"a":1}']
    assert framer.pending == 4
    assert framer.feed(b':2}\n') == [b'{"b":2}']


def test_overlong_line_is_dropped_whole_and_counted():
    framer = LineFramer(max_line=10)
    assert framer.feed(b"x" * 25) == []
    assert framer.feed(b"yyy\nok\n") == [b"ok"]
    assert framer.overlong == 1


def test_a_gap_drops_the_cut_line_and_resumes_at_the_next_message():
    framer = LineFramer()
    assert framer.feed(b'{"a":1}\n{"method":"mining.no') == [b'{"a":1}']
    framer.gap()  # the rest of the notify, and more, never captured
    assert framer.dropping and framer.pending == 0
    assert framer.feed(b'  \n') == []  # white space tells nothing yet
    assert framer.feed(b'{"id":7,"result":true}\n{"b"') == [b'{"id":7,"result":true}']
    framer.gap()
    assert framer.feed(b'ams":[1]}\n{"c":3}\n') == [b'{"c":3}']  # a line's tail: dropped
    assert (framer.cut, framer.dropping) == (3, False)


@given(st.lists(st.binary(max_size=30), max_size=8), st.lists(st.integers(0, 400), max_size=10),
       st.integers(4, 40))
def test_framing_does_not_depend_on_chunking(lines, cuts, max_line):
    data = b"\n".join(lines) + b"\n"
    assert _frame(data, cuts, max_line) == _frame(data, [], max_line)


@given(requests | replies)
def test_encode_then_parse_round_trips(msg):
    wire = encode_message(msg)
    assert wire.endswith(b"\n") and wire.count(b"\n") == 1
    back = parse_message(wire.rstrip(b"\n"))
    assert back == msg
    assert back.size == len(wire) - 1


def test_jsonrpc_2_and_extra_fields_are_kept_aside():
    line = (b'{"id":"auth","jsonrpc":"2.0","method":"eth_submitWork","worker":"rig-1",'
            b'"params":["0x1"]}')
    msg = parse_message(line)
    assert msg.id == "auth" and msg.method == "eth_submitWork" and msg.params == ["0x1"]
    assert msg.extra == {"jsonrpc": "2.0", "worker": "rig-1"}
    assert msg.is_request and not msg.is_reply


def test_reply_and_notification_shapes():
    assert parse_message(b'{"id":244,"result":true,"error":null}') == reply(244, True)
    note = parse_message(b'{"id":null,"method":"mining.notify","params":[]}')
    assert note == request(None, "mining.notify", [])


@pytest.mark.parametrize("line", [b"", b"not json", b"[1,2]", b'"text"', b'{"foo":1}',
                                  b'{"method":5}', b"\xff\xfe", b"[" * 5000, b"1" * 5000])
def test_non_rpc_lines_raise_decode_error(line):
    with pytest.raises(DecodeError):
        parse_message(line)


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data):
    try:
        parse_message(data)
    except DecodeError:
        pass


@given(ids)
def test_id_text_is_json_for_non_strings(msg_id):
    text = id_text(msg_id)
    if msg_id is None:
        assert text is None
    elif isinstance(msg_id, str):
        assert text == msg_id
    else:
        assert json.loads(text) == msg_id
