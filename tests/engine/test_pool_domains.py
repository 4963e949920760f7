"""Names under a pool operator's domain (data/pool_domains.csv): a TLS connection to one on a
pool port is a miner's, of the coin the name says; the operator's web site under the same
domain, on port 443, is not."""

from __future__ import annotations

import io

import numpy as np

from minewatch.cli.progress import NullProgress
from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import PcapWriter
from minewatch.engine.local import analyze
from minewatch.sim import background as bg
from minewatch.sim.packets import Conn, tcp_session
from minewatch.store.duck import Store


def tls(client: str, server: tuple[str, int], host: str, t: float, rng) -> list:
    """20 minutes of a TLS connection naming `host`."""
    msgs = [(t + 10 + 30 * k, k % 2 == 0, rng.bytes(200)) for k in range(40)]
    return tcp_session(Conn(client, 40000 + int(rng.integers(1000)), *server),
                       bg.tls_records(msgs, host, rng, t), rng, True, close_at=None)


def test_a_pool_under_an_operators_domain_and_its_web_site(tmp_path):
    rng = np.random.default_rng(5)
    pkts = tls("10.0.0.5", ("192.0.2.10", 14433), "xmr-us-east1.nanopool.org", 100.0, rng)
    pkts += tls("10.0.0.6", ("192.0.2.20", 443), "api.nanopool.org", 101.0, rng)
    pkts += tls("10.0.0.7", ("192.0.2.30", 5555), "us2.ethermine.org", 102.0, rng)
    out = io.BytesIO()
    w = PcapWriter(out)
    for p in sorted(pkts, key=lambda p: p.ts):
        w.write(p.ts, encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags,
                                 p.payload))
    path, db = tmp_path / "d.pcap", tmp_path / "mw.duckdb"
    path.write_bytes(out.getvalue())
    analyze([str(path)], db, None, NullProgress())
    with Store(db, read_only=True) as store:
        sessions = {r["client_ip"]: r for r in store.rows("SELECT * FROM sessions")}
        miners = sorted(r["ip"] for r in store.rows("SELECT * FROM miners"))
    assert miners == ["10.0.0.5", "10.0.0.7"]
    xmr, eth = sessions["10.0.0.5"], sessions["10.0.0.7"]
    assert (xmr["detection"], xmr["pool_host"], xmr["coin"], xmr["algorithm"]) == (
        "sni", "xmr-us-east1.nanopool.org", "XMR", "randomx")
    assert (eth["pool_host"], eth["coin"], eth["server_port"]) == ("us2.ethermine.org", "ETH", 5555)
    assert "(XMR randomx pool)" in xmr["evidence"]
