"""Lookups per second: vectorised GeoDB against py-ip2region's per-IP Searcher, one run.

Run: ``.venv/bin/python bench/bench_geo.py [--n 1000000] [--ref-n 200000]``.
Both sides get the same random IPv4 text (uniform over the address space) and the whole file in
memory (the Searcher with `new_with_buffer`, its fastest policy). Load time is reported apart.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa
from ip2region import searcher as ref_searcher
from ip2region import util as ref_util

from minewatch.enrich.geo import GeoDB, default_xdb_path, ipv4_to_uint32, uint32_to_ipv4


def random_ips(n: int, seed: int = 1) -> list[str]:
    """`n` uniformly random dotted quads."""
    rng = np.random.default_rng(seed)
    return uint32_to_ipv4(rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32))


def timed(fn) -> tuple[float, object]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def bench_geodb(buf: bytes, ips: list[str]) -> tuple[float, float, float]:
    """(load s, text lookups/s, uint32 lookups/s) for GeoDB."""
    load_s, db = timed(lambda: GeoDB.from_bytes(buf))
    column = pa.array(ips)
    text_s, _ = timed(lambda: db.lookup(column))
    values = ipv4_to_uint32(column)  # parsed outside the clock: the uint32 path alone
    int_s, _ = timed(lambda: db.lookup(values))
    return load_s, len(ips) / text_s, len(ips) / int_s


def bench_reference(buf: bytes, ips: list[str]) -> float:
    """Lookups/s of py-ip2region's Searcher, one search() per address."""
    searcher = ref_searcher.new_with_buffer(ref_util.IPv4, buf)
    seconds, _ = timed(lambda: [searcher.search(ip) for ip in ips])
    return len(ips) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="addresses for GeoDB")
    parser.add_argument("--ref-n", type=int, default=200_000, help="addresses for the Searcher")
    args = parser.parse_args()
    buf = default_xdb_path().read_bytes()
    ips = random_ips(args.n)
    load_s, text_rate, int_rate = bench_geodb(buf, ips)
    ref_rate = bench_reference(buf, ips[: args.ref_n])
    print(f"GeoDB load (index + region table): {load_s * 1e3:.0f} ms")
    print(f"GeoDB lookup, text  ({args.n:>9,d} IPs): {text_rate:>14,.0f} lookups/s")
    print(f"GeoDB lookup, uint32({args.n:>9,d} IPs): {int_rate:>14,.0f} lookups/s")
    print(f"py-ip2region Searcher ({args.ref_n:>7,d} IPs): {ref_rate:>14,.0f} lookups/s")
    print(f"ratio GeoDB text / Searcher: {text_rate / ref_rate:.1f}x")


if __name__ == "__main__":
    main()
