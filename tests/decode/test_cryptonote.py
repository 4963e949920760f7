"""CryptoNote / XMRig login-job-submit records (xmrig-proxy STRATUM.md, STRATUM_EXT.md)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.decode import cryptonote as cn
from minewatch.decode.jsonrpc import RpcMessage, parse_message
from minewatch.decode.stratum_v1 import Reply
from minewatch.errors import DecodeError

ids = st.none() | st.integers(0, 10**6) | st.text(max_size=8)
name = st.text(max_size=30)
opt = st.none() | name
targets = st.sampled_from([4, 8]).flatmap(
    lambda n: st.binary(min_size=n, max_size=n)).map(bytes.hex)
jobs = st.builds(cn.Job, st.binary(min_size=1, max_size=80).map(bytes.hex), name, targets, opt,
                 st.none() | st.integers(0, 10**8), opt, opt)
RECORDS = st.one_of(
    st.builds(cn.Login, ids, name, opt, opt, opt, st.lists(name, max_size=4).map(tuple)),
    st.builds(cn.LoginResult, ids, opt, st.none() | jobs, st.lists(name, max_size=3).map(tuple),
              opt),
    st.builds(cn.JobNotify, jobs, ids),
    st.builds(cn.JobReply, ids, jobs),
    st.builds(cn.Submit, ids, opt, name, name, name, opt),
    st.builds(cn.Keepalived, ids, opt),
    st.builds(cn.GetJob, ids, opt),
    st.builds(Reply, ids, st.none() | st.just({"status": "OK"}),
              st.none() | st.just({"code": -1, "message": "Low difficulty share"})),
)

SPEC_LOGIN = (b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"48edfHu7V9Z84YzzMa6'
              b'fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD",'
              b'"pass":"x","agent":"XMRig/2.6.0-beta2 (Linux x86_64) libuv/1.8.0 gcc/5.4.0",'
              b'"algo":["cn","cn/0","cn/1"]}}')
SPEC_LOGIN_RESULT = (
    b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"1be0b7b6-b15a-47be-a17d-46b2911cf7d0",'
    b'"job":{"blob":"070780e6b9d60586ba419a0c224e3c6c3e134cc45c4fa04d8ee2d91c2595463c57eef0a4f0796c'
    b'000000002fcc4d62fa6c77e76c30017c768be5c61d83ec9d3a085d524ba8053ecc3224660d","job_id":"q7PLUP'
    b'L25UV0z5Ij14IyMk8htXbj","target":"b88d0600","algo":"cn/r","id":"1be0b7b6"},'
    b'"extensions":["algo","nicehash"],"status":"OK"}}')


def _decode(line: bytes):
    return cn.decode(parse_message(line))


@given(RECORDS)
def test_decode_encode_round_trip(record):
    assert _decode(cn.encode(record)) == record


def test_spec_login_and_result():
    login = _decode(SPEC_LOGIN)
    assert login.login.startswith("48edf") and login.password == "x"
    assert login.agent.startswith("XMRig/2.6.0") and login.algos == ("cn", "cn/0", "cn/1")
    assert login.worker is None  # "x" is a placeholder, not a rig name
    assert cn.Login(1, "w", "rig7").worker == "rig7"
    assert cn.Login(1, "w", "x", rigid="r").worker == "r"
    result = _decode(SPEC_LOGIN_RESULT)
    assert isinstance(result, cn.LoginResult) and result.status == "OK"
    assert result.session_id == "1be0b7b6-b15a-47be-a17d-46b2911cf7d0"
    job = result.job
    assert (job.target, job.algo, job.session_id) == ("b88d0600", "cn/r", "1be0b7b6")
    assert result.extensions == ("algo", "nicehash")


def test_job_submit_keepalive_and_replies():
    job = _decode(b'{"jsonrpc":"2.0","method":"job","params":{"blob":"0707d5ef",'
                  b'"job_id":"4BiGm3/RgGQz","target":"b88d0600","height":2300000,'
                  b'"seed_hash":"ab","algo":"rx/0"}}')
    assert isinstance(job, cn.JobNotify) and job.id is None and job.job.height == 2300000
    submit = _decode(b'{"method": "submit", "params": {"id": "843393400195054", "job_id": '
                     b'"333972526853904", "nonce": "95565503", "result": "1b3f259a"}, "id":4}')
    assert submit == cn.Submit(4, "843393400195054", "333972526853904", "95565503", "1b3f259a")
    keep = _decode(b'{"id":2,"method":"keepalived","params":{"id":"1be0b7b6"}}')
    assert keep == cn.Keepalived(2, "1be0b7b6")
    ok = _decode(b'{"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}}')
    low = _decode(b'{"id":2,"jsonrpc":"2.0","error":{"code":-1,"message":"Low difficulty share"}}')
    alive = _decode(b'{"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"KEEPALIVED"}}')
    assert cn.accepted(ok) and not cn.accepted(low) and not cn.accepted(alive)


def test_recognise():
    assert cn.recognise(parse_message(SPEC_LOGIN)) == "cryptonote"
    assert cn.recognise(parse_message(SPEC_LOGIN_RESULT)) == "cryptonote"
    assert cn.recognise(parse_message(b'{"id":1,"method":"login","params":["user","pw"]}')) is None
    assert cn.recognise(parse_message(b'{"id":1,"result":{"status":"OK"}}')) is None


@pytest.mark.parametrize("line", [
    b'{"id":1,"method":"login","params":{"pass":"x"}}',
    b'{"id":1,"method":"login","params":["w","x"]}',
    b'{"id":1,"method":"job","params":{"blob":"00","job_id":"1","target":"xyz"}}',
    b'{"id":1,"method":"job","params":{"blob":"00","job_id":"1","target":"abc"}}',
    b'{"id":1,"method":"submit","params":{"job_id":"1","nonce":"00"}}',
    b'{"id":1,"result":{"job":{"blob":"00"}}}',
])
def test_bad_shapes_raise_decode_error(line):
    with pytest.raises(DecodeError):
        _decode(line)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(["login", "job", "blob", "job_id", "target", "id",
                                                "nonce", "result", "algo", "height"]), inner,
                               max_size=6), max_leaves=16)


@given(st.sampled_from(["login", "job", "submit", "keepalived", "getjob", None]), json_values,
       json_values)
def test_random_params_raise_only_decode_error(method, params, result):
    msg = RpcMessage(id=1, method=method, params=params, result=result)
    try:
        cn.decode(msg)
        cn.recognise(msg)
    except DecodeError:
        pass
