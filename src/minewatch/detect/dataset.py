"""Labelled conversation tables for the behavioural model: from simulated provinces and from real
captures, each in two views.

- `pcap`: flows metered from packets (packet-size, gap and PSH sums present).
- `export`: the same traffic as flow exports see it (those sums missing). For a simulated province
  this is its IPFIX telemetry (all hosts, the exporter's own 300 s active timeout and millisecond
  times); for a real capture, its metered flows with the four sums set to null.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch.detect.labels import label, sim_endpoints
from minewatch.flows.features import conversations
from minewatch.limits import tune

PACKET_SUMS = ("psh_packets", "bytes_sq", "gap_sq", "gap_max")


def read_tables(path: Path) -> dict[str, pa.Table]:
    """The raw tables of one capture file (packets or exporter datagrams), as `analyze` reads it."""
    from minewatch.ingest.capture import read_capture

    with Path(path).open("rb") as f:
        tables, _, _ = read_capture(f, path.name, path.name)
    return tables


def without_packet_sums(flows: pa.Table) -> pa.Table:
    """`flows` as a flow exporter reports them: the per-packet sums null."""
    for name in PACKET_SUMS:
        i = flows.schema.get_field_index(name)
        flows = flows.set_column(i, flows.schema.field(i), pa.nulls(flows.num_rows, flows.schema.field(i).type))
    return flows


def _tagged(table: pa.Table, **tags) -> pa.Table:
    for name, value in tags.items():
        table = table.append_column(name, pa.array([value] * table.num_rows))
    return table


def windows(flows: pa.Table, span: float | None) -> list[pa.Table]:
    """`flows` in consecutive `span`-second windows by record start, from the first record (what
    a query of one period selects); the whole table when `span` is None."""
    if span is None or flows.num_rows == 0:
        return [flows]
    start = flows["ts_start"].to_numpy()
    slot = np.floor((start - start.min()) / span).astype(np.int64)
    return [flows.take(np.flatnonzero(slot == k)) for k in np.unique(slot)]


def sim_views(sim_dir: Path, spans: tuple[float | None, ...] = (None,)) -> pa.Table:
    """Labelled conversations of a simulated province directory, both views, each over the whole
    capture (span None) and in windows of the other `spans` (s); with `view` ('pcap' / 'export'),
    `window_s` (0 for the whole capture) and `origin` ('sim-<seed>') columns."""
    sim_dir = Path(sim_dir)
    ends = sim_endpoints(sim_dir)
    truth = json.loads(sim_dir.joinpath("truth.json").read_text(encoding="utf-8"))
    origin = f"sim-{truth['seed']}"
    parts = []
    for view, name in (("pcap", "packets.pcap"), ("export", "ipfix.pcap")):
        flows = read_tables(sim_dir / name)["flows"]
        for span in spans:
            for part in windows(flows, span):
                parts.append(_tagged(label(conversations(part), ends), view=view,
                                     window_s=int(span or 0), origin=origin))
    return pa.concat_tables(parts)


_SUBMITTERS = """
SELECT DISTINCT client_ip, client_port, server_ip, server_port FROM events
WHERE lower(method) LIKE '%submit%' AND NOT lower(method) LIKE '%hashrate%'
"""
_PROBED = "SELECT DISTINCT client_ip, client_port, server_ip, server_port FROM events"


def capture_views(path: Path) -> pa.Table:
    """Labelled conversations of a real capture, both views. Label 1: a conversation that carries
    share submissions (stratum events read from its payload); null: one with stratum messages
    but no share (pool probes and scans, too short to be mining); 0: every other one."""
    tables = read_tables(Path(path))
    con = tune(duckdb.connect())
    con.register("events", tables["stratum_events"])
    submit = con.sql(_SUBMITTERS).to_arrow_table()
    probed = con.sql(_PROBED).to_arrow_table()
    con.close()
    parts = []
    for view, flows in (("pcap", tables["flows"]), ("export", without_packet_sums(tables["flows"]))):
        convs = conversations(flows)
        parts.append(_tagged(_capture_labels(convs, submit, probed), view=view, window_s=0,
                             origin=f"capture:{Path(path).name}"))
    return pa.concat_tables(parts)


def _capture_labels(convs: pa.Table, submit: pa.Table, probed: pa.Table) -> pa.Table:
    def hit(ends: pa.Table) -> pa.Array:
        keys = [pc.binary_join_element_wise(
            pc.cast(t[a], pa.string()), pc.cast(t[b], pa.string()), pc.cast(t[c], pa.string()),
            pc.cast(t[d], pa.string()), "|") for t, (a, b, c, d) in (
                (convs, ("client_ip", "client_port", "server_ip", "server_port")),
                (convs, ("server_ip", "server_port", "client_ip", "client_port")),
                (ends, ("client_ip", "client_port", "server_ip", "server_port")))]
        return pc.or_(pc.is_in(keys[0], value_set=keys[2]), pc.is_in(keys[1], value_set=keys[2]))

    is_miner, is_probed = hit(submit), hit(probed)
    kind = pc.if_else(is_miner, "capture-miner", pc.if_else(is_probed, "capture-probe", "other"))
    lab = pc.if_else(is_miner, 1, pc.if_else(is_probed, pa.scalar(None, pa.int64()), 0))
    return convs.append_column("kind", kind).append_column("label", pc.cast(lab, pa.int64()))


def capture_files(pcaps_dir: Path) -> list[Path]:
    """The capture files of a directory (pcap, pcapng), sorted by name."""
    return sorted(p for p in Path(pcaps_dir).iterdir() if p.suffix in (".pcap", ".pcapng"))
