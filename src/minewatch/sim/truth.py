"""truth.json: the true figures under the report's own keys, and the true miners.

Headline figures come from `report.figures.situation` applied to the true miners, so a test
compares the report with the truth key by key. `measurable` holds the same figures restricted
to the miners whose payload an analyser can read (visibility `plaintext`), which is what a
payload-based hashrate can be held to.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from minewatch.estimate.energy import energy_kwh_day, power_w
from minewatch.report.figures import situation
from minewatch.sim.donate import donate_endpoint
from minewatch.sim.miners import Miner
from minewatch.sim.packets import Conn


def visibility(m: Miner) -> str:
    """What an analyser of packets.pcap + flows can see of this miner."""
    if not m.in_slice:
        return "flow-only"
    if m.profile.tls:
        return "flow-only" if m.starts_before else "tls"  # no ClientHello in the capture
    return "plaintext"


def _conn_bytes(flows: pa.Table) -> dict[tuple, int]:
    out: dict[tuple, int] = defaultdict(int)
    cols = [flows[c].to_pylist() for c in ("src_ip", "src_port", "dst_ip", "dst_port", "bytes")]
    for s, sp, d, dp, b in zip(*cols):
        out[(s, sp, d, dp)] += b
    return out


def miner_row(m: Miner, conn: Conn, nbytes: dict, period_s: float,
              donation: Conn | None = None) -> dict:
    """One true miner; its pool bytes include its donation connection's (a pool too)."""
    up = down = 0
    for c in (conn, donation):
        if c is not None:
            up += nbytes.get((c.client, c.cport, c.server, c.sport), 0)
            down += nbytes.get((c.server, c.sport, c.client, c.cport), 0)
    watts = power_w(m.profile.algorithm, m.hashrate)
    row = {"ip": m.host.ip, "visibility": visibility(m), "algorithm": m.profile.algorithm,
           "coin": m.profile.coin, "dialect": m.profile.dialect, "tls": m.profile.tls,
           "hashrate_hs": m.hashrate, "hashrate_low_hs": m.hashrate, "hashrate_high_hs": m.hashrate,
           "city": m.host.city, "isp": m.host.isp, "owner_type": m.host.owner_type,
           "compromised": m.compromised, "verdict": "compromised" if m.compromised else "deliberate",
           "pool_host": m.pool_host, "pool_port": m.pool_port, "pool_ip": m.pool_ip,
           "client_port": conn.cport, "wallet": m.wallet, "worker": m.worker, "agent": m.agent,
           "profile": m.profile.name, "workers_behind": m.workers_behind,
           "in_packet_slice": m.in_slice, "starts_before_capture": m.starts_before,
           "scanned": m.scans, "scan_targets": m.scan_targets,
           "donates": m.donates,
           "donate_window": list(m.donate_window) if m.donates and m.donate_window else None,
           "donate_host": donate_endpoint(m)[0] if m.donates else None,
           "donation_in_capture": donation is not None,
           "donate_client_port": donation.cport if donation is not None else None,
           "bytes_up": up, "bytes_down": down, "egress_bps": 8 * up / period_s}
    for i, level in enumerate(("low", "typical", "high")):
        row[f"power_{level}_w"] = watts[i] if watts else None
        row[f"energy_{level}_kwh_day"] = energy_kwh_day(watts[i]) if watts else None
    return row


def truth(p, flows: pa.Table, conns: dict[str, Conn], scale: str, seed: int,
          donations: dict[str, Conn] | None = None) -> dict:
    """`donations`: the donation connection of each stock-XMRig miner whose minute the capture saw."""
    nbytes = _conn_bytes(flows)
    period_s = p.t1 - p.t0
    donations = donations or {}
    miners = [miner_row(m, conns[m.host.ip], nbytes, period_s, donations.get(m.host.ip))
              for m in p.miners]
    out = _figures(miners, p)
    out["measurable"] = _figures([m for m in miners if m["visibility"] == "plaintext"], p)
    out.update(seed=seed, scale=scale, hosts=len(p.world.hosts),
               packet_slice_hosts=len(p.slice_hosts), miners=miners)
    return out


def _figures(miners: list[dict], p) -> dict:
    up = sum(m["bytes_up"] for m in miners)
    down = sum(m["bytes_down"] for m in miners)
    fig = situation(miners, p.t0, p.t1, up, down, sessions=len(miners))
    fig.pop("generated_at")
    fig.pop("inputs")
    return fig
