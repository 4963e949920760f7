"""ProxyTunnel: the pool dialect after a proxy preamble is read as if the miner had dialled
the pool, however the bytes are cut; bytes that are no preamble pass unchanged."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import proxy
from minewatch.decode.proxy import ProxyRequest
from minewatch.detect.stratum import StratumSession
from minewatch.detect.tunnel import ProxyTunnel

REQUESTS = [ProxyRequest(proxy.SOCKS5, "btc.pool.example", 3333, "u", "pw"),
            ProxyRequest(proxy.SOCKS5, "203.0.113.9", 3333),
            ProxyRequest(proxy.SOCKS4, "203.0.113.9", 3333, "rig"),
            ProxyRequest(proxy.SOCKS4A, "btc.pool.example", 3333),
            ProxyRequest(proxy.HTTP_CONNECT, "btc.pool.example", 3333)]
UP = b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.12.0"]}\n'
DOWN = b'{"id":1,"result":[[],"08000002",4],"error":null}\n'


def through(tunnel: ProxyTunnel, pieces) -> dict[str, bytes]:
    out = {"up": b"", "down": b""}
    for direction, data in pieces:
        for way, part in tunnel.feed(direction, data):
            out[way] += part
    return out


@settings(max_examples=200)
@given(st.sampled_from(REQUESTS), st.integers(1, 9), st.booleans())
def test_what_follows_the_preambles_is_passed_on_however_cut(req, size, pipelined):
    """The client may send its first message before the proxy answers (`pipelined`)."""
    up, down = proxy.encode_request(req) + UP, proxy.encode_reply(req) + DOWN
    cut = lambda d, data: [(d, data[k:k + size]) for k in range(0, len(data), size)]  # noqa
    request_len = len(proxy.encode_request(req))
    order = cut("up", up) + cut("down", down) if pipelined else \
        cut("up", up[:request_len]) + cut("down", down) + cut("up", up[request_len:])
    tunnel = ProxyTunnel()
    assert through(tunnel, order) == {"up": UP, "down": DOWN}
    assert (tunnel.request, tunnel.granted, tunnel.settled) == (req, True, True)


@given(st.binary(max_size=200))
def test_bytes_that_are_no_preamble_pass_unchanged(data):
    tunnel = ProxyTunnel()
    got = through(tunnel, [("up", b"C" + data), ("down", DOWN)])
    if tunnel.proxied is None:  # still the start of a CONNECT request: held
        assert b"CONNECT ".startswith(b"C" + data[:7]) and got == {"up": b"", "down": b""}
    else:
        assert tunnel.proxied is False and got == {"up": b"C" + data, "down": DOWN}


def test_a_pool_session_through_socks5_names_the_pool_and_counts_its_shares():
    req = ProxyRequest(proxy.SOCKS5, "btc.pool.example", 3333)
    s = StratumSession()
    msgs = [("up", proxy.encode_request(req)), ("down", proxy.encode_reply(req)),
            ("up", UP), ("down", DOWN),
            ("up", b'{"id":2,"method":"mining.authorize","params":["'
                   b'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.w1","x"]}\n'),
            ("down", b'{"id":2,"result":true,"error":null}\n'),
            ("down", b'{"id":null,"method":"mining.set_difficulty","params":[1024]}\n'),
            ("down", b'{"id":null,"method":"mining.notify","params":["1","' + b"0" * 64
             + b'","01","02",[],"20000000","1a2b3c4d","504e86b9",true]}\n'),
            ("up", b'{"id":3,"method":"mining.submit","params":["bc1qar0srrr7xfkvy5l643lydnw9'
                   b're59gtzzwf5mdq.w1","1","00000001","504e86ed","b2957c02"]}\n'),
            ("down", b'{"id":3,"result":true,"error":null}\n')]
    for k, (direction, data) in enumerate(msgs):
        for j in range(len(data)):  # a byte at a time
            s.feed(direction, 1.0 + k, data[j:j + 1])
    summary = s.summary()
    assert (summary["pool_host"], summary["shares_accepted"], summary["coin"]) == (
        "btc.pool.example", 1, "BTC")
    facts = json.loads(summary["evidence"])
    assert facts[0] == "through a socks5 proxy to btc.pool.example:3333"
    assert s.steady_ready()
