"""Ordinary traffic: what every host does that is not mining, including the traps.

Traps are things a careless detector calls mining: Bitcoin peer-to-peer nodes, JSON-RPC calls to
coin daemons, long-lived SSH sessions with keepalives, TLS to ordinary sites.
"""

from __future__ import annotations

import json

import numpy as np

from minewatch.decode.tls import encode_client_hello
from minewatch.sim.packets import Conn, SimPacket, tcp_session

WEB_NAMES = ("www.baidu.com", "www.qq.com", "weixin.qq.com", "www.taobao.com", "www.jd.com",
             "www.163.com", "www.sina.com.cn", "www.bilibili.com", "www.douyin.com",
             "www.zhihu.com", "www.gov.cn", "www.jiangsu.gov.cn", "www.cnki.net",
             "update.microsoft.com", "www.apple.com", "github.com", "pypi.org")


def tls_records(msgs: list[tuple[float, bool, bytes]], sni: str, rng: np.random.Generator,
                t_hello: float) -> list[tuple[float, bool, bytes]]:
    """The same conversation inside TLS: a ClientHello with SNI, then opaque records."""
    out = [(t_hello, True, encode_client_hello(sni)),
           (t_hello + 0.05, False, _record(22, rng, int(rng.integers(2800, 4200)))),
           (t_hello + 0.1, True, _record(20, rng, 1) + _record(23, rng, 53))]
    for ts, up, payload in msgs:
        out.append((ts, up, _record(23, rng, len(payload) + 17)))  # AEAD tag 16 + type byte
    return out


def _record(ctype: int, rng: np.random.Generator, n: int) -> bytes:
    return bytes([ctype, 3, 3]) + n.to_bytes(2, "big") + rng.bytes(n)


def https_session(client: str, server: str, sni: str, t: float,
                  rng: np.random.Generator) -> list[SimPacket]:
    msgs = []
    for k in range(int(rng.integers(1, 4))):
        ts = t + 0.2 + k * float(rng.uniform(0.1, 3))
        msgs.append((ts, True, rng.bytes(int(rng.integers(300, 900)))))
        msgs.append((ts + 0.05, False, rng.bytes(int(rng.integers(300, 6000)))))
    recs = tls_records(msgs, sni, rng, t)
    return tcp_session(Conn(client, _eph(rng), server, 443), recs, rng, True,
                       close_at=msgs[-1][0] + 1.0)


def http_session(client: str, server: str, host: str, t: float,
                 rng: np.random.Generator) -> list[SimPacket]:
    req = (f"GET /index.html HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0\r\n"
           "Accept: */*\r\n\r\n").encode()
    body = b"<html>" + rng.bytes(int(rng.integers(300, 4000))).hex().encode() + b"</html>"
    resp = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    return tcp_session(Conn(client, _eph(rng), server, 80), [(t, True, req), (t + 0.05, False, resp)],
                       rng, True, close_at=t + 0.5)


def ssh_session(client: str, server: str, t0: float, t1: float,
                rng: np.random.Generator) -> list[SimPacket]:
    """An idle admin session: banner, key exchange, then keepalives every 30-60 s."""
    msgs = [(t0, False, b"SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5\r\n"),
            (t0 + 0.01, True, b"SSH-2.0-OpenSSH_8.9\r\n"),
            (t0 + 0.05, True, rng.bytes(1500)), (t0 + 0.1, False, rng.bytes(1100))]
    t = t0 + 1
    while t < t1:
        msgs += [(t, True, rng.bytes(36)), (t + 0.03, False, rng.bytes(36))]
        t += float(rng.uniform(30, 60))
    return tcp_session(Conn(client, _eph(rng), server, 22), msgs, rng, True, close_at=None)


def bitcoin_p2p(client: str, peer: str, t0: float, t1: float,
                rng: np.random.Generator) -> list[SimPacket]:
    """A Bitcoin node talking to a peer on 8333: version, verack, ping, inv — no Stratum."""
    def msg(cmd: str, payload: bytes) -> bytes:
        import hashlib
        chk = hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
        return (b"\xf9\xbe\xb4\xd9" + cmd.encode().ljust(12, b"\0") +
                len(payload).to_bytes(4, "little") + chk + payload)
    msgs = [(t0, True, msg("version", rng.bytes(102))), (t0 + 0.1, False, msg("version", rng.bytes(102))),
            (t0 + 0.2, True, msg("verack", b"")), (t0 + 0.25, False, msg("verack", b""))]
    t = t0 + 1
    while t < t1:
        msgs.append((t, bool(rng.random() < 0.5), msg("inv", rng.bytes(37 * int(rng.integers(1, 30))))))
        if rng.random() < 0.1:
            msgs.append((t + 0.1, True, msg("ping", rng.bytes(8))))
        t += float(rng.exponential(30))
    return tcp_session(Conn(client, _eph(rng), peer, 8333), msgs, rng, True, close_at=None)


def jsonrpc_poller(client: str, node: str, t0: float, t1: float, rng: np.random.Generator,
                   port: int, method: str) -> list[SimPacket]:
    """A wallet or dashboard polling a coin daemon's JSON-RPC API (not mining)."""
    msgs, t, n = [], t0, 1
    auth = "Authorization: Basic cnBjdXNlcjpycGNwYXNz\r\n" if port == 8332 else ""
    while t < t1:
        body = json.dumps({"jsonrpc": "2.0", "id": n, "method": method, "params": []}).encode()
        req = (f"POST / HTTP/1.1\r\nHost: {node}:{port}\r\n{auth}Content-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        res = json.dumps({"jsonrpc": "2.0", "id": n, "result": hex(int(rng.integers(1e7, 2e7)))}).encode()
        resp = f"HTTP/1.1 200 OK\r\nContent-Length: {len(res)}\r\n\r\n".encode() + res
        msgs += [(t, True, req), (t + 0.01, False, resp)]
        t += 15.0
        n += 1
    return tcp_session(Conn(client, _eph(rng), node, port), msgs, rng, True, close_at=None)


def _eph(rng: np.random.Generator) -> int:
    return int(rng.integers(32768, 61000))
