"""The compiled JSON-RPC line scanner (decode/jsonscan.py) against json.loads and parse_message.

scan_line's True is a promise that the Python decoder reads the line the same way: the line is
a JSON-RPC object for parse_message, and every type and span in the tokens loads to the value
json.loads gives. Its False only costs speed (the line goes to the Python decoder). So we check
hand-written vectors, the promise on generated and mutated lines, that the scanner is not
needlessly conservative on plain printable-ASCII lines, and that spans inside a larger buffer
are those of the line alone, offset by its start.
"""

from __future__ import annotations

import json
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import jsonscan as js
from minewatch.decode.jsonrpc import parse_message

RPC = ("id", "method", "params", "result", "error")
SETTINGS = settings(max_examples=300, deadline=None)


def scan(line: bytes, pad: tuple[bytes, bytes] = (b"", b"")) -> tuple[bool, np.ndarray]:
    """(verdict, tokens) of line, placed between pad[0] and pad[1]; spans made line-relative."""
    b = np.frombuffer(pad[0] + line + pad[1] or b"\0", np.uint8)
    tok = js.new_tokens()
    ok = bool(js.scan_line(b, len(pad[0]), len(pad[0]) + len(line), tok))
    for slot in list(range(len(js.KEYS))) + [len(js.KEYS) + j for j in range(js.ITEMS)]:
        if tok[3 * slot] != js.ABSENT:
            tok[3 * slot + 1:3 * slot + 3] -= len(pad[0])
    kinds = (tok[3 * js.PARAMS], tok[3 * js.RESULT])
    keyed = js.OBJECT in kinds and js.ARRAY not in kinds  # else the count is a list's
    for j in range(max(int(tok[js.COUNT]), 0) if keyed else 0):  # member keys
        tok[js.KEY0 + 2 * j:js.KEY0 + 2 * j + 2] -= len(pad[0])
    if keyed and tok[js.COUNT] == 0:  # an empty object's mark is a position too
        tok[js.KEY0] -= len(pad[0])
    return ok, tok


def assert_value(line: bytes, t: int, s: int, e: int, value) -> None:
    span = line[s:e]
    if t == js.STRING:
        assert isinstance(value, str) and span == value.encode("ascii")
        assert line[s - 1:s] == line[e:e + 1] == b'"'
    elif t in (js.INT, js.NUMBER):
        loaded = json.loads(span)
        assert type(value) is type(loaded) is (int if t == js.INT else float)
        assert loaded == value
    elif t in (js.TRUE, js.FALSE, js.NULL):
        want = {js.TRUE: (True, b"true"), js.FALSE: (False, b"false"), js.NULL: (None, b"null")}
        assert value is want[t][0] and span == want[t][1]
    else:
        assert t in (js.ARRAY, js.OBJECT), t
        assert isinstance(value, list if t == js.ARRAY else dict)
        assert json.loads(span) == value


def assert_promise(line: bytes, tok: np.ndarray) -> None:
    """What a True from scan_line promises about line and tok."""
    msg = parse_message(line)  # must not raise
    obj = json.loads(line)
    assert isinstance(obj, dict) and any(k in obj for k in RPC)
    assert obj.get("method") is None or isinstance(obj["method"], str)
    assert msg.method == obj.get("method")
    for k, key in enumerate(js.KEYS):
        t, s, e = (int(x) for x in tok[3 * k:3 * k + 3])
        if key not in obj:
            assert t == js.ABSENT, key
        else:
            assert_value(line, t, s, e, obj[key])
    listed = [key for k, key in ((js.PARAMS, "params"), (js.RESULT, "result"))
              if tok[3 * k] == js.ARRAY]
    members = [key for k, key in ((js.PARAMS, "params"), (js.RESULT, "result"))
               if tok[3 * k] == js.OBJECT]
    if tok[js.COUNT] < 0:
        assert not listed
        return
    if not listed:  # the members of an object under params or result: all of them, unique
        assert len(members) >= 1
        owners = [key for k, key in ((js.PARAMS, "params"), (js.RESULT, "result"))
                  if js.members(tok, k)]
        assert len(owners) == 1, "whose members they are"
        assert_members(line, tok, obj[owners[0]])
        return
    assert not js.members(tok, js.PARAMS) and not js.members(tok, js.RESULT)
    assert len(listed) == 1
    items = obj[listed[0]]
    assert tok[js.COUNT] == len(items)
    for j, item in enumerate(items[:js.ITEMS]):
        t, s, e = (int(x) for x in tok[js.ITEM0 + 3 * j:js.ITEM0 + 3 * j + 3])
        assert_value(line, t, s, e, item)


def assert_members(line: bytes, tok: np.ndarray, obj: dict) -> None:
    keys = []
    for j in range(int(tok[js.COUNT])):
        k0, k1 = (int(x) for x in tok[js.KEY0 + 2 * j:js.KEY0 + 2 * j + 2])
        key = line[k0:k1].decode("ascii")
        keys.append(key)
        t, s, e = (int(x) for x in tok[js.ITEM0 + 3 * j:js.ITEM0 + 3 * j + 3])
        assert_value(line, t, s, e, obj[key])
    assert len(set(keys)) == len(keys) == len(obj)


def verdict(line: bytes) -> bool:
    ok, tok = scan(line)
    if ok:
        assert_promise(line, tok)
    return ok


# -- hand-written vectors

@pytest.mark.parametrize("line, params, result", [
    (b'{"result":{},"params":{"a":1}}', False, True),  # the empty object's, not the other's
    (b'{"result":{"a":1},"params":[]}', False, False),  # a list came after: neither
    (b'{"result":{"":[]},"params":{"":null}}', False, True),  # the first object's
    (b'{"params":{},"id":1}', True, False),
])
def test_members_say_whose_they_are(line, params, result):
    """Found by hypothesis: with params and result both present, members() said yes for an
    object whose members were not the ones recorded (an empty object's count of 0, or an
    empty list's, read as anybody's)."""
    ok, tok = scan(line)
    assert ok
    assert (js.members(tok, js.PARAMS), js.members(tok, js.RESULT)) == (params, result)


def test_the_members_of_an_object_param_are_read():
    line = (b'{"id":1,"method":"submit","params":{"id":"s1","job_id":"j9","nonce":"00",'
            b'"result":"ab"}}')
    ok, tok = scan(line)
    assert ok and tok[js.COUNT] == 4
    b = np.frombuffer(line, np.uint8)
    assert js.members(tok, js.PARAMS) and not js.members(tok, js.RESULT)
    kind, s, e = js.member(b, tok, np.frombuffer(b"job_id", np.uint8))
    assert kind == js.STRING and line[s:e] == b"j9"
    assert js.member(b, tok, np.frombuffer(b"algo", np.uint8))[0] == js.ABSENT
    ok, tok = scan(b'{"id":1,"result":{"status":"OK","status":"no"}}')  # json.loads: "no"
    assert ok and tok[js.COUNT] == -1  # valid JSON, but no member is vouched for
    many = b",".join(b'"k%d":%d' % (k, k) for k in range(9))
    ok, tok = scan(b'{"id":1,"result":{' + many + b'}}')
    assert ok and tok[js.COUNT] == -1  # more members than recorded: none are



SUBMIT = (b'{"id":4,"method":"mining.submit","params":["w1.rig","bf","00000000","5f5e1000",'
          b'"b2957c02"]}')
NOTIFY = (b'{"id":null,"method":"mining.notify","params":["bf","4d16b6f85af6e2198f44ae2a6de67f78",'
          b'"0100","ff",["aa","bb",["cc"]],"00000002","1c2ac4af","504e86b9",false]}')
ETHPROXY = b'{"id":1,"jsonrpc":"2.0","result":["0xab","0xcd","0x0000ff"]}'
VALID = [SUBMIT, NOTIFY, ETHPROXY, b'{"id":4,"result":true,"error":null}',
         b' \t{ "id" : -12 , "method" : "x" }\r\n', b'{"id":1}\r', b'{"method":null,"id":[1,{}]}',
         b'{"id":1.0,"error":{"code":-1,"message":"no"},"worker":"r"}',
         b'{"id":1e3,"params":[],"x":{"id":1,"id":2}}', b'{"id":-0,"result":[[],{},-1.5E-3]}']


@pytest.mark.parametrize("line", VALID)
def test_valid_lines_are_read(line):
    assert verdict(line)


@pytest.mark.parametrize("line", [
    b'{"id":1,"id":2}', b'{"params":[1],"params":[1]}', b'{}', b' {} ', b'{"a":1}',
    b'{"worker":"r"}', b'{"id":1,"method":5}', b'{"method":true}', b'{"method":["x"]}',
    b'{"id":1,"method":"caf\\u00e9"}', b'{"id":"\\"x"}', '{"id":"café"}'.encode(),
    b'{"id":NaN}', b'{"id":Infinity}', b'{"id":-Infinity}', b'{"id":01}', b'{"id":-01}',
    b'{"id":1.}', b'{"id":.5}', b'{"id":1e}', b'{"id":+1}', b'{"id":[1,]}', b'{"id":1,}',
    b'{"id":{"a":1,}}', b'{"id":1} x', b'{"id":1}{"id":2}', b'[{"id":1}]', b'{"id":tru}',
    b'{"id":truex}', b'{"id":"a\tb"}', b'{"id":"a\x7fb"}', b'{"id":1 "method":"x"}',
    b'{"params":[1],"result":[2]}', b'{"id":1\x0b}', b'{"id":"x', b'',
])
def test_unsure_lines_are_refused(line):
    assert not verdict(line)


def test_types_and_spans():
    line = b'{"id":"12","method":"m","params":[12,1.0,1e3,"s",true,false,null,[1],{"a":2}]}'
    ok, tok = scan(line)
    assert ok and tok[js.COUNT] == 9
    types = [tok[js.ITEM0 + 3 * j] for j in range(js.ITEMS)]
    assert types == [js.INT, js.NUMBER, js.NUMBER, js.STRING, js.TRUE, js.FALSE, js.NULL,
                     js.ARRAY]  # the 9th item (an OBJECT) is counted, not placed
    assert line[tok[1]:tok[2]] == b"12" and tok[0] == js.STRING
    assert tok[3 * js.ERROR] == tok[3 * js.RESULT] == tok[3 * js.WORKER] == js.ABSENT
    assert_promise(line, tok)


def test_many_params_count_all_and_place_the_first():
    line = json.dumps({"id": 1, "params": list(range(20))}).encode()
    ok, tok = scan(line)
    assert ok and tok[js.COUNT] == 20
    assert [int(line[tok[js.ITEM0 + 3 * j + 1]:tok[js.ITEM0 + 3 * j + 2]])
            for j in range(js.ITEMS)] == list(range(js.ITEMS))


def test_nesting_limit():
    for n in (js.MAX_DEPTH, js.MAX_DEPTH + 1, 60):
        line = b'{"id":%s%s}' % (b"[" * n, b"]" * n)
        json.loads(line)
        assert verdict(line) == (n <= js.MAX_DEPTH)
        line = b'{"id":1,"x":%s0%s}' % (b'{"a":' * n, b"}" * n)
        assert verdict(line) == (n <= js.MAX_DEPTH)


# Python refuses to read an integer of more than sys.get_int_max_str_digits() (4300) digits;
# the scanner leaves any number longer than MAX_NUMBER to it.
def test_huge_integer_is_refused():
    assert verdict(b'{"id":1111}')
    assert not verdict(b'{"id":' + b"1" * 4301 + b'}')
    assert not verdict(b'{"id":' + b"1" * (js.MAX_NUMBER + 1) + b'}')


# -- generated lines

ASCII = st.text(st.sampled_from(string.printable[:95]), max_size=12)  # includes " and \
texts = ASCII | ASCII | ASCII | st.text(max_size=6)
scalars = (st.none() | st.booleans() | st.integers() | texts
           | st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=10)
                      | st.dictionaries(texts, inner, max_size=4), max_leaves=20)
KEY_NAMES = st.sampled_from(js.KEYS + ("jsonrpc", "x", "", "Id"))
messages = st.builds(lambda base, more: {**base, **more},
                     st.dictionaries(KEY_NAMES, values, max_size=6),
                     st.sampled_from(["", "method", "params", "result"]).flatmap(
                         lambda k: st.just({}) if not k else st.fixed_dictionaries(
                             {k: ASCII if k == "method" else st.lists(values, max_size=12)})))
STYLES = [{"separators": (",", ":")}, {}, {"separators": (" , ", " : ")}, {"indent": 2},
          {"indent": "\t"}, {"indent": 0}]
PADS = ["", " ", "\r", "\t\n ", "\r\n"]


@st.composite
def lines(draw) -> tuple[dict, bytes]:
    obj = draw(messages)
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()), **draw(st.sampled_from(STYLES)))
    return obj, (draw(st.sampled_from(PADS)) + text + draw(st.sampled_from(PADS))).encode()


def depth(v) -> int:
    items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
    return 0 if items is None else 1 + max((depth(x) for x in items), default=0)


@SETTINGS
@given(lines())
def test_promise_and_not_overly_conservative(case):
    obj, line = case
    plain = all(32 <= c <= 126 or c in (9, 10, 13) for c in line) and b"\\" not in line
    expected = (plain and depth(obj) <= js.MAX_DEPTH - 2 and any(k in obj for k in RPC)
                and (obj.get("method") is None or isinstance(obj["method"], str))
                and not (isinstance(obj.get("params"), list)
                         and isinstance(obj.get("result"), list)))
    assert verdict(line) == expected


INSERTS = [b",", b":", b"[", b"]", b"{", b"}", b'"', b"\\", b" ", b"\r", b"\x00", b"\xc3\xa9",
           b"0", b"01", b"-", b".", b"e", b"NaN", b"null", b',"id":1', b',"params":[1]',
           b',"result":[]', b',"method":7', b"1", b"2", b'"a"', b',"a":5']
BASES = st.sampled_from(VALID) | st.sampled_from(VALID) | lines().map(lambda c: c[1])
ops = st.lists(st.tuples(st.sampled_from(["flip", "ins", "del", "cut"]),
                         st.integers(0, 10 ** 6), st.integers(0, 255),
                         st.sampled_from(INSERTS)), min_size=1, max_size=3)


def mutate(line: bytes, edits) -> bytes:
    b = bytearray(line)
    for op, pos, byte, chunk in edits:
        i = pos % (len(b) + 1)
        if op == "flip" and i < len(b):
            b[i] = byte
        elif op == "ins":
            b[i:i] = chunk if byte % 2 else bytes([byte])
        elif op == "del":
            del b[i:i + 1 + byte % 3]
        elif op == "cut":
            del b[i:]
    return bytes(b)


@SETTINGS
@given(BASES, ops)
def test_mutated_lines_keep_the_promise(line, edits):
    verdict(mutate(line, edits))  # never raises; a True satisfies the promise


@SETTINGS
@given(BASES, st.booleans(), ops,
       st.binary(max_size=8), st.binary(max_size=8))
def test_spans_inside_a_larger_buffer(line, mutated, edits, head, tail):
    line = mutate(line, edits) if mutated else line
    for pad in ((b"xx", b"\nyy"), (head, tail), (b"", b'"}')):
        ok, tok = scan(line, pad)
        alone_ok, alone = scan(line)
        assert ok == alone_ok
        if ok:
            assert (tok == alone).all()


@SETTINGS
@given(st.lists(st.one_of(st.integers(-5, 5), st.text("ab c", max_size=4), st.none(),
                          st.lists(st.integers(0, 3), max_size=2)), max_size=4),
       st.sampled_from([",", ", ", " ,\t"]))
def test_list_item_finds_each_item_of_a_sure_list(items, comma):
    body = comma.join(json.dumps(x) for x in items)
    line = b'{"id": 1, "error": [ ' + body.encode() + b' ]}'
    ok, tok = scan(line)
    assert ok
    b = np.frombuffer(line, np.uint8)
    error = (tok[3 * js.ERROR], tok[3 * js.ERROR + 1], tok[3 * js.ERROR + 2])
    for j in range(len(items) + 1):
        kind, start, stop = js.list_item(b, error, j)
        if j == len(items):
            assert kind == js.ABSENT
        else:
            assert_value(line, kind, start, stop, items[j])
