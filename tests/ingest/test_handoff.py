"""The compiled steady state of pool sessions (detect.steady, ingest.handoff) reads what the
Python session reads: every table equal with it and without it.

The conversations are built to make the compiled reader hand back and take over often: tiny
batches (a hand-off happens after every batch), segments cut anywhere (lines split, several
per segment), retransmissions, overlaps, reordering, loss, long pauses, port reuse, and the
messages it must leave to Python (errors, escapes, new difficulties written oddly, other
methods, dialect upgrades, ids it cannot hold). Real captures and a simulated province are
compared too.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from minewatch.ingest import capture, frames
from minewatch.ingest.capture import read_capture

import tcp_conversations
from tcp_conversations import assert_same, capture_bytes

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"


def read(data: bytes, steady: bool):
    tables, ingest, _ = read_capture(io.BytesIO(data), "in", "cap", steady=steady)
    return tables, ingest


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(frames, "READ", 2048)
    monkeypatch.setattr(frames, "BATCH", 5)
    monkeypatch.setattr(capture, "EXPIRE_EVERY", 40)


# --- conversations ------------------------------------------------------------------------------

def line(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


DIALECTS = ("stratum-v1", "ethereumstratum", "ethproxy", "zip301", "ethproxy-http", "cryptonote")
WALLETS = {"stratum-v1": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.w1",
           "ethereumstratum": "0x" + "ab" * 20 + ".rig1", "ethproxy": "0x" + "cd" * 20,
           "zip301": "t1KzZ5n2TPEGYXTZ3WYGL1AYEumEQaRoHaL.z1",
           "cryptonote": "4" + "A" * 94}
TARGETS = ["b88d0600", "e4a60a00", "ffffff00"]  # CryptoNote share targets (little-endian)
BOUNDARIES = ["0x" + "0" * 8 + "f" * 56, "0x" + "0" * 10 + "f" * 54, "0x00000000ffff" + "0" * 52]


def opening(dialect: str) -> list[tuple[bool, bytes]]:
    login = WALLETS[dialect]
    if dialect == "cryptonote":
        job = notify(dialect, "j0", True, None)["params"]
        return [(True, line({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
                    "login": login, "pass": "x", "agent": "XMRig/6.21.0", "algo": ["rx/0"]}})),
                (False, line({"id": 1, "jsonrpc": "2.0", "error": None, "result": {
                    "id": "s1", "job": job, "extensions": ["algo"], "status": "OK"}}))]
    if dialect == "ethproxy":
        return [(True, line({"id": 1, "method": "eth_submitLogin", "params": [login, "x"],
                             "worker": "rig1"})),
                (False, line({"id": 1, "result": True, "error": None}))]
    agent = ["cgminer/4.10", "EthereumStratum/1.0.0"] if dialect == "ethereumstratum" \
        else ["bfgminer/5.5"]
    return [(True, line({"id": 1, "method": "mining.subscribe", "params": agent})),
            (False, line({"id": 1, "result": [[], "0800", 4], "error": None})),
            (True, line({"id": 2, "method": "mining.authorize", "params": [login, "x"]})),
            (False, line({"id": 2, "result": True, "error": None})),
            (False, line({"id": None, "method": "mining.set_difficulty", "params": [512]}))]


def notify(dialect: str, job: str, clean: bool, rng, msg_id=0) -> dict:
    if dialect == "cryptonote":  # a job keeps its target
        return {"jsonrpc": "2.0", "method": "job", "params": {
            "blob": "07" * 38, "job_id": job, "target": TARGETS[len(job) % len(TARGETS)],
            "algo": "rx/0", "height": 3000000, "seed_hash": "ab" * 32}}
    if dialect == "ethproxy":  # a work package, pushed (id 0) or answering eth_getWork
        pick = int(job[-2:], 16) % (len(BOUNDARIES) + 1)  # a job keeps its target
        boundary = BOUNDARIES[pick] if pick < len(BOUNDARIES) else "0x00000" + job[-11:] + "f" * 48
        return {"id": msg_id, "jsonrpc": "2.0", "result": [job, "0x" + "ee" * 32, boundary]}
    if dialect == "ethereumstratum":
        params = [job, "aa" * 32, "bb" * 32, clean]
    elif dialect == "zip301":
        params = [job, "04000000", "00" * 32, "11" * 32, "00" * 32, "5f5e1000", "1d00ffff", clean]
    else:
        params = [job, "00" * 32, "01", "02", ["cc" * 32, "dd" * 32], "20000000", "1a2b3c4d",
                  "5f5e1000", clean]
    return {"id": None, "method": "mining.notify", "params": params}


def new_job(dialect: str, rng) -> str:
    if dialect == "ethproxy":
        return "0x" + "".join(f"{int(x):02x}" for x in rng.integers(0, 256, 32))
    return f"{int(rng.integers(1 << 40)):x}"


def job_again(jobs: list[str], dialect: str, rng) -> str:
    """A new job, or one announced before (just before, or a while ago), or one whose id is
    longer than compiled code holds."""
    r = rng.random()
    if jobs and r < 0.1:
        return jobs[-int(rng.integers(1, min(len(jobs), 150) + 1))]
    if r < 0.13:
        return new_job(dialect, rng) + "f" * 80
    return new_job(dialect, rng)


def submit(dialect: str, msg_id, login: str, job: str) -> dict:
    if dialect == "cryptonote":
        return {"id": msg_id, "jsonrpc": "2.0", "method": "submit", "params": {
            "id": "s1", "job_id": job, "nonce": "0a0b0c0d", "result": "ab" * 32, "algo": "rx/0"}}
    if dialect == "ethproxy":
        return {"id": msg_id, "method": "eth_submitWork", "worker": "rig1",
                "params": ["0x00ff00ff00ff00ff", job, "0x" + "ab" * 32]}
    params = {"ethereumstratum": [login, job, "00ff00ff"],
              "zip301": [login, job, "5f5e1000", "00000001", "fe" * 100]}.get(
        dialect, [login, job, "00000001", "5f5e1000", "abcd"])
    return {"id": msg_id, "method": "mining.submit", "params": params}


def repricing(dialect: str, rng) -> dict | None:
    """A new difficulty or share target (ETHProxy's comes with its jobs)."""
    if dialect in ("ethproxy", "cryptonote"):
        return None
    if dialect != "ethereumstratum" and rng.random() < 0.3:
        target = ["00000fff" + "f" * 56, "0000ffff" + "f" * 56, "0x00ff" + "f" * 60,
                  f"{int(rng.integers(1 << 40)):016x}" + "f" * 48][int(rng.integers(4))]
        return {"id": None, "method": "mining.set_target", "params": [target]}
    value = [512, 1024, 0.5, 1e-05, 65536, 3.25][int(rng.integers(6))]
    if rng.random() < 0.3:  # a vardiff pool's new value: compiled code interns the sure ones
        value = [int(rng.integers(1, 1 << 20)), float(f"{rng.uniform(0, 5000):.3g}"),
                 float(f"{rng.uniform(0, 1e-3):.2g}")][int(rng.integers(3))]
    return {"id": None, "method": "mining.set_difficulty", "params": [value]}


def reply(msg_id, kind: float, dialect: str = "") -> dict:
    if kind < 0.8 and dialect == "cryptonote":
        return {"id": msg_id, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}
    if kind < 0.8:
        return {"id": msg_id, "result": True, "error": None}
    if kind < 0.9:
        return {"id": msg_id, "result": False, "error": None}
    if kind < 0.95:  # an error: compiled code reads [code, "message", ...] with a message
        errors = [[21, "Job not found", None], [23, "Low difficulty share", None],
                  [22, "Duplicate SHARE", None], [20, "", None], [24, "  ", None], [21],
                  {"code": 21, "message": "Stale share"}, [-1, None, None], [25, "expired!"]]
        error = errors[int((kind - 0.9) / 0.05 * len(errors))]
        return {"id": msg_id, "result": False if len(error) == 2 else None, "error": error}
    return {"id": 99999, "result": True, "error": None}


def extra(dialect: str, msg_id: int, rng) -> list[tuple[bool, dict]]:
    """ETHProxy's hashrate reports and polls (a poll answered by a work package); XMRig's
    keepalives; EthereumStratum/2.0.0's hashrate reports (compiled code leaves them to
    Python)."""
    if dialect == "ethereumstratum":
        rate = f"{int(rng.integers(1, 1 << 40)):x}"
        return [(True, {"id": msg_id, "method": "mining.hashrate", "params": [rate, "0001"]}),
                (False, {"id": msg_id, "result": True, "error": None})]
    if dialect == "cryptonote":
        return [(True, {"id": msg_id, "jsonrpc": "2.0", "method": "keepalived",
                        "params": {"id": "s1"}}),
                (False, {"id": msg_id, "jsonrpc": "2.0", "error": None,
                         "result": {"status": "KEEPALIVED"}})]
    if dialect != "ethproxy":
        return []
    if rng.random() < 0.5:
        rate = "0x" + f"{int(rng.integers(1, 1 << 40)):064x}"
        return [(True, {"id": msg_id, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                        "params": [rate, "0x" + "12" * 32], "worker": "rig1"})]
    return [(True, {"id": msg_id, "method": "eth_getWork", "params": []}),
            (False, notify(dialect, new_job(dialect, rng), True, rng, msg_id))]


ODD = [  # what the compiled reader must leave to Python
    b'{"id":null,"method":"mining.set_difficulty","params":["2048"]}\n',
    b'{"id":null,"method":"mining.set_difficulty","params":[1.0e3]}\n',
    b'{"id":77,"method":"mining.ping","params":[]}\n',
    b'{"id":null,"method":"client.show_message","params":["caf\\u00e9"]}\n',
    b'{"id":null,"method":"mining.notify","params":["e1","aa","bb",true]}\n',
    b'not json at all\n',
    b'   \r\n',
    b'{"id":[1,2],"result":true,"error":null}\n',
    b'{"id":1.0,"result":true,"error":null}\n',
    b'{"id":-0,"result":false,"error":null}\n',
    b'{"jsonrpc":"2.0","method":"job","params":{"blob":"07","job_id":"w1","target":"b88d0600",'
    b'"algo":"rx/wow"}}\n',
    b'{"jsonrpc":"2.0","method":"job","params":{"blob":"07","job_id":"d1","job_id":"d2",'
    b'"target":"b88d0600"}}\n',
    b'{"id":5,"jsonrpc":"2.0","error":null,"result":{"status":"OK","job":null}}\n',
]


def http(body: bytes, up: bool, head: dict) -> bytes:
    """An ETHProxy poll or its answer; head: "agent", "server", "sep" (line ending)."""
    sep = head.get("sep", "\r\n")
    if up:
        lines = [f"POST /{WALLETS['ethproxy']}/rig1 HTTP/1.1", "Host: pool.example:8545",
                 f"User-Agent: {head.get('agent', 'ethminer-0.18.0')}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}"]
    else:
        lines = ["HTTP/1.1 200 OK", f"Server: {head.get('server', 'pool/1.0')}",
                 f"content-length: {head.get('zeros', '')}{len(body)}"]
    return (sep.join(lines) + sep + sep).encode() + body


HTTP_ODD = ["agent", "server", "continue", "chunked", "html", "sep", "zeros", "folded",
            "pipelined"]


def http_conversation(rng, odd: bool) -> list[tuple[float, bool, bytes]]:
    """ethminer polling over one keep-alive HTTP connection: getWork, submitWork and
    submitHashrate, each answered in order; with `odd`, what the compiled reader leaves to
    Python (a new head, a new Server header, 100 Continue, chunked or HTML bodies, other line
    endings, folded headers) and pipelined requests."""
    msgs, head, jobs, n = [], {}, [new_job("ethproxy", rng)], 1
    for _ in range(int(rng.integers(100, 250))):
        r, n = rng.random(), n + 1
        if r < 0.6:
            ask = {"id": n, "jsonrpc": "2.0", "method": "eth_getWork", "params": []}
            if rng.random() < 0.2:
                jobs.append(new_job("ethproxy", rng))
            answer = notify("ethproxy", jobs[-1], True, rng, n)
        elif r < 0.85:
            ask = submit("ethproxy", n, "", jobs[-int(rng.integers(1, len(jobs) + 1))])
            answer = {"id": n, "jsonrpc": "2.0", "result": bool(rng.random() < 0.9)}
        else:
            ask = {"id": n, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                   "params": [f"0x{int(rng.integers(1, 1 << 40)):064x}", "0x" + "12" * 32]}
            answer = {"id": n, "jsonrpc": "2.0", "result": True}
        twist = HTTP_ODD[int(rng.integers(len(HTTP_ODD)))] if odd and rng.random() < 0.1 else ""
        if twist in ("agent", "server", "sep", "zeros"):
            head[twist] = {"agent": "ethminer-0.19.0", "server": "nginx", "sep": "\n",
                           "zeros": "00"}[twist]
        request, response = http(line(ask), True, head), http(line(answer), False, head)
        if twist == "continue":
            response = b"HTTP/1.1 100 Continue\r\n\r\n" + response
        elif twist == "chunked":
            body = line(answer)
            response = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
        elif twist == "html":
            response = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>"
        elif twist == "folded":
            request = request.replace(b"Content-Type", b"X-Note: a\r\n b\r\nContent-Type", 1)
        if twist == "pipelined" and msgs and msgs[-1][0]:
            msgs.insert(len(msgs) - 1, (True, request))
        else:
            msgs.append((True, request))
        msgs.append((False, response))
    return msgs


def conversation(rng, dialect: str, odd: bool, long: bool = False
                 ) -> list[tuple[float, bool, bytes]]:
    """(ts, up, bytes) of a pool session: opening, then jobs, shares and replies. A `long` one
    announces hundreds of jobs (some again, some with ids too long for compiled code) and
    sends shares for jobs far out of the job window."""
    msgs = http_conversation(rng, odd) if dialect == "ethproxy-http" else opening(dialect)
    if rng.random() < 0.25 and dialect != "ethproxy-http":
        msgs = []  # a capture begun mid-session: no login (ETHProxy's shares never name one)
    login = "worker" + str(rng.integers(10)) if rng.random() < 0.3 else "w.rig"
    jobs, pending, next_id = [], [], 10
    sizes, (p_job, p_share), reach = ((600, 900), (0.35, 0.65), 160) if long \
        else ((150, 300), (0.15, 0.5), 40)
    for _ in range(int(rng.integers(*sizes)) * (dialect != "ethproxy-http")):
        r = rng.random()
        if r < p_job or not jobs:
            jobs.append(job_again(jobs, dialect, rng) if long else new_job(dialect, rng))
            msgs.append((False, line(notify(dialect, jobs[-1], bool(rng.random() < 0.5), rng))))
        elif r < p_share:
            kind = int(rng.integers(3)) if rng.random() < 0.2 else 0
            msg_id = [next_id, str(next_id), None][kind]
            next_id += 1
            job = jobs[-int(rng.integers(1, min(len(jobs), reach) + 1))] if rng.random() < 0.95 \
                else "unknown-job"
            msgs.append((True, line(submit(dialect, msg_id, login, job))))
            if msg_id is not None:
                pending.append(msg_id)
        elif r < 0.8 and pending:
            msg_id = pending.pop(int(rng.integers(len(pending))) if rng.random() < 0.2 else 0)
            kind = rng.random() if odd else rng.random() * 0.9
            msgs.append((False, line(reply(msg_id, kind, dialect))))
        elif r < 0.9:
            change = repricing(dialect, rng)
            msgs += [(False, line(change))] if change else []
        elif r < 0.95:
            msgs += [(up, line(m)) for up, m in extra(dialect, next_id, rng)]
            next_id += 1
        elif odd:
            msgs.append((bool(rng.random() < 0.5), ODD[int(rng.integers(len(ODD)))]))
    t = 1000.0
    out = []
    for up, data in msgs:
        t += float(rng.exponential(2.0))
        out.append((t, up, data))
    return out


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("seed", range(8))
def test_clean_conversations_are_read_in_compiled_code_as_in_python(seed, dialect):
    rng = np.random.default_rng(seed)
    convs = [(conversation(rng, dialect, odd=False), False) for _ in range(3)]
    data = capture_bytes(convs, rng, ["fin", "rst", "open"][seed % 3], dialect != "ethproxy-http")
    (fast, fast_in), (slow, slow_in) = read(data, True), read(data, False)
    assert_same(fast, slow)
    assert fast["payload_sessions"].num_rows == 3
    assert fast_in.reader.handed >= 3 and fast_in.routed < slow_in.routed
    assert fast_in.reader.messages > fast["stratum_events"].num_rows / 3


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("seed", range(20))
def test_rough_conversations_are_read_in_compiled_code_as_in_python(seed, dialect):
    rng = np.random.default_rng(1000 + seed)
    convs = [(conversation(rng, dialect, odd=True), True) for _ in range(2)]
    data = capture_bytes(convs, rng, ["fin", "rst", "open"][seed % 3])
    (fast, fast_in), (slow, _) = read(data, True), read(data, False)
    assert_same(fast, slow)
    assert fast_in.reader.handed >= 1 or dialect == "ethproxy-http"  # (a lost or corrupted
    # byte in a request head stops Python's HTTP framer for good, and the session with it)


@pytest.mark.parametrize("dialect", ["stratum-v1", "ethereumstratum", "ethproxy", "cryptonote"])
@pytest.mark.parametrize("seed", range(3))
def test_long_job_windows_are_kept_alike_in_compiled_code_and_python(seed, dialect):
    """Hundreds of jobs: the compiled ring and Python's JobWindow drop the same ones, and
    price the shares for jobs out of the window alike."""
    rng = np.random.default_rng(2000 + seed)
    convs = [(conversation(rng, dialect, odd=False, long=True), bool(seed % 2))
             for _ in range(2)]
    data = capture_bytes(convs, rng, ["fin", "rst", "open"][seed % 3])
    (fast, fast_in), (slow, _) = read(data, True), read(data, False)
    assert_same(fast, slow)
    assert fast_in.reader.messages > fast["stratum_events"].num_rows / 4


def noise_conversation(rng) -> list[tuple[float, bool, bytes]]:
    """An encrypted Stratum V2 session: the Noise NX handshake (64 bytes up, 234 down), then
    transport messages, the miner's SetupConnection first."""
    msgs = [(True, rng.bytes(64)), (False, rng.bytes(234)), (True, rng.bytes(80))]
    msgs += [(bool(rng.random() < 0.5), rng.bytes(int(rng.integers(22, 300))))
             for _ in range(int(rng.integers(100, 300)))]
    t, out = 1000.0, []
    for up, data in msgs:
        t += float(rng.exponential(2.0))
        out.append((t, up, data))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_encrypted_sv2_sessions_are_counted_in_compiled_code_as_in_python(seed, monkeypatch):
    monkeypatch.setattr(tcp_conversations, "FIRST", 300)  # each key in one segment
    rng = np.random.default_rng(3000 + seed)
    convs = [(noise_conversation(rng), seed >= 3) for _ in range(2)]
    data = capture_bytes(convs, rng, ["fin", "rst", "open"][seed % 3], merge=False)
    (fast, fast_in), (slow, _) = read(data, True), read(data, False)
    assert_same(fast, slow)
    assert fast["payload_sessions"].num_rows == 2
    assert fast_in.reader.handed >= 2


def test_real_captures_read_the_same_with_the_compiled_steady_state():
    found = sorted(PCAPS.glob("*.pcap*")) if PCAPS.is_dir() else []
    if not found:
        pytest.skip("../shared/data/pcaps not present")
    handed = 0
    for path in found:
        data = path.read_bytes()
        (fast, fast_in), (slow, _) = read(data, True), read(data, False)
        assert_same(fast, slow)
        handed += fast_in.reader.handed
    assert handed >= 10  # the cgminer and litecoin captures settle into a steady state
