"""TLS through a proxy tunnel (stratum+ssl behind SOCKS or HTTP CONNECT): the server a tap
sees is the proxy, so the pool is known only by the server name read inside the tunnel, and
only that connection is a miner's; the proxy's other clients are not."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from minewatch.cli.progress import NullProgress
from minewatch.decode import proxy
from minewatch.decode.pcap import PcapReader
from minewatch.engine.local import analyze
from minewatch.ingest.capture import read_capture
from minewatch.ingest.packets import PacketIngest
from minewatch.sim import background as bg
from minewatch.sim.packets import Conn, tcp_session, write_pcap
from minewatch.store.duck import Store

PROXY = ("10.9.9.9", 1080)


def tunnel(client: str, host: str, kind: str, t: float, rng) -> list:
    """A client's TLS connection to host:443 through the proxy, 20 minutes of records."""
    req = proxy.ProxyRequest(kind, host, 443)
    msgs = [(t + 10 + 30 * k, k % 2 == 0, rng.bytes(200)) for k in range(40)]
    talk = [(t, True, proxy.encode_request(req)), (t + 0.05, False, proxy.encode_reply(req))]
    talk += bg.tls_records(msgs, host, rng, t + 0.1)
    return tcp_session(Conn(client, 40000 + int(rng.integers(1000)), *PROXY), talk, rng, True,
                       close_at=None)


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> tuple:
    rng = np.random.default_rng(11)
    pkts = tunnel("10.0.0.5", "pool.supportxmr.com", proxy.SOCKS5, 100.0, rng)
    pkts += tunnel("10.0.0.6", "www.example.org", proxy.SOCKS5, 101.0, rng)
    pkts += tunnel("10.0.0.7", "pool.supportxmr.com", proxy.HTTP_CONNECT, 102.0, rng)
    path = tmp_path_factory.mktemp("tunnels") / "t.pcap"
    with path.open("wb") as f:
        write_pcap(f, pkts)
    return path, pkts


def test_the_server_name_inside_a_tunnel_is_kept_with_the_proxy(capture):
    path, _ = capture
    with open(path, "rb") as f:
        tables, _, _ = read_capture(f, "in", "cap")
    hellos = sorted((r["client_ip"], r["sni"], r["proxy"], r["server_ip"])
                    for r in tables["tls_hellos"].to_pylist())
    assert hellos == [("10.0.0.5", "pool.supportxmr.com", "socks5", PROXY[0]),
                      ("10.0.0.6", "www.example.org", "socks5", PROXY[0]),
                      ("10.0.0.7", "pool.supportxmr.com", "http-connect", PROXY[0])]
    assert tables["payload_sessions"].num_rows == 0
    reference = PacketIngest("in", exporter="cap")  # the Python path reads it the same
    for raw in PcapReader(io.BytesIO(path.read_bytes())):
        reference.add(raw)
    assert sorted(map(repr, reference.finish()["tls_hellos"].to_pylist())) == \
        sorted(map(repr, tables["tls_hellos"].to_pylist()))


def test_only_the_tunnels_to_a_pool_are_miners_and_the_proxy_is_no_pool(capture, tmp_path):
    path, _ = capture
    db = tmp_path / "mw.duckdb"
    analyze([str(path)], db, None, NullProgress())
    with Store(db, read_only=True) as store:
        miners = {r["ip"]: r for r in store.rows("SELECT * FROM miners")}
        sessions = store.rows("SELECT * FROM sessions")
    assert sorted(miners) == ["10.0.0.5", "10.0.0.7"]
    for s in sessions:
        assert (s["detection"], s["pool_host"], s["coin"], s["server_ip"]) == (
            "sni", "pool.supportxmr.com", "XMR", PROXY[0])
        facts = json.loads(s["evidence"])
        assert facts[0].startswith("connection to pool.supportxmr.com (XMR randomx pool) "
                                   "through a ") and facts[0].endswith("proxy at 10.9.9.9:1080")
        assert facts[1] == "pool named by TLS SNI pool.supportxmr.com, read inside the tunnel"
        assert s["bytes_up"] > 0 and s["bytes_down"] > 0
