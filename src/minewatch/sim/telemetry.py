"""Flow records as the province's exporters send them, for hosts the probe does not see.

Hosts in the packet slice get their records by metering their packets (province.py); all other
hosts' ordinary traffic is drawn here directly as records, vectorised, so a province of
200,000 hosts takes seconds.
"""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa

from minewatch import schema

PORTS = np.array([443, 80, 53, 22, 8080, 123, 5222, 8000])
PORT_P = np.array([0.55, 0.18, 0.15, 0.02, 0.04, 0.03, 0.02, 0.01])


def background_flows(hosts: list[str], servers: list[str], t0: float, t1: float,
                     rng: np.random.Generator, per_host: float = 5.0) -> pa.Table:
    """Both directions of ordinary connections of `hosts` to `servers` (flows schema)."""
    counts = rng.poisson(per_host, size=len(hosts))
    n = int(counts.sum())
    client = np.repeat(np.asarray(hosts, dtype=object), counts)
    server = np.asarray(servers, dtype=object)[rng.integers(0, len(servers), size=n)]
    dport = rng.choice(PORTS, size=n, p=PORT_P)
    proto = np.where((dport == 53) | (dport == 123), 17, 6)
    sport = rng.integers(32768, 61000, size=n)
    start = rng.uniform(t0, t1 - 1, size=n)
    end = np.minimum(start + rng.exponential(20.0, size=n), t1 - 1e-3)
    pk_up = np.maximum(1, rng.lognormal(2.0, 1.0, size=n).astype(np.int64))
    pk_dn = np.maximum(1, (pk_up * rng.uniform(0.8, 1.6, size=n)).astype(np.int64))
    pk_up = np.where(proto == 17, 1, pk_up)
    pk_dn = np.where(proto == 17, 1, pk_dn)
    by_up = pk_up * rng.integers(52, 400, size=n)
    by_dn = pk_dn * rng.integers(52, 1400, size=n)
    flags = np.where(proto == 6, 0x1B, 0)  # FIN SYN PSH ACK
    up = _table(start, end, client, sport, server, dport, proto, pk_up, by_up, flags)
    down = _table(start + 0.02, end, server, dport, client, sport, proto, pk_dn, by_dn, flags)
    return pa.concat_tables([up, down])


def _table(start, end, src, sport, dst, dport, proto, packets, nbytes, flags) -> pa.Table:
    n = len(start)
    cols = {"ts_start": start, "ts_end": np.maximum(end, start), "src_ip": src.tolist(),
            "src_port": sport, "dst_ip": dst.tolist(), "dst_port": dport, "proto": proto,
            "packets": packets, "bytes": nbytes, "tcp_flags": flags,
            "sampling_rate": np.ones(n, np.int64), "exporter": [""] * n, "source": ["sim"] * n,
            "input_id": [""] * n}
    return schema.table_of("flows", cols)


def exporter_of(city_index: dict[str, int], city: str) -> str:
    """One border exporter per city (its address and NetFlow source id)."""
    return str(ipaddress.IPv4Address(0x0AC80001 + (city_index.get(city, 0) << 8)))


def random_flows(n: int, seed: int = 1, sampling_rate: int = 1) -> pa.Table:
    """`n` IPv4 flows between random addresses over ten minutes, in start order (the columns
    the exporters' encoders read): the load of the decoder benchmarks and round-trip tests."""
    from minewatch.decode.flowfields import ipv4_text

    rng = np.random.default_rng(seed)
    start = np.round(1.7e9 + np.sort(rng.uniform(0, 600, n)), 3)
    return pa.table({
        "ts_start": start, "ts_end": np.round(start + rng.uniform(0, 30, n), 3),
        "src_ip": ipv4_text(rng.integers(0, 2**32, n, dtype=np.uint64)),
        "src_port": rng.integers(1024, 65536, n), "proto": rng.choice([6, 17], n),
        "dst_ip": ipv4_text(rng.integers(0, 2**32, n, dtype=np.uint64)),
        "dst_port": rng.choice([443, 3333, 4444, 14444, 53], n),
        "packets": rng.integers(1, 5000, n), "bytes": rng.integers(40, 10**7, n),
        "tcp_flags": rng.integers(0, 64, n), "sampling_rate": np.full(n, sampling_rate, np.int64)})
