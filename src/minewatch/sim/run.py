"""Write a simulated province to a directory: the seven files and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from minewatch import schema
from minewatch.decode import ipfix, netflow_v9
from minewatch.decode.flowfields import ExportConfig
from minewatch.decode.packet import encode_udp
from minewatch.decode.pcap import PcapWriter
from minewatch.enrich.geo import GeoDB
from minewatch.enrich.registry import write_csv
from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.ingest.dnslog import write_dnslog
from minewatch.sim import background as bg
from minewatch.sim import lookalikes
from minewatch.sim.donate import donation_traffic
from minewatch.sim.packets import SimPacket, frame
from minewatch.sim.province import SCALES, Plan, dns_lookup, miner_packets, plan
from minewatch.sim.scans import miner_scan, plan_scan, probes, scan_flows, scan_packets
from minewatch.sim.spill import PacketRuns
from minewatch.sim.telemetry import background_flows, exporter_of
from minewatch.sim.truth import truth
from minewatch.sim.world import CITIES, registry_rows

COLLECTOR = "10.0.0.100"
EXPORT_METER = MeterConfig(idle_timeout=60.0, active_timeout=300.0, exporter="sim")


def simulate(out: Path, seed: int, scale_name: str, progress) -> str:
    """Simulate and write; returns a one-paragraph summary."""
    geo = GeoDB.load()
    p = plan(SCALES[scale_name], seed, geo)
    rng = np.random.default_rng([seed, 1])
    out.mkdir(parents=True, exist_ok=True)
    progress.start("simulating miners", len(p.miners))
    # Scans and the traffic of scanning miners come from a stream of their own; the main stream
    # still draws what those miners would have drawn without a scan, so the rest of the province
    # (other miners, ordinary traffic) is the same with or without scans.
    srng = np.random.default_rng([seed, 8])
    # Stock XMRig's donation minute (sim/donate.py) likewise: a stream of its own.
    drng = np.random.default_rng([seed, 10])
    # Packets go into sorted runs spilled to temporary files as they are drawn (sim/spill.py), and
    # come back merged in time order, as heapq.merge over the per-stream lists would give them.
    seen, hidden = PacketRuns(), PacketRuns()
    dns_rows, conns, scans, donations = [], {}, [], {}
    for m in p.miners:
        conn, pkts, row, dpk = _miner_traffic(m, p, rng)
        if m.scans and not m.starts_before:  # a scan that began before the capture is not seen
            sp, t_connect = miner_scan(m.host.ip, p.t0 + float(srng.uniform(1, 240)), srng)
            scans.append(sp)
            m.scan_targets = sp.targets
            conn, pkts, row, dpk = _miner_traffic(m, p, srng, t_connect)
        conns[m.host.ip] = conn
        dns_rows.append(row)
        donation = donation_traffic(m, p, drng)
        if donation is not None:
            donations[m.host.ip], dpkts, drow, ddpk = donation
            pkts, dpk = pkts + dpkts, dpk + ddpk
            dns_rows.append(drow)
        (seen if m.in_slice else hidden).add(sorted(pkts + dpk, key=lambda x: x.ts))
        progress.advance(1)
    progress.start("simulating ordinary traffic", len(p.slice_hosts))
    traps = _background(p, rng, dns_rows, progress, seen)
    websites = _browser_mining(p, rng, dns_rows, seen)
    scans += [plan_scan(ip, float(srng.uniform(p.t0 + 1, p.t1 - 400)), srng, admin=True)
              for ip in p.scanners]
    seen.add(scan_packets(probes([s for s in scans if s.src in p.slice_hosts], srng), srng))
    # Long-lived look-alikes (MQTT, WebSocket, push, VPN, games, video): a stream of their own.
    looks = lookalikes.draw(p, geo, seed)
    lrng = np.random.default_rng([seed, lookalikes.STREAM, 1])
    dns_rows += looks.dns_rows
    seen.extend(looks.dns_packets)
    for c in looks.conns:
        if c.client in p.slice_hosts:
            seen.add(lookalikes.packets(c, lrng))
    meter = FlowMeter(EXPORT_METER)
    progress.start("writing packets.pcap", None)
    _write_packets(out / "packets.pcap", seen, meter)
    for pkt in hidden:
        meter.add(pkt)
    flows = schema.to_table("flows", meter.flush())
    others = sorted(h.ip for h in p.world.hosts if h.ip not in p.slice_hosts)
    flows = pa.concat_tables([flows, background_flows(others, list(p.web_ips.values()), p.t0, p.t1, rng),
                              scan_flows(probes([s for s in scans if s.src not in p.slice_hosts], srng)),
                              lookalikes.flows([c for c in looks.conns if c.client not in p.slice_hosts],
                                               EXPORT_METER.idle_timeout, EXPORT_METER.active_timeout)])
    progress.start("writing flow telemetry", None)
    _write_exports(out, flows, p)
    write_dnslog_file(out / "dns.log", dns_rows, p, rng)
    write_csv(out / "registry.csv", registry_rows(p.world))
    t = truth(p, flows, conns, scale_name, seed, donations)
    t["websites"] = websites
    t["traps"] = traps
    t["scanners"] = [{"ip": s.src, "miner": s.src in conns, "targets": s.targets,
                      "ports": list(s.ports), "t_start": s.t_start, "t_end": s.t_end,
                      "in_packet_slice": s.src in p.slice_hosts} for s in scans]
    t["lookalikes"] = lookalikes.counts(looks, p.slice_hosts, flows)
    (out / "truth.json").write_text(json.dumps(t, ensure_ascii=False, indent=1), encoding="utf-8")
    progress.done()
    return (f"simulated {len(p.world.hosts):,} hosts and {len(p.miners):,} miners "
            f"({sum(m.in_slice for m in p.miners):,} in the packet slice) into {out}")


def _miner_traffic(m, p: Plan, rng: np.random.Generator, t_connect: float | None = None):
    """The miner's pool connection, its packets, its DNS log row and DNS packets."""
    conn, pkts = miner_packets(m, p, rng, t_connect)
    t_dns = (pkts[0].ts if pkts and not m.starts_before else p.t0 - 400) - 0.3
    row, dpk = dns_lookup(m.host.ip, m.pool_host, m.pool_ip, t_dns, p, rng)
    return conn, pkts, row, dpk


def _background(p: Plan, rng: np.random.Generator, dns_rows: list, progress,
                streams: PacketRuns) -> list[dict]:
    """Web browsing and the traps of the packet slice's hosts (into `streams`); the traps'
    truth rows (client, what it runs, server port)."""
    names, traps = list(p.web_ips), []
    by_ip = {h.ip: h for h in p.world.hosts}
    for ip in sorted(p.slice_hosts):
        host = by_ip[ip]
        pkts: list[SimPacket] = []
        for _ in range(int(rng.poisson(3)) + 1):
            name = names[int(rng.integers(0, len(names)))]
            t = float(rng.uniform(p.t0 + 1, p.t1 - 30))  # handshakes stay inside the period
            row, dpk = dns_lookup(ip, name, p.web_ips[name], t, p, rng)
            dns_rows.append(row)
            session = bg.https_session if rng.random() < 0.8 else bg.http_session
            pkts += dpk + session(ip, p.web_ips[name], name, t + 0.01, rng)
        kind, trap = _traps(host, p, rng)
        if trap:
            traps.append({"client_ip": ip, "kind": kind, "server_port": trap[0].dport})
        streams.add(sorted(pkts + trap, key=lambda x: x.ts))
        progress.advance(1)
    return traps


BROWSER_VISITORS = 0.01  # share of hosts that open a page mining in the browser


def _browser_mining(p: Plan, rng: np.random.Generator, dns_rows: list, streams: PacketRuns) -> list:
    """Visits to mining web sites: DNS lookups for every visitor, a page, its miner script and
    the miner's WebSocket for visitors in the packet slice (into `streams`). Returns truth rows."""
    hosts = [h["value"] for h in _browser_miner_hosts()]
    visitors = [h for h in p.world.hosts if rng.random() < BROWSER_VISITORS]
    truth_rows = []
    for h in visitors:
        site = hosts[int(rng.integers(0, len(hosts)))]
        server = p.web_ips[bg.WEB_NAMES[int(rng.integers(0, len(bg.WEB_NAMES)))]]
        t = float(rng.uniform(p.t0 + 1, p.t1 - 600))
        row, dpk = dns_lookup(h.ip, site, server, t, p, rng)
        dns_rows.append(row)
        seen = h.ip in p.slice_hosts
        if seen:
            streams.add(sorted(dpk + bg.browser_miner_visit(h.ip, server, site, t + 0.05, rng),
                               key=lambda x: x.ts))
        truth_rows.append({"client_ip": h.ip, "host": site, "in_packet_slice": seen})
    return truth_rows


def _browser_miner_hosts() -> list[dict]:
    import csv
    from importlib import resources

    text = resources.files("minewatch.data").joinpath("browser_miners.csv").read_text("utf-8")
    return [r for r in csv.DictReader(text.splitlines()) if r["kind"] == "host"]


def _traps(host, p: Plan, rng: np.random.Generator) -> tuple[str | None, list[SimPacket]]:
    """Servers with SSH sessions, Bitcoin nodes, JSON-RPC pollers: not miners. (What the
    host runs, for the truth file: ssh, node, or the poller's method; its packets.)"""
    ext = list(p.web_ips.values())
    peer = ext[int(rng.integers(0, len(ext)))]
    r = rng.random()
    if host.owner_type in ("idc", "enterprise", "education") and r < 0.15:
        return "ssh", bg.ssh_session(host.ip, peer, p.t0 + float(rng.uniform(1, 600)), p.t1, rng)
    if r < 0.17:
        return "node", bg.bitcoin_p2p(host.ip, peer, p.t0 + float(rng.uniform(1, 600)), p.t1, rng)
    if r < 0.19:
        port, method = (8545, "eth_blockNumber") if rng.random() < 0.5 else (8332, "getblockchaininfo")
        return method, bg.jsonrpc_poller(host.ip, peer, p.t0 + float(rng.uniform(1, 600)), p.t1,
                                         rng, port, method)
    return None, []


def _write_packets(path: Path, packets, meter: FlowMeter) -> None:
    with path.open("wb") as f:
        w = PcapWriter(f)
        for pkt in packets:
            meter.add(pkt)
            w.write(pkt.ts, frame(pkt))


def _by_exporter(flows: pa.Table, p: Plan) -> dict[str, pa.Table]:
    """Each record goes to the exporter of the city of its internal end."""
    city = {h.ip: h.city for h in p.world.hosts}
    index = {c: i for i, c in enumerate(CITIES)}
    src, dst = flows["src_ip"].to_pylist(), flows["dst_ip"].to_pylist()
    owner = [exporter_of(index, city.get(s) or city.get(d, CITIES[0])) for s, d in zip(src, dst)]
    flows = flows.set_column(flows.schema.get_field_index("exporter"), "exporter", pa.array(owner))
    order = np.argsort(flows["ts_end"].to_numpy(), kind="stable")
    flows = flows.take(pa.array(order))
    return {e: flows.filter(pa.compute.equal(flows["exporter"], e))
            for e in sorted(set(owner))}


def _write_exports(out: Path, flows: pa.Table, p: Plan) -> None:
    boot = p.t0 - 86400 * 3
    v9, fix = [], []
    for n, (exporter, table) in enumerate(_by_exporter(flows, p).items()):
        config = ExportConfig(boot_time=boot, domain=n + 1, sequence=1000 * n)
        v9 += [(exporter, d) for d in netflow_v9.encode_v9_datagrams(table, config)]
        fix += [(exporter, d) for d in ipfix.encode_ipfix_messages(table, config)]
    _export_pcap(out / "netflow-v9.pcap", v9, 2055, lambda d: int.from_bytes(d[8:12], "big"))
    _export_pcap(out / "ipfix.pcap", fix, 4739, lambda d: int.from_bytes(d[4:8], "big"))
    fix.sort(key=lambda x: int.from_bytes(x[1][4:8], "big"))
    with (out / "flows.ipfix").open("wb") as f:
        ipfix.write_ipfix_file(f, [d for _, d in fix])


def _export_pcap(path: Path, datagrams: list[tuple[str, bytes]], port: int, export_time) -> None:
    """Exporter datagrams as the collector captured them, in arrival order."""
    datagrams = sorted(datagrams, key=lambda x: export_time(x[1]))
    with path.open("wb") as f:
        w = PcapWriter(f)
        for i, (exporter, d) in enumerate(datagrams):
            w.write(export_time(d) + (i % 1000) * 1e-6, encode_udp(exporter, COLLECTOR, 50000, port, d))


def write_dnslog_file(path: Path, rows: list[dict], p: Plan, rng: np.random.Generator) -> None:
    rows = sorted(rows, key=lambda r: r["ts"])
    with path.open("w", encoding="utf-8") as f:
        write_dnslog(f, rows)
