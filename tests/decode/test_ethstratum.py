"""EthereumStratum/1.0.0 (NiceHash) and ETHProxy records."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import ethstratum as eth
from minewatch.decode import stratum_v1 as sv1
from minewatch.decode.jsonrpc import RpcMessage, parse_message
from minewatch.errors import DecodeError

ids = st.none() | st.integers(0, 10**6) | st.text(max_size=8)
hex0x = st.binary(min_size=8, max_size=32).map(lambda b: "0x" + b.hex())
hex32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
name = st.text(max_size=20)

RECORDS = st.one_of(
    st.builds(eth.EsNotify, ids, name, hex32, hex32, st.booleans()),
    st.builds(eth.KaspaNotify, ids, name,
              st.tuples(*[st.integers(0, 2**64 - 1)] * 4) | st.binary(min_size=40, max_size=40)
              .map(bytes.hex), st.none() | st.integers(0, 2**63)),
    st.builds(eth.EsSubmit, ids, name, name, st.binary(min_size=5, max_size=6).map(bytes.hex)),
    st.builds(eth.SubmitLogin, ids, name, st.none() | name, st.none() | name),
    st.builds(eth.GetWork, ids, st.none() | name),
    st.builds(eth.SubmitWork, ids, hex0x, hex0x, hex0x, st.none() | name),
    st.builds(eth.SubmitHashrate, ids, hex0x, hex0x, st.none() | name),
    st.builds(eth.WorkPackage, ids, hex0x, hex0x, hex0x,
              st.none() | st.integers(0, 10**8) | hex0x),
    st.builds(sv1.SetDifficulty, ids, st.floats(1e-6, 1e9)),
    st.builds(sv1.Subscribe, ids, name, st.just(("EthereumStratum/1.0.0",))),
)


def _decode(line: bytes):
    return eth.decode(parse_message(line))


@given(RECORDS)
def test_decode_encode_round_trip(record):
    assert _decode(eth.encode(record)) == record


def test_nicehash_spec_dialogue():
    sub = _decode(b'{"id": 1, "method": "mining.subscribe", "params": ["EthereumMiner/1.0.0", '
                  b'"EthereumStratum/1.0.0"]}')
    assert isinstance(sub, sv1.Subscribe) and sub.protocol == "EthereumStratum/1.0.0"
    diff = _decode(b'{"id": null, "method": "mining.set_difficulty", "params": [0.5]}')
    assert diff == sv1.SetDifficulty(None, 0.5)
    notify = _decode(b'{"id": null, "method": "mining.notify", "params": ["bf0488aa", '
                     b'"abad8f99f3918bf903c6a909d9bbc0fdfa5a2f4b9cb1196175ec825c6610126c", '
                     b'"645cf20198c2f3861e947d4f67e3ab63b7b2e24dcc9095bd9123e7b33371f6cc", true]}')
    assert notify == eth.EsNotify(
        None, "bf0488aa", "abad8f99f3918bf903c6a909d9bbc0fdfa5a2f4b9cb1196175ec825c6610126c",
        "645cf20198c2f3861e947d4f67e3ab63b7b2e24dcc9095bd9123e7b33371f6cc", True)
    submit = _decode(b'{"id": 244, "method": "mining.submit", "params": ["username", "bf0488aa", '
                     b'"6a909d9bbc0f"]}')
    assert submit == eth.EsSubmit(244, "username", "bf0488aa", "6a909d9bbc0f")
    rejected = _decode(b'{"id": 244, "result": false, "error": [-1, "Job not found", null]}')
    assert isinstance(rejected, sv1.Reply) and not rejected.ok


def test_kaspa_jobs_in_both_shapes():
    """Kaspa's job over EthereumStratum as BzMiner/Bitmain and as IceRiver receive it (the
    kaspa-stratum-bridge and rusty-kaspa's bridge send these); a v1 job is not one."""
    words = _decode(b'{"id":null,"method":"mining.notify","params":["4f2",'
                    b'[14249540165211474036,10279313412283153924,6148043458427498236,'
                    b'1196226375373484262],1716460316000]}')
    assert words == eth.KaspaNotify(None, "4f2", (14249540165211474036, 10279313412283153924,
                                                  6148043458427498236, 1196226375373484262),
                                    1716460316000)
    text = _decode(b'{"id":null,"method":"mining.notify","params":["4f3","' + b"ab" * 32
                   + b'00d2f4e189010000"]}')
    assert text == eth.KaspaNotify(None, "4f3", "ab" * 32 + "00d2f4e189010000")
    for bad in (b'["4f2",[1,2,3],1]', b'["4f2",[1,2,3,-4],1]', b'["4f2",[1,2,3,4],"x"]',
                b'["4f2","' + b"ab" * 39 + b'"]', b'["4f2",[1,2,3,4],1,2]'):
        msg = parse_message(b'{"id":null,"method":"mining.notify","params":' + bad + b"}")
        assert eth.recognise(msg) is None
        with pytest.raises(DecodeError):
            eth.decode(msg)


def test_ethproxy_from_the_dwarfpool_capture():
    login = _decode(b'{"id":1,"method":"eth_submitLogin","worker":"0x512ee0989a7ec0382365f824f9b62'
                    b'0de312fd212","params":["0x512ee0989a7ec0382365f824f9b620de312fd212"]}')
    assert login.login == login.worker == "0x512ee0989a7ec0382365f824f9b620de312fd212"
    assert _decode(b'{"id":2,"method":"eth_getWork","params":[]}') == eth.GetWork(2)
    push = _decode(b'{"result":["0xdb2d180a1c239e066a304d94cafcdef5436042b43f5cd379423938ad3'
                   b'0a9f040","0x0ee232f1867fd14f43990c8413953a4009ad96d14d28c1f27153927f28ee6c68",'
                   b'"0x0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574"],'
                   b'"jsonrpc":"2.0","id":0}')
    assert isinstance(push, eth.WorkPackage) and push.id == 0
    assert push.boundary.startswith("0x0000000225c17d04")
    work = _decode(b'{"id":3,"method":"eth_submitWork","worker":"w","params":["0x00017b1001c3'
                   b'4562", "0xe511180a90fdf202a4478adf84b7cbcdb4d496734a8a2b0f2e7798a9eaf804c8", '
                   b'"0xf8959f28bc76f9bd56ee04784cbd146ae0060bc019e1aff19b2bb3246a70bb93"]}')
    assert work.nonce == "0x00017b1001c34562" and work.worker == "w"


def test_open_ethereum_pool_examples():
    assert _decode(b'{ "id": 1, "jsonrpc": "2.0", "method": "eth_getWork" }') == eth.GetWork(1)
    job = _decode(b'{"jsonrpc": "2.0", "result": ["0x1234567890abcdef1234567890abcdef12345678'
                  b'90abcdef1234567890abcdef", "0x5eed00000000000000000000000000005eed000000000000'
                  b'0000000000000000", "0xd1ff1c01710000000000000000000000d1ff1c017100000000000000'
                  b'00000000"]}')
    assert isinstance(job, eth.WorkPackage) and job.id is None
    rate = _decode(b'{"id":9,"jsonrpc":"2.0","method":"eth_submitHashrate","params":["0x'
                   + b"0" * 58 + b'b2d05e","0x59daa26581d0acd1fce254fb7e85952f4c09d0915afd33d388'
                   b'6cd914bc7d283c"]}')
    assert rate.hashrate_hs == 0xB2D05E
    assert eth.SubmitHashrate(1, "zz", "0x1").hashrate_hs is None
    err = _decode(b'{ "id": 10, "result": null, '
                  b'"error": { "code": 0, "message": "Work not ready" } }')
    assert isinstance(err, sv1.Reply) and err.error_message == "Work not ready"


def test_recognise():
    rec = lambda line, http=False: eth.recognise(parse_message(line), http)  # noqa: E731
    assert rec(b'{"id":1,"method":"eth_submitLogin","params":["0x1"]}') == "ethproxy"
    assert rec(b'{"id":1,"method":"eth_getWork"}', True) == "ethproxy-http"
    assert rec(b'{"id":1,"method":"mining.subscribe","params":["a","EthereumStratum/1.0.0"]}') == \
        "ethereumstratum-1.0"
    assert rec(b'{"id":1,"method":"mining.submit","params":["a","b","c"]}') == "ethereumstratum-1.0"
    assert rec(b'{"id":1,"method":"mining.subscribe","params":["cgminer/4"]}') is None
    assert rec(b'{"id":1,"method":"eth_blockNumber","params":[]}') is None
    assert rec(b'{"id":1,"result":["0x1","0x2","0xzz"]}') is None


@pytest.mark.parametrize("line", [
    b'{"id":1,"method":"eth_submitLogin","params":[]}',
    b'{"id":1,"method":"eth_submitLogin","params":[5]}',
    b'{"id":1,"method":"eth_submitWork","params":["0x1","0x2"]}',
    b'{"id":1,"method":"eth_submitHashrate","params":"0x1"}',
    b'{"id":0,"result":["0x1","0x2","0xnothex"]}',
])
def test_bad_shapes_raise_decode_error(line):
    with pytest.raises(DecodeError):
        _decode(line)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=70),
                           lambda inner: st.lists(inner, max_size=5), max_leaves=12)


@given(st.sampled_from(["eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate",
                        "mining.notify", "mining.submit", "mining.set_difficulty", None]),
       json_values, json_values)
def test_random_params_raise_only_decode_error(method, params, result):
    msg = RpcMessage(id=0, method=method, params=params, result=result)
    try:
        eth.decode(msg)
        eth.recognise(msg)
    except DecodeError:
        pass
