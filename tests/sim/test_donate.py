"""XMRig's donation minute: stock builds on deliberate miners donate 1 min in 100, patched
(compromised) builds never; the donation shows as packets, DNS and flows, and takes its shares
from the user's pool."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from minewatch.sim.donate import (CYCLE_S, DONATE_S, PLAIN, TLS, donation_traffic,
                                  donation_window, draw_donors, in_capture, user_id,
                                  without_paused_shares)
from minewatch.sim.miners import PROFILES, Miner
from minewatch.sim.province import miner_packets
from minewatch.sim.world import Host

T0, T1 = 1620806400.0, 1620806400.0 + 3600.0
XMR_CPU = next(p for p in PROFILES if p.name == "xmr-cpu")
XMR_TLS = next(p for p in PROFILES if p.name == "xmr-tls")
ETH = next(p for p in PROFILES if p.name == "eth-proxy")
POOL_IPS = {"pool.supportxmr.com": "198.51.100.1", PLAIN[0]: "198.51.100.2", TLS[0]: "198.51.100.3"}


def _miner(i: int, profile, compromised: bool, starts_before: bool = False) -> Miner:
    host = Host(f"10.1.{i // 250}.{i % 250 + 1}", 0, "南京市", "电信", "residential")
    port = 443 if profile.tls else 3333
    return Miner(host, profile, 5000.0, "pool.supportxmr.com", port, POOL_IPS["pool.supportxmr.com"],
                 "4" + "A" * 94, "home07", profile.agents[0], compromised, 1, starts_before)


def _plan(miners, slice_hosts=()):
    return SimpleNamespace(t0=T0, t1=T1, miners=miners, slice_hosts=set(slice_hosts),
                           pool_ips=POOL_IPS, resolvers=["218.2.2.2"])


def test_stock_xmrig_donates_on_deliberate_miners_never_on_compromised():
    miners = [_miner(i, XMR_CPU if i % 3 else XMR_TLS, compromised=i % 2 == 0) for i in range(4000)]
    miners += [_miner(4000 + i, ETH, compromised=False) for i in range(200)]
    draw_donors(miners, seed=5)
    assert not any(m.donates for m in miners if m.compromised)
    assert not any(m.donates for m in miners if m.profile is ETH)
    deliberate = [m.donates for m in miners if not m.compromised and m.profile is not ETH]
    assert 0.86 <= np.mean(deliberate) <= 0.94
    phases = np.asarray([m.donate_phase for m in miners if m.donates])
    assert phases.min() >= 0 and phases.max() < CYCLE_S
    # One minute in every 100 at a random phase: about 61 % of the running miners show it in 1 h.
    shown = []
    for m in miners:
        if m.donates:
            m.starts_before = True
            m.donate_window = donation_window(m, T0 - 1000, T0)
            shown.append(in_capture(m.donate_window, T0, T1))
    assert 0.55 <= np.mean(shown) <= 0.67


def test_donors_are_drawn_on_a_stream_of_their_own():
    a = [_miner(i, XMR_CPU, False) for i in range(50)]
    b = [_miner(i, XMR_CPU, False) for i in range(50)]
    draw_donors(a, seed=11)
    draw_donors(b, seed=11)
    assert [(m.donates, m.donate_phase) for m in a] == [(m.donates, m.donate_phase) for m in b]


def test_window_is_one_minute_after_the_session_starts():
    m = _miner(1, XMR_CPU, False)
    m.donates, m.donate_phase = True, 1234.5
    start, end = donation_window(m, T0 + 100, T0)
    assert (start, end) == (T0 + 100 + 1234.5, T0 + 100 + 1234.5 + DONATE_S)


@pytest.mark.parametrize("profile,endpoint", [(XMR_CPU, PLAIN), (XMR_TLS, TLS)])
def test_donation_is_a_login_job_submit_exchange_or_a_tls_hello(profile, endpoint):
    m = _miner(2, profile, False)
    m.donates, m.donate_phase = True, 900.0
    p = _plan([m], slice_hosts=[m.host.ip])
    m.donate_window = donation_window(m, T0 + 30, T0)
    conn, pkts, row, dns_pkts = donation_traffic(m, p, np.random.default_rng(1))
    start, end = m.donate_window
    assert (conn.server, conn.sport) == (POOL_IPS[endpoint[0]], endpoint[1])
    assert row["query"] == endpoint[0] and row["answers"] == [POOL_IPS[endpoint[0]]]
    assert row["ts"] < start and len(dns_pkts) == 2
    assert all(start - 1 <= x.ts <= end + 1 for x in pkts)
    up = b"".join(x.payload for x in pkts if x.src == m.host.ip)
    if profile.tls:
        assert endpoint[0].encode() in up  # the SNI of the ClientHello
        assert b'"method"' not in up
    else:
        login = json.loads(up.split(b"\n")[0])
        assert login["method"] == "login" and login["params"]["login"] == user_id(m.wallet)
        assert login["params"]["agent"] == m.agent
        assert b'"method":"submit"' in up
        assert b'"job_id"' in b"".join(x.payload for x in pkts if x.src != m.host.ip)
    assert pkts[0].flags & 0x02 and any(x.flags & 0x01 for x in pkts)  # SYN, then XMRig's FIN


def test_no_donation_traffic_outside_the_capture_or_from_patched_builds():
    m = _miner(3, XMR_CPU, False)
    m.donates, m.donate_phase = True, 5000.0
    m.donate_window = donation_window(m, T0 + 10, T0)
    assert donation_traffic(m, _plan([m]), np.random.default_rng(1)) is None
    c = _miner(4, XMR_CPU, True)
    draw_donors([c], seed=1)
    c.donate_window = donation_window(c, T0 + 10, T0)
    assert donation_traffic(c, _plan([c]), np.random.default_rng(1)) is None


def test_the_user_pool_gets_no_share_during_the_donation_minute():
    taken = 0
    for seed in range(6):
        m, base = _miner(5, XMR_CPU, False), _miner(5, XMR_CPU, False)
        m.donates, m.donate_phase, m.donate_seed = True, 600.0, seed
        p = _plan([m], slice_hosts=[m.host.ip])
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
        _, plain = miner_packets(base, p, rng_a, T0 + 20)
        _, paused = miner_packets(m, p, rng_b, T0 + 20)
        # The main stream has drawn the same, so everything after this miner is unchanged.
        assert rng_a.random() == rng_b.random()
        start, end = m.donate_window

        def submits(pkts, inside):
            return {x.payload for x in pkts  # a set: retransmissions are drawn afresh
                    if b'"method":"submit"' in x.payload and (start <= x.ts < end) == inside}

        assert not submits(paused, True)
        assert submits(paused, False) == submits(plain, False)
        taken += len(submits(plain, True))
    assert taken >= 3  # ~2 shares a minute at the pool's difficulty


def test_without_paused_shares_keeps_jobs_and_keepalives():
    m = _miner(6, XMR_CPU, False)
    m.donates, m.donate_window = True, (100.0, 160.0)
    msgs = [(110.0, True, b'{"id":101,"jsonrpc":"2.0","method":"submit","params":{}}\n'),
            (110.05, False, b'{"id":101,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}}\n'),
            (120.0, False, b'{"jsonrpc":"2.0","method":"job","params":{}}\n'),
            (130.0, True, b'{"id":3,"jsonrpc":"2.0","method":"keepalived","params":{}}\n'),
            (170.0, True, b'{"id":102,"jsonrpc":"2.0","method":"submit","params":{}}\n')]
    assert [x[0] for x in without_paused_shares(m, msgs)] == [120.0, 130.0, 170.0]
