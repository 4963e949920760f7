"""Stratum v1 (Bitcoin family, ZIP 301, KawPow) records."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import stratum_v1 as sv1
from minewatch.decode.jsonrpc import RpcMessage, parse_message
from minewatch.errors import DecodeError

hexstr = st.binary(min_size=1, max_size=40).map(bytes.hex)
hex32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
name = st.text(max_size=24)
ids = st.none() | st.integers(0, 10**9) | st.text(max_size=12)
diffs = st.integers(1, 2**53) | st.floats(1e-9, 1e15)
long_hex = st.binary(min_size=40, max_size=1400).map(bytes.hex)
nonce0x = st.binary(min_size=8, max_size=8).map(lambda b: "0x" + b.hex())
# A Bitcoin-family nonce is 32 bits (8 hex); past 66 hex chars a submit is a ZIP 301 solution.
nonce32 = st.binary(min_size=4, max_size=4).map(bytes.hex)

RECORDS = st.one_of(
    st.builds(sv1.Subscribe, ids, st.none() | name,
              st.lists(st.none() | name | st.integers(0, 65535), max_size=3).map(tuple)),
    st.builds(sv1.Authorize, ids, name, st.none() | name),
    st.builds(sv1.Configure, ids, st.lists(name, max_size=3).map(tuple),
              st.dictionaries(name, name | st.integers(), max_size=2)),
    st.builds(sv1.ExtranonceSubscribe, ids),
    st.builds(sv1.SetDifficulty, ids, diffs),
    st.builds(sv1.SetTarget, ids, hex32),
    st.builds(sv1.SetExtranonce, ids, hexstr, st.none() | st.integers(0, 16)),
    st.builds(sv1.Notify, ids, name, hex32, hexstr, hexstr, st.lists(hex32, max_size=4).map(tuple),
              hexstr, hexstr, hexstr, st.booleans()),
    st.builds(sv1.Zip301Notify, ids, name, hexstr, hex32, hex32, hex32, hexstr, hexstr,
              st.booleans(), st.lists(name, max_size=2).map(tuple)),
    st.builds(sv1.KawpowNotify, ids, name, hex32, hex32, hex32, st.booleans(),
              st.none() | st.integers(0, 10**7), st.none() | hexstr),
    st.builds(sv1.Submit, ids, name, name, hexstr, hexstr, nonce32, st.none() | hexstr),
    st.builds(sv1.Zip301Submit, ids, name, name, hexstr, hexstr, long_hex),
    st.builds(sv1.KawpowSubmit, ids, name, name, nonce0x, hex32.map(lambda h: "0x" + h),
              hex32.map(lambda h: "0x" + h)),
    st.builds(sv1.SuggestDifficulty, ids, diffs),
    st.builds(sv1.SuggestTarget, ids, hex32),
    st.builds(sv1.GetTransactions, ids, name),
    st.builds(sv1.Ping, ids),
    st.builds(sv1.GetVersion, ids),
    st.builds(sv1.Reconnect, ids, st.none() | name, st.none() | st.integers(1, 65535),
              st.none() | st.integers(0, 600)),
    st.builds(sv1.ShowMessage, ids, name),
    st.builds(sv1.Reply, ids, st.none() | st.booleans() | name,
              st.none() | st.just([21, "x", None])),
)


def _decode(line: bytes):
    return sv1.decode(parse_message(line))


@given(RECORDS)
def test_decode_encode_round_trip(record):
    wire = sv1.encode(record)
    assert wire.endswith(b"\n")
    assert _decode(wire) == record


def test_bitcoin_notify_from_a_real_pool():
    line = (b'{"method":"mining.notify","params":["274a-1","fbba9401ee005faba18d7bcd8444d9a2a3'
            b'ec320d002ac0380000000000000000","0100000001","ffffffff02",["bc688ddc","048287b3"],'
            b'"20000000","172f4f7b","5b646476",true],"id":1}')
    rec = _decode(line)
    assert isinstance(rec, sv1.Notify) and rec.id == 1
    assert (rec.job_id, rec.version, rec.nbits, rec.ntime, rec.clean) == (
        "274a-1", "20000000", "172f4f7b", "5b646476", True)
    assert rec.merkle_branch == ("bc688ddc", "048287b3")


def test_cgminer_submit_and_bip310_version_bits():
    rec = _decode(b'{"params": ["mn4jUMneEBjZuDPEdFuj6BmFPmehmrT2Zc", "1", "04000000", "5385c669",'
                  b' "1fe30b00"], "id": 3, "method": "mining.submit"}')
    assert rec == sv1.Submit(3, "mn4jUMneEBjZuDPEdFuj6BmFPmehmrT2Zc", "1", "04000000",
                             "5385c669", "1fe30b00")
    rec = _decode(b'{"id":4,"method":"mining.submit",'
                  b'"params":["w","j","00","5385c669","1f","1fffe000"]}')
    assert rec.version_bits == "1fffe000"


def test_zip301_shapes():
    notify = _decode(b'{"id":null,"method":"mining.notify","params":["1","04000000","aa","bb","cc",'
                     b'"5f5e1000","1d0fffff",true,"144_5","ZcashPoW"]}')
    assert isinstance(notify, sv1.Zip301Notify) and notify.extra == ("144_5", "ZcashPoW")
    submit = _decode(b'{"id":9,"method":"mining.submit","params":["t1x.rig","1","5f5e1000","00ff",'
                     b'"fd4005' + b"ab" * 1344 + b'"]}')
    assert isinstance(submit, sv1.Zip301Submit) and submit.solution.startswith("fd4005")
    target = _decode(b'{"id":null,"method":"mining.set_target","params":["0007ffff'
                     + b"0" * 56 + b'"]}')
    assert isinstance(target, sv1.SetTarget)


@pytest.mark.parametrize("params,size", [((200, 9), 1344), ((144, 5), 100), ((125, 4), 52),
                                         ((192, 7), 400), ((210, 9), 1408), ((96, 5), 68)])
def test_an_equihash_solution_names_its_parameters_by_its_size(params, size):
    """2**k indices of n/(k+1)+1 bits: 1,344 bytes for 200,9 (Zcash protocol spec 7.6.1), sent
    with the CompactSize length in front (fd4005), or bare."""
    body = "ab" * size
    prefix = f"fd{size.to_bytes(2, 'little').hex()}" if size >= 0xFD else f"{size:02x}"
    assert sv1.equihash_params(prefix + body) == params
    assert sv1.equihash_params(body) == params
    assert sv1.equihash_params("ab" * (size + 7)) is None
    assert sv1.equihash_params(("fd0000" if size >= 0xFD else "00") + body) is None


def test_a_zhash_job_names_its_parameters():
    assert sv1.zhash_params(("144_5", "BgoldPoW")) == (144, 5)
    assert sv1.zhash_params(("125_4",)) == (125, 4)
    for extra in ((), ("ZcashPoW",), ("144_6",), ("x_5",), (144,)):
        assert sv1.zhash_params(extra) is None


def test_kawpow_shapes():
    t = "00000000ffff" + "0" * 52
    notify = _decode(('{"id":null,"method":"mining.notify","params":["6f","' + "ab" * 32 + '","'
                      + "cd" * 32 + '","' + t + '",true,1800000,"1b00f0ff"]}').encode())
    assert isinstance(notify, sv1.KawpowNotify)
    assert (notify.target, notify.height, notify.nbits) == (t, 1800000, "1b00f0ff")
    submit = _decode(('{"id":5,"method":"mining.submit","params":["w","6f","0x00112233aabbccdd","0x'
                      + "ab" * 32 + '","0x' + "ef" * 32 + '"]}').encode())
    assert isinstance(submit, sv1.KawpowSubmit)


def test_subscribe_variants():
    assert _decode(b'{"id":1,"method":"mining.subscribe","params":[]}') == sv1.Subscribe(1)
    rec = _decode(b'{"id":1,"method":"mining.subscribe","params":["GMiner/2.09",null,'
                  b'"rvnt.minermore.com","4505"]}')
    assert rec.agent == "GMiner/2.09" and rec.host == "rvnt.minermore.com"
    es1 = _decode(b'{"id":1,"method":"mining.subscribe","params":["x/1","EthereumStratum/1.0.0"]}')
    assert es1.protocol == "EthereumStratum/1.0.0"


def test_replies_and_errors():
    stale = _decode(b'{"id":5,"result":null,"error":[21,"Job not found (=stale)",null]}')
    assert not stale.ok and stale.error_code == 21 and "stale" in stale.error_message
    json2 = _decode(b'{"id":1,"jsonrpc":"2.0","result":null,'
                    b'"error":{"code":23,"message":"Invalid share"}}')
    assert (json2.error_code, json2.error_message) == (23, "Invalid share")
    assert _decode(b'{"id":2,"result":true,"error":null}').ok
    sub = sv1.decode_subscribe_reply(_decode(
        b'{"result":[[["mining.notify","1"],["mining.set_difficulty","2"]],"00b61738",4],'
        b'"error":null,"id":0}'))
    assert (sub.extranonce1, sub.extranonce2_size) == ("00b61738", 4)


def test_unknown_methods_are_kept():
    rec = _decode(b'{"id":7,"method":"mining.multi_version","params":[1]}')
    assert rec == sv1.Unknown(7, "mining.multi_version", [1])
    assert sv1.recognise(parse_message(b'{"id":7,"method":"mining.multi_version"}')) == "stratum-v1"
    assert sv1.recognise(parse_message(b'{"id":7,"method":"client.anything"}')) is None


@pytest.mark.parametrize("line", [
    b'{"id":1,"method":"mining.set_difficulty","params":[0]}',
    b'{"id":1,"method":"mining.set_difficulty","params":[-4]}',
    b'{"id":1,"method":"mining.set_difficulty","params":["lots"]}',
    b'{"id":1,"method":"mining.set_difficulty","params":[1e999]}',
    b'{"id":1,"method":"mining.set_difficulty","params":[' + b"9" * 400 + b"]}",
    b'{"id":1,"method":"mining.set_difficulty","params":[true]}',
    b'{"id":1,"method":"mining.set_target","params":["xyz"]}',
    b'{"id":1,"method":"mining.notify","params":["a","b","c",true]}',
    b'{"id":1,"method":"mining.notify","params":{"job":1}}',
    b'{"id":1,"method":"mining.submit","params":["w","j","n"]}',
    b'{"id":1,"method":"mining.authorize","params":[]}',
    b'{"id":1,"method":"mining.submit","params":[1,2,3,4,5]}',
])
def test_bad_shapes_raise_decode_error(line):
    with pytest.raises(DecodeError):
        _decode(line)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats()
                           | st.text(max_size=70),
                           lambda inner: st.lists(inner, max_size=10) | st.dictionaries(
                               st.text(max_size=5), inner, max_size=3), max_leaves=20)


@given(st.sampled_from(sorted(sv1.PARSERS)), json_values, json_values)
def test_random_params_raise_only_decode_error(method, params, msg_id):
    msg = RpcMessage(id=msg_id if not isinstance(msg_id, (list, dict)) else None, method=method,
                     params=params)
    try:
        sv1.decode(msg)
    except DecodeError:
        pass


# The first bytes of two real jobs' coinb1 (../shared/data/pcaps): BitMinter's, pushing 03
# ea2908 (block 535,018), and a Litecoin testnet pool's, pushing 03 4b5404 (block 283,723)
BITMINTER_COINB1 = ("01000000" "01" + "00" * 32 + "ffffffff" "4d" "03ea2908"
                    "094269744d696e746572")
TESTNET_COINB1 = "01000000" "01" + "00" * 32 + "ffffffff" "27" "034b5404" "062f503253482f"


def _coinb1(height_push: str, script_len: int = 40, prevout: str = "00" * 32) -> str:
    return "02000000" "01" + prevout + "ffffffff" + f"{script_len:02x}" + height_push + "00" * 8


@pytest.mark.parametrize("coinb1, height", [
    (BITMINTER_COINB1, 535_018),
    (TESTNET_COINB1, 283_723),
    (_coinb1("03" "a0bb0d"), 900_000),  # 0x0dbba0, little-endian
    (_coinb1("04" "00000001"), 1 << 24),
    (_coinb1("02" "ff00"), 255),  # 0xff needs a sign byte: 2 bytes
    (_coinb1("03" "a0bb8d"), None),  # the sign bit: a negative number is no height
    (_coinb1("51"), None),  # OP_1: heights up to 16 tell nothing
    (_coinb1("4c" "03a0bb0d"), None),  # OP_PUSHDATA1: not how BIP 34 pushes a height
    (_coinb1("03" "a0bb0d", script_len=101), None),  # scriptSig over 100 bytes
    (_coinb1("03" "a0bb0d", prevout="11" * 32), None),  # spends an output: no coinbase
    (_coinb1("03" "a0bb0d")[:86], None),  # cut inside the push
    ("01000000", None), ("", None), ("zz" * 50, None), (BITMINTER_COINB1 + "0", None),
])
def test_coinbase_height_is_bip34s_first_push(coinb1, height):
    assert sv1.coinbase_height(coinb1) == height


@given(st.integers(17, 2**31 - 1))
def test_coinbase_height_round_trips_minimal_pushes(height):
    body = height.to_bytes((height.bit_length() + 8) // 8, "little")  # room for the sign bit
    body = body[:-1] if len(body) > 1 and body[-1] == 0 and not body[-2] & 0x80 else body
    assert sv1.coinbase_height(_coinb1(f"{len(body):02x}" + body.hex())) == height


@pytest.mark.parametrize("nbits, target", [
    ("1d00ffff", 0xFFFF << 208),  # Bitcoin's limit: difficulty 1
    ("1d7b5889", 0x7B5889 << 208),  # the Litecoin testnet job's
    ("207fffff", 0x7FFFFF << 232),  # regtest
    ("17376f56", 0x376F56 << 160),  # a Bitcoin job of August 2018
    ("03123456", 0x123456), ("02123456", 0x1234), ("01123456", 0x12),
    ("1d80ffff", None),  # the sign bit
    ("1d00fff", None), ("1d00ffffff", None), ("1d00fffg", None), ("1d_0ffff", None),
])
def test_compact_target(nbits, target):
    assert sv1.compact_target(nbits) == target


# the Litecoin capture's job says 5385c669: 1401276009, its packets' own capture time
@pytest.mark.parametrize("ntime, ts", [("5b63f67d", 0x5B63F67D), ("5385C669", 1401276009),
                                       ("5b63f6", None), ("5b63f67d00", None), ("zzzzzzzz", None)])
def test_header_time(ntime, ts):
    assert sv1.header_time(ntime) == ts
