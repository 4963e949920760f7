"""`minewatch probe`: fake pools on 127.0.0.1 for each dialect, and endpoints that are not pools."""

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from minewatch.cli.main import app
from minewatch.cli.probe import parse_rate
from minewatch.decode import cryptonote, ethstratum, stratum_v1
from minewatch.decode.jsonrpc import LineFramer, parse_message
from minewatch.detect.probe import (
    DUMMY_XMR_WALLET,
    HANDSHAKES,
    Attempt,
    ProbeConfig,
    Prober,
    TokenBucket,
    converse,
    parse_endpoint,
)
from minewatch.errors import UsageError

FAST = 6000  # probes per minute: 10 ms apart, so the limiter does not slow the other tests
HEADER = "0x" + "ab" * 32
BOUNDARY = "0x0000000225c17d04dad2965cc5a02a23e254c0c3f75d9178046aeb27ce1ca574"


class FakeServer:
    """TCP (or TLS) server on an ephemeral 127.0.0.1 port running handler(conn, server) for each
    connection in a thread. Bounded: 16 connections, 20 s of serving, 5 s per socket read."""

    def __init__(self, handler, tls: ssl.SSLContext | None = None):
        self.handler, self.tls = handler, tls
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.seen: list = []  # messages the handlers read
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        deadline = time.monotonic() + 20
        while not self._stop.is_set() and time.monotonic() < deadline and self.connections < 16:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        conn.settimeout(5)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn:
                self.handler(conn, self)
        except (OSError, ssl.SSLError):
            pass


def messages(conn, server, limit=10):
    """The JSON-RPC messages a client sends, until it closes (bounded by count and timeout)."""
    framer = LineFramer()
    for _ in range(limit):
        data = conn.recv(4096)
        if not data:
            return
        for line in framer.feed(data):
            msg = parse_message(line)
            server.seen.append(msg)
            yield msg


def stratum_pool(conn, server):
    for msg in messages(conn, server):
        if msg.method == "mining.subscribe":
            conn.sendall(stratum_v1.encode(stratum_v1.SubscribeReply(
                msg.id, (("mining.notify", "ae68"),), "08000002", 4)))
        elif msg.method == "mining.authorize":
            conn.sendall(stratum_v1.encode(stratum_v1.Reply(msg.id, True))
                         + stratum_v1.encode(stratum_v1.SetDifficulty(None, 16384))
                         + stratum_v1.encode(stratum_v1.Notify(
                             None, "4f", "00" * 32, "01", "02", ("aa" * 32,), "20000000",
                             "1705ae3a", "6579f3a0", True)))
        else:
            conn.sendall(stratum_v1.encode(stratum_v1.Reply(msg.id, None, [20, "Unknown method",
                                                                           None])))


def ethproxy_pool(conn, server):
    for msg in messages(conn, server):
        if msg.method == "eth_submitLogin":
            conn.sendall(ethstratum.encode(ethstratum.Reply(msg.id, True)))
        elif msg.method == "eth_getWork":
            conn.sendall(ethstratum.encode(ethstratum.WorkPackage(msg.id, HEADER, HEADER,
                                                                  BOUNDARY)))
        else:
            conn.sendall(ethstratum.encode(ethstratum.Reply(
                msg.id, None, {"code": -32601, "message": "Method not found"})))


JOB = cryptonote.Job("07" * 76, "j1", "b88d0600", "rx/0", 3000000, "cd" * 32)


def cryptonote_pool(conn, server):
    for msg in messages(conn, server):
        if msg.method != "login":
            return  # as xmrig-proxy does with a method it does not know: hang up
        conn.sendall(cryptonote.encode(cryptonote.LoginResult(msg.id, "s1", JOB, ("keepalive",),
                                                              "OK")))


def cryptonote_refusing(conn, server):
    for msg in messages(conn, server):
        conn.sendall(cryptonote.encode(cryptonote.Reply(
            msg.id, None, {"code": -1, "message": "Invalid payment address provided"})))


def http_server(conn, server):
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def silent(conn, server):
    while conn.recv(4096):  # never answers; returns when the client hangs up (or after 5 s)
        pass


def prober(dialect="auto", timeout=3.0, **kw) -> Prober:
    return Prober(ProbeConfig(dialect=dialect, timeout_s=timeout, rate_per_min=FAST, **kw),
                  TokenBucket(FAST))


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def test_stratum_v1_pool():
    with FakeServer(stratum_pool) as server:
        r = prober("stratum-v1").probe(server.endpoint)
    assert (r.verdict, r.dialect) == ("pool", "stratum-v1")
    assert r.said["subscribe"]["extranonce1"] == "08000002" and r.said["authorized"] is True
    assert r.said["difficulty"] == 16384
    assert r.said["job"]["shape"] == "bitcoin" and r.said["job"]["job_id"] == "4f"
    sub, auth = server.seen[:2]
    assert sub.method == "mining.subscribe" and sub.params[0].startswith("minewatch-probe/")
    assert auth.method == "mining.authorize" and auth.params[0] == "minewatch-probe"
    assert r.elapsed_ms < 2000 and json.loads(r.to_json())["verdict"] == "pool"


@pytest.mark.parametrize("dialect", ["ethproxy", "auto"])
def test_ethproxy_pool(dialect):
    with FakeServer(ethproxy_pool) as server:
        r = prober(dialect).probe(server.endpoint)
    assert (r.verdict, r.dialect) == ("pool", "ethproxy")
    assert r.said["login"] is True and r.said["job"]["shape"] == "ethash"
    assert r.said["job"]["boundary"] == BOUNDARY
    if dialect == "auto":  # stratum-v1 first, told "Method not found": not a pool answer
        assert [t["outcome"] for t in r.tried] == ["no pool answer", "pool"]


def test_cryptonote_pool_found_by_auto():
    with FakeServer(cryptonote_pool) as server:
        r = prober("auto").probe(server.endpoint)
    assert (r.verdict, r.dialect) == ("pool", "cryptonote")
    assert [t["outcome"] for t in r.tried] == ["closed", "closed", "pool"]
    assert r.said["job"] == {"shape": "cryptonote", "job_id": "j1", "target": "b88d0600",
                             "algo": "rx/0", "height": 3000000, "seed_hash": "cd" * 32,
                             "blob_bytes": 76}
    assert r.said["login"]["status"] == "OK"
    login = server.seen[-1]
    assert login.params["login"] == DUMMY_XMR_WALLET and len(DUMMY_XMR_WALLET) == 95
    assert login.params["agent"].startswith("minewatch-probe/")


def test_refused_dummy_wallet_is_still_a_pool():
    with FakeServer(cryptonote_refusing) as server:
        r = prober("cryptonote").probe(server.endpoint)
    assert r.verdict == "pool" and r.evidence == ["login refused"]
    assert r.said["errors"] == ["login: Invalid payment address provided"]


def test_http_server_is_not_a_pool():
    with FakeServer(http_server) as server:
        r = prober("auto").probe(server.endpoint)
    assert r.verdict == "not-a-pool" and r.dialect is None
    assert r.said["banner"].startswith("HTTP/1.1 400") and len(r.tried) == 1
    assert r.error == "answers, but not in JSON-RPC lines"


def test_closed_port_is_unreachable():
    r = prober("auto").probe(f"127.0.0.1:{closed_port()}")
    assert r.verdict == "unreachable" and r.tried == [] and r.error


def test_silent_server_respects_the_timeout():
    with FakeServer(silent) as server:
        t0 = time.monotonic()
        r = prober("auto", timeout=0.6).probe(server.endpoint)
        took = time.monotonic() - t0
    assert r.verdict == "not-a-pool" and [t["outcome"] for t in r.tried] == ["no answer"] * 3
    assert 0.55 <= took < 1.5 and r.error.startswith("no answer within")


def test_rate_limit_spaces_probes_process_wide():
    config = ProbeConfig(dialect="stratum-v1", timeout_s=2, rate_per_min=600)  # one per 0.1 s
    first, second = Prober(config), Prober(config)  # no bucket given: the process's
    with FakeServer(stratum_pool) as server:
        first.probe(server.endpoint)  # may wait on an earlier test's use of the bucket
        t0 = time.monotonic()
        for p in (second, first, second, first):
            assert p.probe(server.endpoint).verdict == "pool"
        took = time.monotonic() - t0
    assert took >= 0.39 and first.bucket is second.bucket


def test_token_bucket_arithmetic():
    now, slept = [100.0], []

    def sleep(s):
        slept.append(round(s, 6))
        now[0] += s

    bucket = TokenBucket(30, capacity=2, clock=lambda: now[0], sleep=sleep)  # one per 2 s
    waits = [bucket.take() for _ in range(4)]
    assert [round(w, 6) for w in waits] == [0, 0, 2.0, 2.0] and slept == [2.0, 2.0]
    now[0] += 10  # idle: the bucket refills to its capacity, no further
    assert bucket.take() == 0 and bucket.take() == 0 and bucket.take() == 2.0


def _self_signed(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("no openssl binary to make a test certificate")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=pool.test",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def test_tls_pool_with_sni(tmp_path):
    ctx, names = _self_signed(tmp_path), []
    ctx.sni_callback = lambda sock, name, _ctx: names.append(name)
    with FakeServer(stratum_pool, tls=ctx) as server:
        r = prober("auto", tls=True).probe(f"localhost:{server.port}")
        by_url = prober("auto").probe(f"stratum+ssl://localhost:{server.port}")
    assert (r.verdict, r.dialect, r.tls) == ("pool", "stratum-v1", True)
    assert by_url.verdict == "pool" and by_url.tls and names[:2] == ["localhost", "localhost"]


def test_tls_probe_of_plain_server_fails_cleanly():
    with FakeServer(http_server) as server:
        r = prober("auto", timeout=1.0, tls=True).probe(server.endpoint)
    assert r.verdict == "not-a-pool" and r.error.startswith("TLS handshake failed")


def test_endpoints_and_rates():
    assert parse_endpoint("[::1]:3333") == ("::1", 3333, False)
    assert parse_endpoint("stratum+ssl://pool.example:443") == ("pool.example", 443, True)
    assert parse_endpoint("stratum+tcp://10.0.0.1:3333/") == ("10.0.0.1", 3333, False)
    for bad in ("pool.example", "pool:0", "http://x:80", ":3333"):
        with pytest.raises(UsageError):
            parse_endpoint(bad)
    assert parse_rate("30/min") == 30 and parse_rate("2/s") == 120 and parse_rate("12") == 12
    with pytest.raises(UsageError):
        ProbeConfig(rate_per_min=0)


def test_cli(tmp_path):
    runner = CliRunner()
    with FakeServer(stratum_pool) as server:
        out = runner.invoke(app, ["probe", server.endpoint, f"127.0.0.1:{closed_port()}",
                                  "--dialect", "stratum-v1", "--timeout", "2",
                                  "--rate-limit", "6000/min"])
    assert out.exit_code == 0, out.output
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["verdict"] for x in lines] == ["pool", "unreachable"]
    assert lines[0]["endpoint"] == server.endpoint and lines[0]["elapsed_ms"] > 0
    strict = runner.invoke(app, ["probe", f"127.0.0.1:{closed_port()}", "--strict",
                                 "--rate-limit", "6000/min"])
    assert strict.exit_code == 65
    for args in (["nohost"], ["127.0.0.1:1", "--rate-limit", "fast"],
                 ["127.0.0.1:1", "--rate-limit", "0/min"], ["127.0.0.1:1", "--dialect", "x"]):
        assert runner.invoke(app, ["probe", *args]).exit_code == 2, args


class ScriptedConversation:
    """Stands in for a connection: what was sent is dropped, the lines given are read back."""

    def __init__(self, lines):
        self.lines, self.closed, self.head = list(lines), False, b""

    def send(self, data, until):
        pass

    def next_line(self, until):
        if not self.lines:
            self.closed = True
            return None
        return self.lines.pop(0)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=70)
                    | st.floats(allow_nan=False), lambda inner: st.lists(inner, max_size=9)
                    | st.dictionaries(st.sampled_from(["job", "blob", "job_id", "target", "id",
                                                       "status", "code", "message"]), inner,
                                      max_size=6), max_leaves=20)
METHODS = st.sampled_from([None, "mining.notify", "mining.set_difficulty", "mining.set_target",
                           "client.show_message", "client.reconnect", "job", "login",
                           "eth_getWork", "other"])
MESSAGES = st.fixed_dictionaries({"id": st.none() | st.integers(0, 3) | st.text(max_size=3),
                                  "method": METHODS, "params": JSON, "result": JSON,
                                  "error": JSON})


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(HANDSHAKES)), st.lists(MESSAGES | st.binary(max_size=40), max_size=8))
def test_any_answer_is_noted_without_raising(dialect, answers):
    lines = [json.dumps(m).encode() if isinstance(m, dict) else m for m in answers]
    a = Attempt(dialect)
    converse(ScriptedConversation(lines), HANDSHAKES[dialect], a, lambda: 0.0,
             time.monotonic() + 5)
    assert a.outcome in ("pool", "not json-rpc", "no pool answer", "closed", "no answer")
    json.dumps(a.said, default=str)
