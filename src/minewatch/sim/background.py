"""Ordinary traffic: what every host does that is not mining, including the traps.

Traps are things a careless detector calls mining: Bitcoin peer-to-peer nodes, JSON-RPC calls to
coin daemons, long-lived SSH sessions with keepalives, TLS to ordinary sites.
"""

from __future__ import annotations

import json

import numpy as np

from minewatch.decode import p2p
from minewatch.decode.tls import encode_client_hello
from minewatch.sim.packets import Conn, SimPacket, tcp_session

BITCOIN_MAGIC = bytes.fromhex("f9beb4d9")
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
        return p2p.encode_message(BITCOIN_MAGIC, cmd, payload)

    def version(r: bytes) -> bytes:  # 102 bytes, as this took from rng before it was real
        return p2p.encode_version(p2p.Version(
            70016, 0x409, int(t0), int.from_bytes(r[:8], "little"), "/Satoshi:25.0.0/",
            800_000 + r[8], True), addresses=r[10:62])
    msgs = [(t0, True, msg("version", version(rng.bytes(102)))),
            (t0 + 0.1, False, msg("version", version(rng.bytes(102)))),
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


# --- browser mining (cryptojacking): a page that makes its visitors mine ----------------------

def browser_miner_visit(client: str, server: str, host: str, t: float,
                        rng: np.random.Generator) -> list[SimPacket]:
    """A browser visiting http://`host`/ that mines: the page calls a self-hosted Coinhive-style
    miner (/lib/coinhive.min.js, /lib/cryptonight.wasm), then the script opens a WebSocket to
    the site's miner proxy (ws://host/proxy) and speaks the Coinhive protocol over it (auth,
    authed, job, submit, hash_accepted) for 30-300 s. Two TCP connections to `server`:80."""
    site_key = rng.bytes(16).hex()
    page_conn = tcp_session(Conn(client, _eph(rng), server, 80), _miner_page(host, site_key, t, rng),
                            rng, True, close_at=t + 1.0)
    return sorted(page_conn + _miner_socket(client, server, host, site_key, t + 0.8, rng),
                  key=lambda p: p.ts)


def _get(host: str, path: str, referer: str = "", extra: str = "") -> bytes:
    ref = f"Referer: {referer}\r\n" if referer else ""
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n"
            f"{ref}{extra}\r\n").encode()


def _ok(ctype: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


def _miner_page(host: str, site_key: str, t: float,
                rng: np.random.Generator) -> list[tuple[float, bool, bytes]]:
    filler = rng.bytes(int(rng.integers(500, 3000))).hex().encode()
    page = (b"<html><head><script src=\"/lib/coinhive.min.js\"></script></head><body><p>" + filler
            + f"</p><script>CoinHive.CONFIG.WEBSOCKET_SHARDS = [[\"ws://{host}/proxy\"]];\n"
            f"var miner = new CoinHive.Anonymous('{site_key}', {{throttle: 0.3}});\n"
            "miner.start();</script></body></html>".encode())
    script = (b"var CoinHive=window.CoinHive||{};CoinHive.CONFIG={LIB_URL:\"/lib/\","
              b"WEBSOCKET_SHARDS:[]};CoinHive.Anonymous=function(k,p){this._siteKey=k};/*"
              + rng.bytes(int(rng.integers(2000, 9000))).hex().encode() + b"*/")
    page_url = f"http://{host}/"
    return [(t, True, _get(host, "/")), (t + 0.05, False, _ok("text/html", page)),
            (t + 0.2, True, _get(host, "/lib/coinhive.min.js", page_url)),
            (t + 0.25, False, _ok("application/javascript", script)),
            (t + 0.4, True, _get(host, "/lib/cryptonight.wasm", page_url)),
            (t + 0.45, False, _ok("application/wasm", rng.bytes(int(rng.integers(4000, 12000)))))]


def _miner_socket(client: str, server: str, host: str, site_key: str, t: float,
                  rng: np.random.Generator) -> list[SimPacket]:
    accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    upgrade = _get(host, "/proxy", extra=("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                          "Sec-WebSocket-Version: 13\r\n"))
    switched = (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode()
    msgs = [(t, True, upgrade), (t + 0.05, False, switched),
            (t + 0.1, True, _ws(rng, {"type": "auth", "params": {
                "site_key": site_key, "type": "anonymous", "user": None, "goal": 0}})),
            (t + 0.15, False, _ws(None, {"type": "authed", "params": {"token": "", "hashes": 0}}))]
    t_end = t + float(rng.uniform(30, 300))
    ts = t + 0.2
    while ts < t_end:
        job = {"job_id": rng.bytes(8).hex(), "blob": rng.bytes(76).hex(), "target": "b88d0600"}
        msgs.append((ts, False, _ws(None, {"type": "job", "params": job})))
        for tsub in np.sort(rng.uniform(ts + 1, min(ts + 30, t_end) + 1, int(rng.poisson(2)))):
            msgs.append((float(tsub), True, _ws(rng, {"type": "submit", "params": {
                "job_id": job["job_id"], "nonce": rng.bytes(4).hex(), "result": rng.bytes(32).hex()}})))
            msgs.append((float(tsub) + 0.05, False, _ws(None, {"type": "hash_accepted",
                                                               "params": {"hashes": 256}})))
        ts += 30.0
    return tcp_session(Conn(client, _eph(rng), server, 80), sorted(msgs, key=lambda m: m[0]), rng,
                       True, close_at=t_end + 2.0)


def _ws(rng: np.random.Generator | None, obj: dict) -> bytes:
    """One WebSocket text frame (RFC 6455); masked when a browser (`rng` given) sends it."""
    payload = json.dumps(obj, separators=(",", ":")).encode()
    n = len(payload)
    size = bytes([n]) if n < 126 else bytes([126]) + n.to_bytes(2, "big")
    if rng is None:
        return b"\x81" + size + payload
    key = rng.bytes(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return b"\x81" + bytes([size[0] | 0x80]) + size[1:] + key + masked
