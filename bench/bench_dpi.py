"""Deep packet inspection speed and recall: minewatch's packet path against NFStream (nDPI).

Run: ``.venv/bin/python bench/bench_dpi.py [--gb 1.0] [--seed 1] [--mix isp|mining-heavy|all]
[--keep] [--repeat 5]``. Per mix (see MIXES), one capture of at least --gb GB is written to
/tmp from the simulator's packet encoders: miners of a "medium" province (Stratum v1, ZIP 301,
EthereumStratum, ETHProxy over TCP and HTTP, CryptoNote, TLS), Stratum V2 miners (plaintext and
Noise-encrypted), browser-miner visits, the traps (SSH, Bitcoin P2P, coin-daemon RPC) and
ordinary web traffic (pages, HTTPS, downloads) filling the rest. The file is flushed and read
once, then each side reads it --repeat times, alternating, the median run reported, each in
its own child process, so peak RSS is its own:

- minewatch reads it as `analyze` does (`ingest.capture.read_capture`), after a warm-up that
  loads the compiled kernels from numba's cache. It hands its row blocks to a sink, as `analyze`
  hands them to the store, so its peak RSS is that of the packet path. Its work runs on one
  thread; a second one reads the file ahead (`ingest.frames`).
- NFStream runs with one meter (one process reads and inspects; the parent takes its flows)
  and nDPI's default settings.

Both wall-clock time (the throughput compared) and CPU time (all threads and processes of a
side) are reported.

Recall is over the miner connections that speak inside the capture period:

- minewatch finds one by its payload session, plus a TLS SNI naming a listed pool (its own
  hello, or another connection's to the same address, as `analyze` derives), plus the
  behavioural model;
- NFStream finds one by a flow whose nDPI application or category is "Mining".

A TLS miner whose connection began before the capture, to a pool no hello in the capture, no
list and no DNS answer names, shows nothing but a few encrypted records in a one-minute
capture (too few for the model): the report counts those misses apart, by name.

NFStream is not a minewatch dependency (`make bench` installs it, group `bench`): without it
its side is skipped with a message. The files are deleted unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from heapq import heappop, heappush
from itertools import count
from pathlib import Path

import numpy as np

WINDOW_S = 10.0  # background sessions are drawn window by window, so memory stays bounded
MB = 1e6


# --- the capture ------------------------------------------------------------------------------

def _frame(p) -> bytes:
    from minewatch.decode.packet import encode_tcp, encode_udp

    if p.proto == 6:
        return encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
    return encode_udp(p.src, p.dst, p.sport, p.dport, p.payload)


def _key(src: str, sport: int, dst: str, dport: int) -> str:
    return f"{src}|{sport}|{dst}|{dport}"


def _sv2_messages(rng: np.random.Generator, t0: float, t1: float, hashrate: float) -> list:
    """A plaintext SV2 standard channel: setup, channel, a job every 30 s, shares every ~15 s."""
    from minewatch.decode import stratum_v2 as sv2

    target = int(2**256 / (hashrate * 15))
    m = [(t0, True, sv2.SetupConnection(0, 2, 2, 1, "v2.pool.example", 34254, "Bitmain",
                                        "S19 Pro", "braiins-os-2023-06", "")),
         (t0 + 0.05, False, sv2.SetupConnectionSuccess(2, 0)),
         (t0 + 0.1, True, sv2.OpenStandardMiningChannel(1, f"acct{rng.integers(1e5)}.rig1",
                                                        hashrate, 2**256 - 1)),
         (t0 + 0.15, False, sv2.OpenStandardMiningChannelSuccess(1, 1, target, b"\x00" * 4, 0))]
    seq = 0
    for k, tj in enumerate(np.arange(t0 + 0.2, t1, 30.0)):
        m.append((float(tj), False, sv2.NewMiningJob(1, k, int(tj), 0x20000000, rng.bytes(32))))
        for ts in np.sort(rng.uniform(tj, min(tj + 30, t1), rng.poisson(2))):
            seq += 1
            m.append((float(ts), True, sv2.SubmitSharesStandard(1, seq, k, seq, int(ts), 0x20000000)))
            m.append((float(ts) + 0.05, False, sv2.SubmitSharesSuccess(1, seq, 1, 1)))
    return [(ts, up, sv2.encode(msg)) for ts, up, msg in m]


def _sv2_session(rng, client: str, server: str, t0: float, t1: float, encrypted: bool):
    from minewatch.sim.packets import Conn, tcp_session

    msgs = _sv2_messages(rng, t0, t1, float(rng.uniform(1e13, 2e14)))
    if encrypted:  # the same conversation behind Noise: 22-byte header + payload + 16-byte MAC
        msgs = [(t0 - 0.1, True, rng.bytes(64)), (t0 - 0.05, False, rng.bytes(234))] + \
            [(ts, up, rng.bytes(len(b) - 6 + 22 + 16)) for ts, up, b in msgs]
    conn = Conn(client, int(rng.integers(32768, 61000)), server, 3336 if encrypted else 34254)
    return conn, tcp_session(conn, msgs, rng, True, close_at=None)


def _download(client: str, server: str, sni: str, t: float, rng: np.random.Generator):
    """An HTTPS download: a ClientHello, then 0.2-3 MB in 16 KB TLS records."""
    from minewatch.sim import background as bg
    from minewatch.sim.packets import Conn, tcp_session

    n = int(rng.integers(12, 200))
    msgs = [(t + 0.2, True, rng.bytes(400))] + \
        [(t + 0.25 + 0.004 * k, False, rng.bytes(16_000)) for k in range(n)]
    return tcp_session(Conn(client, int(rng.integers(32768, 61000)), server, 443),
                       bg.tls_records(msgs, sni, rng, t), rng, True, close_at=t + 0.3 + 0.004 * n)


class Capture:
    """Writes the capture in time order and keeps the ground truth."""

    def __init__(self, path: Path, seed: int, mix: Mix) -> None:
        from dataclasses import replace

        from minewatch.enrich.geo import GeoDB
        from minewatch.sim.province import SCALES, plan

        self.path, self.rng = path, np.random.default_rng([seed, 77])
        self.p = plan(replace(SCALES["medium"], period_s=mix.period_s), seed, GeoDB.load())
        self.mix = mix
        self.span = min(600.0, 0.8 * mix.period_s)  # when long-lived look-alikes start
        self.hosts = [h.ip for h in self.p.world.hosts]
        self.web = list(self.p.web_ips.items())
        self.fixed: list[tuple[float, bytes]] = []  # long-lived connections, drawn up front
        self.miners: dict[str, str] = {}  # connection key -> dialect
        self.visits: dict[str, str] = {}  # browser-miner connection key -> site host
        self.packets = 0
        self._order = count()  # ties in the heap keep drawing order

    def _add(self, pkts, out: list) -> bool:
        """Keep the packets inside the capture period; whether any carries payload."""
        kept = [p for p in pkts if p.ts < self.p.t1]
        out += [(p.ts, _frame(p)) for p in kept]
        return any(p.payload for p in kept)

    def draw_long(self) -> None:
        from minewatch.sim import background as bg
        from minewatch.sim.province import miner_packets

        rng, p = self.rng, self.p
        every = round(1 / self.mix.miners)
        for m in p.miners[::every]:  # a miner is in the truth if it says anything in the period
            conn, pkts = miner_packets(m, p, rng)
            if self._add(pkts, self.fixed):
                self.miners[_key(conn.client, conn.cport, conn.server, conn.sport)] = \
                    m.profile.dialect + ("+tls" if m.profile.tls else "")
        for i in range(self.mix.sv2):
            client, server = self._host(), self.web[i % len(self.web)][1]
            conn, pkts = _sv2_session(rng, client, server,
                                      p.t0 + float(rng.uniform(1, self.span)), p.t1,
                                      encrypted=i % 2 == 1)
            if self._add(pkts, self.fixed):
                self.miners[_key(conn.client, conn.cport, conn.server, conn.sport)] = \
                    "stratum-v2" + ("+noise" if i % 2 else "")
        for i in range(self.mix.visits):
            t = p.t0 + float(rng.uniform(0, max(p.t1 - p.t0 - 400, self.span)))
            pkts = bg.browser_miner_visit(self._host(), self.web[i % len(self.web)][1],
                                          f"site{i}.example.net", t, rng)
            for pk in pkts:
                if pk.dport == 80:
                    self.visits[_key(pk.src, pk.sport, pk.dst, pk.dport)] = f"site{i}.example.net"
            self._add(pkts, self.fixed)
        for _ in range(300):
            self._add(self._trap(), self.fixed)
        self.fixed.sort(key=lambda x: x[0])

    def _host(self) -> str:
        return self.hosts[int(self.rng.integers(0, len(self.hosts)))]

    def _trap(self):
        from minewatch.sim import background as bg

        rng, p, peer = self.rng, self.p, self.web[int(self.rng.integers(0, len(self.web)))][1]
        t = p.t0 + float(rng.uniform(0, self.span))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            return bg.ssh_session(self._host(), peer, t, p.t1, rng)
        if kind == 1:
            return bg.bitcoin_p2p(self._host(), peer, t, p.t1, rng)
        return bg.jsonrpc_poller(self._host(), peer, t, p.t1, rng, 8332, "getblockchaininfo")

    def _short(self, t: float):
        from minewatch.sim import background as bg

        name, server = self.web[int(self.rng.integers(0, len(self.web)))]
        r = self.rng.random()
        if r < 0.25:
            return _download(self._host(), server, name, t, self.rng)
        if r < 0.85:
            return bg.https_session(self._host(), server, name, t, self.rng)
        return bg.http_session(self._host(), server, name, t, self.rng)

    def write(self, target_bytes: float) -> int:
        """Everything in time order; background fills up to `target_bytes` of file."""
        from minewatch.decode.pcap import PcapWriter

        p, heap, fixed_at, drawn = self.p, [], 0, 0
        fixed_bytes = sum(len(f) + 16 for _, f in self.fixed)
        windows = np.arange(p.t0, p.t1, WINDOW_S)
        quota = max(target_bytes - fixed_bytes, 0) / len(windows)
        with self.path.open("wb") as f:
            w = PcapWriter(f)
            for i, start in enumerate(windows):
                while drawn < quota * (i + 1):
                    for pk in self._short(float(start + self.rng.uniform(0, WINDOW_S))):
                        frame = _frame(pk)
                        drawn += len(frame) + 16
                        heappush(heap, (pk.ts, next(self._order), frame))
                fixed_at = self._flush(w, heap, fixed_at, float(start) - 1.0)
            self._flush(w, heap, fixed_at, float("inf"))
        return self.path.stat().st_size

    def _flush(self, w, heap: list, fixed_at: int, until: float) -> int:
        fixed = self.fixed
        while True:
            nxt = fixed[fixed_at][0] if fixed_at < len(fixed) else float("inf")
            if heap and heap[0][0] <= nxt and heap[0][0] < until:
                ts, _, frame = heappop(heap)
            elif nxt < until:
                ts, frame = fixed[fixed_at]
                fixed_at += 1
            else:
                return fixed_at
            w.write(ts, frame)
            self.packets += 1


# --- the two sides, each in a child process ---------------------------------------------------

def _rss_mb() -> dict:
    """Peak RSS of this process since its exec (VmHWM; ru_maxrss on Linux keeps the peak of the
    forked parent, here the capture writer) and of its own children."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        status = Path("/proc/self/status").read_text()
        own = int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"rss_mb": own, "children_rss_mb": kids}


def _warm_up() -> None:
    """Load the packet kernels outside the timed run, compiled first in a process of their own
    when the cache is cold (as `analyze` does), so that peak RSS is the packet path's."""
    from minewatch.ingest.warm import compile_apart, warm

    compile_apart()
    warm()


def child_minewatch(path: str) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from minewatch import schema
    from minewatch.detect.intel import PoolIntel
    from minewatch.ingest.capture import read_capture

    _warm_up()
    streamed, kept = Counter(), []
    flows_file = Path(path + ".flows.parquet")
    flows_out = pq.ParquetWriter(flows_file, schema.arrow_schema("flows"))

    def sink(name: str, table) -> None:  # as analyze streams rows to the store, drop them here
        streamed[name] += table.num_rows
        if name == "tls_hellos":
            kept.append(table)
        elif name == "flows":  # to disk, as the store spools them: for after the timing
            flows_out.write_table(table)

    t0, c0 = time.perf_counter(), time.process_time()
    with open(path, "rb") as f:
        tables, state, _ = read_capture(f, "bench", "bench.pcap", sink=sink)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = _rss_mb()
    flows_out.write_table(tables["flows"])
    flows_out.close()
    intel, con = PoolIntel.builtin(), _flows_db(flows_file)
    hellos = pa.concat_tables([tables["tls_hellos"], *kept]).to_pylist()
    payload = _keys(tables["payload_sessions"].to_pylist())
    sni = _keys([r for r in hellos if intel.match(r["sni"])]) + _sni_endpoint_keys(con, intel, hellos)
    web = tables["web_entities"].to_pylist()
    return {"seconds": seconds, "cpu_s": cpu, "packets": state.counters.packets,
            "routed": state.routed, "steady": state.reader.messages,
            "events": streamed["stratum_events"] + tables["stratum_events"].num_rows,
            "payload": payload, "sni": sni, "model": _model_keys(con, payload + sni),
            "web_hosts": sorted({r["host"] for r in web if r["kind"] == "page"}),
            "hello_servers": sorted({r["server_ip"] for r in hellos}),
            "web_rows": len(web)} | rss


def _keys(rows: list[dict]) -> list[str]:
    return [_key(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]) for r in rows]


def _flows_db(flows_file: Path):
    """The streamed flow records as `flows_once` in an in-memory DuckDB (the file is removed)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE flows_once AS SELECT * FROM read_parquet('{flows_file}')")
    flows_file.unlink()
    return con


def _sni_endpoint_keys(con, intel, hellos: list[dict]) -> list[str]:
    """Connections to an address that some TLS hello of the capture names as a listed pool, as
    analyze's derive step finds them (engine/derive.py, flow sessions to learned endpoints)."""
    from minewatch.detect.intel import serving_pool

    endpoints = intel.endpoints([], [{k: r[k] for k in ("server_ip", "server_port", "sni")}
                                     for r in hellos])
    with_hello = {(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]): r["sni"]
                  for r in hellos}
    rows = con.execute("SELECT DISTINCT src_ip, src_port, dst_ip, dst_port FROM flows_once "
                       "WHERE proto = 6").fetchall()
    return [_key(*k) for k in rows if serving_pool(endpoints, k, with_hello) is not None]


def _model_keys(con, covered: list[str]) -> list[str]:
    """Connections the behavioural model adds, as `analyze` would after reading (untimed: it
    runs in the derive step, over the stored flows)."""
    from minewatch.detect.behaviour import behaviour_sessions

    covered_keys = {(a, int(b), c, int(d)) for a, b, c, d in (k.split("|") for k in covered)}
    found = behaviour_sessions(con, covered_keys)
    return _keys(found)


def child_nfstream(path: str) -> dict:
    from nfstream import NFStreamer

    t0, c0 = time.perf_counter(), time.process_time()
    packets, flows, mining, apps = 0, 0, [], Counter()
    for fl in NFStreamer(source=path, n_meters=1, statistical_analysis=False):
        packets += fl.bidirectional_packets
        flows += 1
        label = f"{fl.application_name}/{fl.application_category_name}"
        if "Mining" in label:
            apps[label] += 1
            mining += [_key(fl.src_ip, fl.src_port, fl.dst_ip, fl.dst_port),
                       _key(fl.dst_ip, fl.dst_port, fl.src_ip, fl.src_port)]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    meters = resource.getrusage(resource.RUSAGE_CHILDREN)  # its meter process
    return {"seconds": seconds, "cpu_s": cpu + meters.ru_utime + meters.ru_stime,
            "packets": packets, "flows": flows,
            "mining": mining, "labels": dict(apps)} | _rss_mb()


def run_child(side: str, path: Path) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, "--child", side, str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"{side}: failed\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def nfstream_available() -> bool:
    try:
        import nfstream  # noqa: F401
    except ImportError:
        return False
    return True


# --- report -----------------------------------------------------------------------------------

def _recall_table(truth: dict[str, str], found: dict[str, set]) -> None:
    by = Counter(truth.values())
    print(f"\n{'miner connections':<28}{'n':>6}" + "".join(f"{name:>14}" for name in found))
    for dialect in sorted(by):
        keys = [k for k, d in truth.items() if d == dialect]
        cells = "".join(f"{sum(k in s for k in keys) / len(keys):>14.1%}" for s in found.values())
        print(f"{dialect:<28}{len(keys):>6}{cells}")
    cells = "".join(f"{sum(k in s for k in truth) / len(truth):>14.1%}" for s in found.values())
    print(f"{'all':<28}{len(truth):>6}{cells}")


def _misses(cap: Capture, found: set[str], hello_servers: set[str]) -> None:
    """The miner connections minewatch missed, and which of them show nothing to name them
    by: TLS whose server no hello in the capture names (begun before it, pool unlisted)."""
    missed = sorted(k for k in cap.miners if k not in found)
    if not missed:
        return
    dark = [k for k in missed if cap.miners[k].endswith("+tls")
            and k.split("|")[2] not in hello_servers]
    print(f"missed by minewatch: {len(missed)}; of them {len(dark)} TLS connections begun "
          "before the capture to a server no hello, list or DNS answer in it names "
          f"({len(missed) - len(dark)} others): {', '.join(missed)}")


def _side_line(name: str, r: dict, size: int) -> str:
    runs = r.get("runs", [r["seconds"]])
    spread = f" (median of {len(runs)}: {min(runs):.2f}-{max(runs):.2f} s)" if len(runs) > 1 else ""
    return (f"{name:<10} {r['seconds']:8.2f} s{spread}, CPU {r['cpu_s']:.2f} s  "
            f"{r['packets'] / r['seconds']:>10,.0f} packets/s  "
            f"{size / MB / r['seconds']:7.1f} MB/s  peak RSS {r['rss_mb']:,.0f} MB"
            + (f" (+ child {r['children_rss_mb']:,.0f} MB)" if r["children_rss_mb"] else ""))


def report(cap: Capture, size: int, mw: dict, nf: dict | None) -> None:
    print(f"capture: {size / 1e9:.2f} GB, {cap.packets:,} packets, {len(cap.miners):,} miner "
          f"connections, {len(set(cap.visits.values()))} browser-miner sites")
    print(_side_line("minewatch", mw, size) + f"  ({mw['routed'] / mw['packets']:.1%} of "
          f"packets decoded in Python; {mw['steady'] / max(mw['events'], 1):.0%} of pool "
          "messages read in compiled code)")
    found = {"minewatch": set(mw["payload"]), "mw+SNI": set(mw["payload"]) | set(mw["sni"]),
             "mw+SNI+model": set(mw["payload"]) | set(mw["sni"]) | _oriented(mw["model"], cap)}
    if nf is not None:
        print(_side_line("NFStream", nf, size) + f"  ({nf['flows']:,} flows)")
        print(f"ratio minewatch / NFStream: {nf['seconds'] / mw['seconds']:.2f}x packets/s")
        found["NFStream"] = set(nf["mining"])
        print(f"nDPI mining labels: {nf['labels']}")
    _recall_table(cap.miners, found)
    fp = {name: len(s - set(cap.miners)) for name, s in found.items()}
    if nf is not None:
        fp["NFStream"] = len({k for k in nf["mining"][::2] if k not in cap.miners
                              and _flip(k) not in cap.miners})
    print(f"detections on non-miner connections: {fp}")
    _misses(cap, found["mw+SNI+model"], set(mw["hello_servers"]))
    sites = set(cap.visits.values())
    print(f"browser-miner sites found by minewatch (page entities): "
          f"{len(sites & set(mw['web_hosts']))}/{len(sites)}, other page hosts: "
          f"{len(set(mw['web_hosts']) - sites)}")
    if nf is not None:
        print(f"browser-miner connections NFStream labels Mining: "
              f"{sum(k in found['NFStream'] for k in cap.visits)}/{len(cap.visits)}")


def _oriented(keys: list[str], cap: Capture) -> set[str]:
    """The model picks a conversation's client by its own rule: match the truth's orientation."""
    return {_flip(k) if _flip(k) in cap.miners else k for k in keys}


def _flip(key: str) -> str:
    a, b, c, d = key.split("|")
    return f"{c}|{d}|{a}|{b}"


@dataclass(frozen=True)
class Mix:
    period_s: float  # seconds of traffic the capture holds
    miners: float  # share of a "medium" province's 1,500 miners on the link
    sv2: int  # Stratum V2 connections (half behind Noise)
    visits: int  # browser-miner page visits


MIXES = {
    # A 1 GB minute of a ~130 Mbit/s access link with 150 miners: pool talk is ~0.3 % of
    # packets. That is generous: the 2021 sweep saw 137 Mbit/s of pool traffic in a province
    # whose links carry terabits, so there mining is well under 0.1 % of packets.
    "isp": Mix(60.0, 0.1, 20, 30),
    # An hour of all 1,500 miners on a 2 Mbit/s link: most packets are pool messages, each of
    # which the Python decoders read. The worst case for minewatch, shown as such.
    "mining-heavy": Mix(3600.0, 1.0, 200, 300),
}


REPEAT = 5  # runs of each side: single runs of one build spread over 0.22-0.34 s on isp here,
# and the median of five is steadier than that of three


def settle(path: Path) -> None:
    """Write the capture out and read it once, so that neither side pays for the other's
    page cache: the first side timed after the capture was written used to run while the
    kernel flushed it (0.8 s instead of 0.45 s for minewatch on the isp mix)."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        while f.read(16 << 20):
            pass


def run_sides(path: Path, repeat: int) -> tuple[dict | None, dict | None]:
    """Each side `repeat` times, alternating (the machines are noisy); each side's run of
    median time, with the times of all its runs in "runs"."""
    runs: dict[str, list[dict]] = {"minewatch": [], "nfstream": []}
    for _ in range(repeat):
        for side in ("minewatch", "nfstream") if nfstream_available() else ("minewatch",):
            r = run_child(side, path)
            if r is not None:
                runs[side].append(r)
    return _median(runs["minewatch"]), _median(runs["nfstream"])


def _median(runs: list[dict]) -> dict | None:
    if not runs:
        return None
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return ordered[(len(ordered) - 1) // 2] | {"runs": [r["seconds"] for r in runs]}


def run_mix(mix: str, gb: float, seed: int, keep: bool, repeat: int) -> None:
    fd, name = tempfile.mkstemp(prefix=f"minewatch-dpi-{mix}-", suffix=".pcap", dir="/tmp")
    os.close(fd)
    path = Path(name)
    try:
        t0 = time.perf_counter()
        cap = Capture(path, seed, MIXES[mix])
        cap.draw_long()
        size = cap.write(gb * 1e9)
        print(f"\n=== mix '{mix}': {MIXES[mix].period_s:.0f} s of traffic; generated {path} in "
              f"{time.perf_counter() - t0:.0f} s")
        settle(path)
        mw, nf = run_sides(path, repeat)
        if nf is None and not nfstream_available():
            print("NFStream not installed (pip install nfstream): its side is skipped")
        if mw is not None:
            report(cap, size, mw, nf)
    finally:
        if not keep:
            path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=1.0, help="capture size, GB (1e9 bytes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix", choices=[*MIXES, "all"], default="all")
    parser.add_argument("--keep", action="store_true", help="keep the capture files")
    parser.add_argument("--repeat", type=int, default=REPEAT,
                        help="runs of each side, alternating; the median is reported")
    parser.add_argument("--child", nargs=2, metavar=("SIDE", "PCAP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, path = args.child
        print(json.dumps((child_minewatch if side == "minewatch" else child_nfstream)(path)))
        return
    for mix in MIXES if args.mix == "all" else [args.mix]:
        run_mix(mix, args.gb, args.seed, args.keep, args.repeat)


if __name__ == "__main__":
    main()
