"""Flow records decoded per second on one core: NetFlow v9 and IPFIX, minewatch against the
pure-Python `netflow` package (bitkeks/python-netflow).

Run: ``.venv/bin/python bench/bench_netflow.py [--n 1000000] [--ref-n 200000] [--repeat 3]``.
`--n` random IPv4 flow records are packed, 30 to a datagram (`--per-datagram`) as exporters
fill an Ethernet MTU, into NetFlow v9 packets and IPFIX messages by the simulator's vectorised
encoders (templates and the sampling option record refreshed every 20th datagram), outside the
clock. minewatch decodes them as `analyze` does (ingest.exports.ExportDecoder: parse_datagram
per datagram, to_flow_table per 4,096-datagram batch, giving the Arrow `flows` table); the
reference calls `netflow.parse_packet` per datagram with its templates dict and collects
`packet.flows`, on the first datagrams holding `--ref-n` records. Each rate is the best of
`--repeat` runs. Before timing, the first 1,000 flow records of both decoders are compared
(bytes, packets, addresses, ports). Rates count flow records only for minewatch; python-netflow
also counts the IPFIX options records among its flows (one per 600 records: negligible).
`netflow` is not a minewatch dependency (`make bench` installs it, group `bench`): without it
its side is skipped with a message.
"""

from __future__ import annotations

# One core for a fair comparison with the single-threaded reference (set before numpy starts).
from onecore import best_rate  # noqa: E402, I001 (first: it limits numpy's threads)

import argparse  # noqa: E402
import ipaddress  # noqa: E402
import time  # noqa: E402

import pyarrow as pa  # noqa: E402

from minewatch.decode import ipfix, netflow_v9  # noqa: E402
from minewatch.decode.flowfields import ExportConfig  # noqa: E402
from minewatch.ingest.exports import ExportDecoder  # noqa: E402
from minewatch.sim.telemetry import random_flows  # noqa: E402

try:
    from netflow import parse_packet as ref_parse_packet
except ImportError:  # optional: the comparison is skipped
    ref_parse_packet = None

EXPORTER = "192.0.2.1"
CHECKED = 1000  # records compared between the two decoders
# (minewatch flows column, python-netflow v9 key, python-netflow IPFIX key)
CROSS_CHECK = (("bytes", "IN_BYTES", "octetDeltaCount"),
               ("packets", "IN_PKTS", "packetDeltaCount"),
               ("src_ip", "IPV4_SRC_ADDR", "sourceIPv4Address"),
               ("dst_ip", "IPV4_DST_ADDR", "destinationIPv4Address"),
               ("src_port", "L4_SRC_PORT", "sourceTransportPort"),
               ("dst_port", "L4_DST_PORT", "destinationTransportPort"))


def pin_one_core() -> None:
    """Keep Arrow's compute and IO pools to one thread (they may already exist)."""
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def encode(flows: pa.Table, per_datagram: int) -> dict[str, list[bytes]]:
    """The same flows as NetFlow v9 packets and as IPFIX messages."""
    config = ExportConfig(boot_time=float(flows["ts_start"][0].as_py()) - 3600, domain=1,
                          records_per_datagram=per_datagram)
    return {"NetFlow v9": netflow_v9.encode_v9_datagrams(flows, config),
            "IPFIX": ipfix.encode_ipfix_messages(flows, config)}


def decode_ours(datagrams: list[bytes]) -> pa.Table:
    """The `flows` table, decoded as `minewatch analyze` decodes exporter datagrams."""
    decoder = ExportDecoder("bench")
    for d in datagrams:
        decoder.add_payload(d, EXPORTER)
    return decoder.table()


def decode_reference(datagrams: list[bytes]) -> list:
    """python-netflow's flow records (one object per record, fields as attributes)."""
    templates: dict = {"netflow": {}, "ipfix": {}}
    flows: list = []
    for d in datagrams:
        flows += ref_parse_packet(d, templates).flows
    return flows


def cross_check(datagrams: list[bytes], key: int) -> str:
    """"ok", or the first difference, between the decoders on the flow records of the first
    datagrams holding CHECKED of them, compared as sorted tuples: minewatch keeps arrival order
    only within a template and a run of same-shape datagrams (python-netflow counts IPFIX
    options records as flows: they are left out here)."""
    head, _ = records_in(datagrams, CHECKED)
    cols = decode_ours(head).to_pydict()
    ours = sorted(zip(*(cols[row[0]] for row in CROSS_CHECK)))
    theirs = sorted(tuple(_reference_value(r.data[row[key]], row[0]) for row in CROSS_CHECK)
                    for r in decode_reference(head) if CROSS_CHECK[0][key] in r.data)
    if len(ours) != len(theirs):
        return f"minewatch gave {len(ours)} records, python-netflow {len(theirs)}"
    for i, (mine, other) in enumerate(zip(ours, theirs)):
        if mine != other:
            return f"sorted record {i}: minewatch {mine!r}, python-netflow {other!r}"
    return "ok"


def _reference_value(value, column: str):
    return str(ipaddress.ip_address(value)) if column.endswith("_ip") else value


def records_in(datagrams: list[bytes], want: int) -> tuple[list[bytes], int]:
    """The first datagrams holding at least `want` flow records, and their record count."""
    per = decode_ours(datagrams[:1]).num_rows
    head = datagrams[: -(-want // per)]
    return head, decode_ours(head).num_rows


def bench_format(name: str, datagrams: list[bytes], args) -> tuple[float, float | None]:
    n = decode_ours(datagrams).num_rows
    ours = best_rate(lambda: decode_ours(datagrams), n, args.repeat)
    size = sum(map(len, datagrams)) / 1e6
    print(f"{name:<10} minewatch      ({n:>9,d} records, {len(datagrams):>6,d} datagrams, "
          f"{size:.0f} MB): {ours:>12,.0f} records/s")
    if ref_parse_packet is None:
        return ours, None
    print(f"{name:<10} cross-check of the first {CHECKED:,d} records (bytes, packets, addresses, "
          f"ports): {cross_check(datagrams, 1 if name.startswith('NetFlow') else 2)}")
    head, ref_n = records_in(datagrams, args.ref_n)
    ref = best_rate(lambda: decode_reference(head), ref_n, args.repeat)
    print(f"{name:<10} python-netflow ({ref_n:>9,d} records, {len(head):>6,d} datagrams): "
          f"{ref:>17,.0f} records/s")
    return ours, ref


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="flow records for minewatch")
    parser.add_argument("--ref-n", type=int, default=200_000, help="records for python-netflow")
    parser.add_argument("--repeat", type=int, default=3, help="runs per rate; the best counts")
    parser.add_argument("--per-datagram", type=int, default=30, help="flow records per datagram "
                        "(30 fills a 1,500-byte MTU; the IPFIX limit is about 1,500)")
    args = parser.parse_args()
    pin_one_core()
    t0 = time.perf_counter()
    encoded = encode(random_flows(args.n), args.per_datagram)
    print(f"one core, best of {args.repeat}; {args.per_datagram} records per datagram; "
          f"encoded {args.n:,d} flows twice in "
          f"{time.perf_counter() - t0:.1f} s (not timed below)")
    if ref_parse_packet is None:
        print("python-netflow not installed (pip install netflow): its side is skipped")
    rates = {name: bench_format(name, datagrams, args) for name, datagrams in encoded.items()}
    if ref_parse_packet is not None:
        print("ratio minewatch / python-netflow: " + ", ".join(
            f"{name} {ours / ref:.1f}x" for name, (ours, ref) in rates.items()))


if __name__ == "__main__":
    main()
