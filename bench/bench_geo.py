"""Lookups per second on one core: vectorised GeoDB against py-ip2region's per-IP Searcher.

Run: ``.venv/bin/python bench/bench_geo.py [--n 1000000] [--ref-n 200000] [--repeat 5]``.
Both sides get the same random IPv4 addresses (uniform over the address space) and the whole
file in memory (the Searcher with `new_with_buffer`, its fastest policy), once as dotted text and
once as integers (uint32 for GeoDB, the packed 4 bytes for the Searcher, built outside the
clock). Each rate is the best of `--repeat` runs; load time is reported apart.
"""

from __future__ import annotations

# One core for a fair comparison with the single-threaded Searcher (set before numpy starts).
from onecore import best_rate  # noqa: E402, I001 (first: it limits numpy's threads)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
from ip2region import searcher as ref_searcher  # noqa: E402
from ip2region import util as ref_util  # noqa: E402

from minewatch.enrich.geo import GeoDB, default_xdb_path, uint32_to_ipv4  # noqa: E402


def pin_one_core() -> None:
    """Keep Arrow's compute and IO pools to one thread (they may already exist)."""
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def random_addresses(n: int, seed: int = 1) -> np.ndarray:
    """`n` uniformly random IPv4 addresses as uint32."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)


def bench_geodb(db: GeoDB, values: np.ndarray, repeat: int) -> tuple[float, float]:
    """(text lookups/s, uint32 lookups/s) of GeoDB.lookup on the whole column."""
    text = pa.array(uint32_to_ipv4(values), pa.string())
    text_rate = best_rate(lambda: db.lookup(text), len(values), repeat)
    int_rate = best_rate(lambda: db.lookup(values), len(values), repeat)
    return text_rate, int_rate


def bench_reference(buf: bytes, values: np.ndarray, repeat: int) -> tuple[float, float]:
    """(text lookups/s, packed-bytes lookups/s) of the Searcher, one search() per address."""
    searcher = ref_searcher.new_with_buffer(ref_util.IPv4, buf)
    text = uint32_to_ipv4(values)
    packed = [v.to_bytes(4, "big") for v in values.tolist()]
    text_rate = best_rate(lambda: [searcher.search(ip) for ip in text], len(text), repeat)
    int_rate = best_rate(lambda: [searcher.search(ip) for ip in packed], len(packed), repeat)
    return text_rate, int_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="addresses for GeoDB")
    parser.add_argument("--ref-n", type=int, default=200_000, help="addresses for the Searcher")
    parser.add_argument("--repeat", type=int, default=5, help="runs per rate; the best counts")
    args = parser.parse_args()
    pin_one_core()
    buf = default_xdb_path().read_bytes()
    values = random_addresses(args.n)
    t0 = time.perf_counter()
    db = GeoDB.from_bytes(buf)
    load_s = time.perf_counter() - t0
    text_rate, int_rate = bench_geodb(db, values, args.repeat)
    ref_text, ref_int = bench_reference(buf, values[: args.ref_n], args.repeat)
    print(f"one core, best of {args.repeat}; GeoDB load (index + regions): {load_s * 1e3:.0f} ms")
    print(f"GeoDB lookup, text   ({args.n:>9,d} IPs): {text_rate:>12,.0f} lookups/s")
    print(f"GeoDB lookup, uint32 ({args.n:>9,d} IPs): {int_rate:>12,.0f} lookups/s")
    print(f"Searcher, text       ({args.ref_n:>9,d} IPs): {ref_text:>12,.0f} lookups/s")
    print(f"Searcher, bytes      ({args.ref_n:>9,d} IPs): {ref_int:>12,.0f} lookups/s")
    print(f"ratio GeoDB / Searcher: text {text_rate / ref_text:.1f}x, "
          f"uint32 vs bytes {int_rate / ref_int:.1f}x")


if __name__ == "__main__":
    main()
