"""getwork / getblocktemplate records and the miner-or-daemon rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import getwork as gw
from minewatch.decode.jsonrpc import RpcMessage, parse_message
from minewatch.decode.stratum_v1 import Reply, Unknown
from minewatch.errors import DecodeError

ids = st.none() | st.integers(0, 10**6) | st.text(max_size=8)
hexstr = st.binary(min_size=1, max_size=128).map(bytes.hex)
hex32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
name = st.text(max_size=20)
RECORDS = st.one_of(
    st.builds(gw.Getwork, ids, st.none() | hexstr),
    st.builds(gw.GetworkWork, ids, hexstr, hex32, st.none() | hex32, st.none() | hexstr),
    st.builds(gw.GetBlockTemplate, ids, st.lists(name, max_size=4).map(tuple),
              st.lists(name, max_size=2).map(tuple), st.none() | name),
    st.builds(gw.BlockTemplate, ids, hex32, st.none() | hex32, st.none() | hexstr,
              st.none() | st.integers(0, 10**7), st.none() | st.integers(1, 2**31),
              st.none() | name, st.none() | st.integers(0, 2**32)),
    st.builds(gw.SubmitBlock, ids, hexstr, st.none() | name),
    st.builds(Reply, ids, st.none() | st.booleans() | name, st.none() | st.just([20, "e", None])),
    st.builds(Unknown, ids, st.sampled_from(["getinfo", "validateaddress"]), st.just(["x"])),
)


def _decode(line: bytes):
    return gw.decode(parse_message(line))


@given(RECORDS)
def test_decode_encode_round_trip(record):
    assert _decode(gw.encode(record)) == record


def test_getwork_work_target_is_little_endian():
    work = _decode(b'{"id":0,"error":null,"result":{"data":"0000000109a78d37","target":'
                   b'"ffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000",'
                   b'"midstate":"aa","hash1":"00"}}')
    assert isinstance(work, gw.GetworkWork)
    assert work.target_be == "00000000" + "ff" * 28
    assert _decode(b'{"method": "getwork", "params": [], "id":0}') == gw.Getwork(0)
    assert _decode(b'{"method":"getwork","params":["0000000109a7"],"id":1}').data == "0000000109a7"


def test_a_reply_carrying_work_counts_as_getwork():
    """A long poll's answer has no request method to name: its work unit does."""
    work = {"data": "0a" * 128, "target": "ff" * 28 + "00000000"}
    reply = RpcMessage(id=None, result=work)
    assert gw.is_work(work) and gw.rpc_method(reply) == "getwork" and gw.recognise(reply)
    for other in ({"data": "0a" * 128}, {"data": "0a" * 129, "target": work["target"]},
                  {"data": "zz" * 128, "target": work["target"]}, [work], None):
        assert not gw.is_work(other)
        assert gw.rpc_method(RpcMessage(id=None, result=other)) is None
    assert gw.asks_for_work(b"GET /LP HTTP/1.1\r\nx-MINING-extensions: longpoll\r\n\r\n")
    assert not gw.asks_for_work(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")


def test_block_template_and_submitblock():
    gbt = _decode(b'{"id": 0, "method": "getblocktemplate", "params": [{"capabilities": '
                  b'["coinbasetxn", "workid", "longpoll"], "maxversion": 4}]}')
    assert gbt.capabilities == ("coinbasetxn", "workid", "longpoll")
    tpl = _decode(b'{"result":{"version":2,"previousblockhash":"628f97","transactions":[],'
                  b'"target":"00000000ffff0000000000000000000000000000000000000000000000000000",'
                  b'"bits":"1d00ffff","height":100,"curtime":1296688602},"error":null,"id":1}')
    assert isinstance(tpl, gw.BlockTemplate) and (tpl.version, tpl.height) == (2, 100)
    assert (tpl.bits, tpl.curtime) == ("1d00ffff", 1296688602)
    assert _decode(b'{"id":2,"method":"submitblock","params":["0200",{"workid":"w1"}]}') == \
        gw.SubmitBlock(2, "0200", "w1")


def test_node_only_methods_are_unknown_records():
    assert _decode(b'{"method":"validateaddress","params":["mn4j"],"id":1}') == \
        Unknown(1, "validateaddress", ["mn4j"])
    assert gw.recognise(parse_message(b'{"method":"getbalance","params":[],"id":1}'))
    assert gw.recognise(parse_message(b'{"method":"eth_blockNumber","params":[],"id":1}'))
    assert not gw.recognise(parse_message(b'{"method":"eth_getWork","params":[],"id":1}'))
    assert not gw.recognise(parse_message(b'{"method":"user.login","params":[],"id":1}'))


BFG = dict(user_agent="bfgminer/5.2.0", mining_extensions=True, basic_auth=True, server_port=3333)


@pytest.mark.parametrize("ctx, dialect", [
    (gw.HttpRpcContext(frozenset({"getwork"}), **BFG), "getwork-http"),
    (gw.HttpRpcContext(frozenset({"getblocktemplate", "submitblock"}), **BFG),
     "getblocktemplate-http"),
    (gw.HttpRpcContext(frozenset({"getblocktemplate"}), 3333, "cpuminer/2.5.0"),
     "getblocktemplate-http"),
    # rule 1: a node-only method
    (gw.HttpRpcContext(frozenset({"getblocktemplate", "getblockchaininfo"}), **BFG), "daemon-rpc"),
    # rule 2: the server says it is a coin daemon
    (gw.HttpRpcContext(frozenset({"getblocktemplate"}), 9333, "cgminer/4",
                       server_header="litecoin-json-rpc/v0.8.6.2-beta"), "daemon-rpc"),
    # rule 3: a template fetched with Basic auth from bitcoind's RPC port (solo mining)
    (gw.HttpRpcContext(frozenset({"getblocktemplate"}), 8332, "cgminer/4", True, True),
     "daemon-rpc"),
    # ...but getwork there is a 2011-2014 pool's (bitcoind no longer serves it)
    (gw.HttpRpcContext(frozenset({"getwork"}), 8332, "cgminer/3", True, True), "getwork-http"),
    # rule 4: no miner hint (NOMP fetching templates from litecoind)
    (gw.HttpRpcContext(frozenset({"getblocktemplate"}), 9333, None, basic_auth=True), "daemon-rpc"),
    # an Ethereum node's own API (a wallet or dashboard polling geth): no miner calls it
    (gw.HttpRpcContext(frozenset({"eth_blockNumber"}), 8545), "daemon-rpc"),
    (gw.HttpRpcContext(frozenset({"eth_getWork"}), 8545), None),  # (ETHProxy's: ethstratum)
    (gw.HttpRpcContext(), None),
])
def test_classify(ctx, dialect):
    assert gw.classify(ctx) == dialect


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["data", "target", "previousblockhash", "workid",
                                                "capabilities", "height"]), inner, max_size=4),
                           max_leaves=12)


@given(st.sampled_from(["getwork", "getblocktemplate", "submitblock", "getinfo", None]),
       json_values, json_values)
def test_random_params_raise_only_decode_error(method, params, result):
    try:
        gw.decode(RpcMessage(id=1, method=method, params=params, result=result))
    except DecodeError:
        pass
