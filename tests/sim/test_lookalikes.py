"""Long-lived look-alike background (issue 4): MQTT, WebSocket, push, VPN, games, video."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from minewatch.cli.progress import NullProgress
from minewatch.detect.intel import PoolIntel
from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.sim import lookalikes as la
from minewatch.sim.world import Host

T0, T1 = 1620806400.0, 1620806400.0 + 3600.0


def _conn(kind: str, seed: int):
    rng = np.random.default_rng(seed)
    k = la.KIND_BY_NAME[kind]
    return la.connection(k, "10.1.2.3", "198.51.100.9", k.names[0], T0, T1, rng)


@pytest.mark.parametrize("kind", [k.name for k in la.KINDS])
def test_metered_packets_match_the_drawn_flow_records(kind):
    for seed in range(6):
        c = _conn(kind, seed)
        meter = FlowMeter(MeterConfig(idle_timeout=60.0, active_timeout=300.0))
        pkts = la.packets(c, np.random.default_rng(seed))
        assert all(T0 <= p.ts < T1 for p in pkts)
        assert [p.ts for p in pkts] == sorted(p.ts for p in pkts)
        sent = set()  # tcp_session's rare retransmissions are not in the schedule
        for p in pkts:
            key = (p.src, p.sport, p.seq, p.flags, p.payload)
            if not (p.payload and key in sent):
                meter.add(p)
            sent.add(key)
        key = ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "packets", "bytes", "tcp_flags")
        metered = sorted(tuple(r[k] for k in key) for r in meter.flush())
        drawn = sorted(zip(*(la.flows([c])[k].to_pylist() for k in key)))
        assert metered == drawn


def test_keepalives_are_periodic():
    for seed in range(5):
        c = _conn("mqtt", seed)
        pings = np.diff(c.ts[c.code == la.PINGREQ])
        assert 30 * 0.9 <= np.median(pings) <= 120 * 1.1 and pings.std() < 0.1 * np.median(pings)
        w = _conn("wireguard", seed)
        ka = np.diff(w.ts[w.up & (w.size == 32)])
        assert abs(np.median(ka) - 25) < 1
        ws = _conn("websocket", seed)
        pong = np.diff(ws.ts[ws.up & (ws.size == 6 + 22)])
        assert 20 * 0.9 <= np.median(pong) <= 60 * 1.1


def test_plain_mqtt_is_real_mqtt_and_tls_kinds_name_their_service():
    for seed in range(20):
        c = _conn("mqtt", seed)
        pays = [p.payload for p in la.packets(c, np.random.default_rng(seed)) if p.payload]
        assert b"\xc0\x00" in pays and b"\xd0\x00" in pays
        if c.handshake:
            assert pays[0].startswith(b"\x10") and b"MQTT" in pays[0]
        t = _conn("mqtt-tls", seed)
        if t.handshake:
            first = next(p.payload for p in la.packets(t, np.random.default_rng(seed)) if p.payload)
            assert first[0] == 22 and t.sni.encode() in first


def test_no_service_name_is_a_pool():
    intel = PoolIntel.builtin()
    assert not [n for k in la.KINDS for n in k.names if intel.match(n) is not None]


def _plan(n=4000):
    hosts = [Host(f"10.9.{i // 250}.{i % 250 + 1}", 0, "南京市", "电信",
                  "residential" if i % 3 else "enterprise") for i in range(n)]
    from minewatch.enrich.geo import GeoDB
    return SimpleNamespace(world=SimpleNamespace(hosts=hosts), t0=T0, t1=T1,
                           slice_hosts={h.ip for h in hosts[::3]}, pool_ips={}, web_ips={},
                           resolvers=["218.2.2.2"]), GeoDB.load()


def test_shares_reproducible_and_servers_of_their_own():
    p, geo = _plan()
    a, b = la.draw(p, geo, 3), la.draw(p, geo, 3)
    assert [(c.kind, c.client, c.cport, c.ts.tolist()) for c in a.conns] == \
        [(c.kind, c.client, c.cport, c.ts.tolist()) for c in b.conns]
    kinds = {k.name: sum(c.kind == k.name for c in a.conns) for k in la.KINDS}
    assert 200 <= kinds["push"] <= 450 and kinds["mqtt-tls"] >= 80 and kinds["game"] >= 3
    assert set(a.servers) and all(c.server in a.servers for c in a.conns)
    assert {r["query"] for r in a.dns_rows} <= {n for k in la.KINDS for n in k.names}


def test_main_stream_unchanged_and_truth_counts(tmp_path, monkeypatch):
    from minewatch.sim import run
    run.simulate(tmp_path / "on", 17, "small", NullProgress())
    monkeypatch.setattr(la, "draw", lambda p, geo, seed: la.Lookalikes([], {}, [], []))
    run.simulate(tmp_path / "off", 17, "small", NullProgress())
    on = json.loads((tmp_path / "on" / "truth.json").read_text("utf-8"))
    off = json.loads((tmp_path / "off" / "truth.json").read_text("utf-8"))
    looks = on.pop("lookalikes")
    off.pop("lookalikes")
    assert on == off
    assert set(looks) == {k.name for k in la.KINDS}
    assert all(v["connections"] and v["flow_records"] for k, v in looks.items() if k not in ("game", "video"))
