"""Conversation features for the behavioural miner model: the one definition that training and
scoring share.

A *conversation* is one TCP or UDP connection: every `flows` record of its 5-tuple, both
directions and all time slices (active/idle timeout cuts) joined. Which end is the client:

1. TCP whose opening both ends show (a record with SYN on each side): the end whose SYN record
   starts first opened the connection.
2. Otherwise (opened before the capture, UDP, flow exports): the end whose (address, port) talks
   to more distinct peer addresses in the same input is the server (a pool serves many miners; an
   ephemeral port serves one connection). So a pool on port 45700 is still the server.
3. Otherwise the end with the lower port is the server, then the lower address (as text).

Rule 2 looks across conversations: score a whole input (or period) at once, as training does.

Features (`FEATURES`, in model order) describe the conversation's shape, never its addresses or
ports, and are rates and ratios rather than totals, so that the length of the period scored does
not scale them (totals are returned beside them, `COUNTS`, but not fed to the model).
"up" is client to server, "down" server to client. Gaps are the times between consecutive
packets of one direction, the gaps between its records included, so the figures do not depend on
where an exporter cut the connection. Size spread, gap spread, longest gap and PSH share need the
per-packet sums that only packet captures fill (`bytes_sq`, `gap_sq`, `gap_max`, `psh_packets`);
from flow exports they are NaN, which the model treats as missing. A direction's sum is NaN when
any of its records lacks it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import numpy as np
import pyarrow as pa

from minewatch import schema
from minewatch.limits import tune

KEY = ("client_ip", "client_port", "server_ip", "server_port", "proto")

FEATURES = (
    "duration_s",            # last packet minus first packet, both directions, s
    "packets_per_min_up", "packets_per_min_down",  # packets / duration (at least 1 s)
    "bytes_per_s_up", "bytes_per_s_down",  # IP bytes / duration (at least 1 s)
    "size_mean_up", "size_mean_down",  # mean IP length, bytes
    "size_std_up", "size_std_down",  # standard deviation of IP lengths (captures only)
    "gap_mean_up", "gap_mean_down",  # mean gap between packets, s
    "gap_cv_up", "gap_cv_down",  # gap standard deviation / mean: low for periodic traffic (captures)
    "gap_max_up", "gap_max_down",  # longest gap, s (captures only)
    "psh_share_up", "psh_share_down",  # share of packets with PSH (TCP captures only)
    "up_byte_share", "up_packet_share",  # up / (up + down)
    "udp",  # 1 for UDP, 0 otherwise
)

# Totals kept beside the features (not model inputs: they grow with the observed window).
COUNTS = ("packets_up", "packets_down", "bytes_up", "bytes_down")

# The flows columns read here: the model records their hash and refuses another schema.
INPUT_COLUMNS = ("ts_start", "ts_end", "src_ip", "src_port", "dst_ip", "dst_port", "proto",
                 "packets", "bytes", "tcp_flags", "psh_packets", "bytes_sq", "gap_sq", "gap_max")


def input_schema_hash() -> str:
    """sha256 (hex, first 16) of the names and Arrow types of INPUT_COLUMNS in schema.FLOWS."""
    types = {c.name: str(c.type) for c in schema.FLOWS}
    text = ";".join(f"{name}:{types[name]}" for name in INPUT_COLUMNS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# Each step is materialised as a temporary table: DuckDB plans the same joins as one statement of
# common table expressions badly (minutes instead of milliseconds).
_ORIENT = (
    ("records", """
SELECT *, CASE WHEN src_is_a THEN src_ip ELSE dst_ip END AS a_ip,
       CASE WHEN src_is_a THEN src_port ELSE dst_port END AS a_port,
       CASE WHEN src_is_a THEN dst_ip ELSE src_ip END AS b_ip,
       CASE WHEN src_is_a THEN dst_port ELSE src_port END AS b_port
FROM (SELECT *, (src_ip, src_port) < (dst_ip, dst_port) AS src_is_a FROM flows_in)"""),
    ("ends", """
SELECT ip, port, proto, count(DISTINCT peer) AS peers FROM (
  SELECT src_ip AS ip, src_port AS port, proto, dst_ip AS peer FROM flows_in
  UNION ALL SELECT dst_ip, dst_port, proto, src_ip FROM flows_in) GROUP BY ALL"""),
    ("conv", """
SELECT a_ip, a_port, b_ip, b_port, proto,
       min(ts_start) FILTER (WHERE src_is_a AND tcp_flags & 2 = 2) AS a_syn,
       min(ts_start) FILTER (WHERE NOT src_is_a AND tcp_flags & 2 = 2) AS b_syn
FROM records GROUP BY ALL"""),
    ("side", """
SELECT conv.a_ip, conv.a_port, conv.b_ip, conv.b_port, conv.proto, CASE
    WHEN conv.proto = 6 AND a_syn IS NOT NULL AND b_syn IS NOT NULL AND a_syn <> b_syn
      THEN a_syn < b_syn
    WHEN ea.peers <> eb.peers THEN ea.peers < eb.peers
    WHEN a_port <> b_port THEN a_port > b_port
    ELSE a_ip > b_ip END AS a_is_client
FROM conv
JOIN ends ea ON ea.ip = conv.a_ip AND ea.port = conv.a_port AND ea.proto = conv.proto
JOIN ends eb ON eb.ip = conv.b_ip AND eb.port = conv.b_port AND eb.proto = conv.proto"""),
    ("oriented", """
SELECT CASE WHEN a_is_client THEN a_ip ELSE b_ip END AS client_ip,
       CASE WHEN a_is_client THEN a_port ELSE b_port END AS client_port,
       CASE WHEN a_is_client THEN b_ip ELSE a_ip END AS server_ip,
       CASE WHEN a_is_client THEN b_port ELSE a_port END AS server_port,
       proto, (src_is_a = a_is_client) AS up,
       ts_start, ts_end, packets, bytes, psh_packets, bytes_sq, gap_sq, gap_max
FROM records JOIN side USING (a_ip, a_port, b_ip, b_port, proto)"""),
)

def _positive(sql: str) -> str:
    """max(sql, 0) that stays null when `sql` is null (DuckDB's greatest skips nulls)."""
    return f"(CASE WHEN ({sql}) < 0 THEN 0 ELSE ({sql}) END)"


# Per direction: the gaps between records (a record's first packet after the previous one's
# last) join the within-record sums, so a direction's figures are those of one long record.
_DIRECTION = """
WITH g AS (
  SELECT *, {positive} AS between_gap
  FROM oriented WINDOW w AS (PARTITION BY client_ip, client_port, server_ip, server_port, proto, up
                             ORDER BY ts_start)
)
SELECT client_ip, client_port, server_ip, server_port, proto, up,
       min(ts_start) AS t0, max(ts_end) AS t1, count(*) AS records,
       sum(packets)::DOUBLE AS packets, sum(bytes)::DOUBLE AS bytes,
       CASE WHEN count(bytes_sq) = count(*) THEN sum(bytes_sq)::DOUBLE END AS bytes_sq,
       CASE WHEN count(psh_packets) = count(*) THEN sum(psh_packets)::DOUBLE END AS psh,
       CASE WHEN count(gap_sq) = count(*)
            THEN sum(gap_sq) + coalesce(sum(between_gap * between_gap), 0) END AS gap_sq,
       CASE WHEN count(gap_max) = count(*)
            THEN greatest(max(gap_max), coalesce(max(between_gap), 0)) END AS gap_max,
       (max(ts_end) - min(ts_start)) AS span
FROM g GROUP BY ALL
""".replace("{positive}", _positive("ts_start - lag(ts_end) OVER w"))

_NAN = "'NaN'::DOUBLE"

_CONVERSATION = """
WITH d AS (
  SELECT *, CASE WHEN packets > 1 THEN span / (packets - 1) END AS gap_mean,
         CASE WHEN packets > 0 THEN bytes / packets END AS size_mean FROM directions
), u AS (SELECT * FROM d WHERE up), w AS (SELECT * FROM d WHERE NOT up),
k AS (SELECT DISTINCT client_ip, client_port, server_ip, server_port, proto FROM d)
SELECT k.client_ip, k.client_port, k.server_ip, k.server_port, k.proto,
  least(coalesce(u.t0, w.t0), coalesce(w.t0, u.t0)) AS ts_start,
  greatest(coalesce(u.t1, w.t1), coalesce(w.t1, u.t1)) AS ts_end,
  (coalesce(u.records, 0) + coalesce(w.records, 0))::BIGINT AS records,
  coalesce(u.packets, 0)::BIGINT AS packets_up, coalesce(w.packets, 0)::BIGINT AS packets_down,
  coalesce(u.bytes, 0)::BIGINT AS bytes_up, coalesce(w.bytes, 0)::BIGINT AS bytes_down,
  {features}
FROM k
LEFT JOIN u USING (client_ip, client_port, server_ip, server_port, proto)
LEFT JOIN w USING (client_ip, client_port, server_ip, server_port, proto)
"""


_DURATION = ("(greatest(coalesce(u.t1, w.t1), coalesce(w.t1, u.t1))"
             " - least(coalesce(u.t0, w.t0), coalesce(w.t0, u.t0)))")


def _direction_features(x: str, name: str) -> list[str]:
    """SQL for one direction's features; `x` the join alias (u or w)."""
    spread = f"sqrt({_positive(f'{x}.bytes_sq / {x}.packets - {x}.size_mean * {x}.size_mean')})"
    gap_var = _positive(f"{x}.gap_sq / ({x}.packets - 1) - {x}.gap_mean * {x}.gap_mean")
    return [
        f"60 * coalesce({x}.packets, 0) / greatest({_DURATION}, 1) AS packets_per_min_{name}",
        f"coalesce({x}.bytes, 0) / greatest({_DURATION}, 1) AS bytes_per_s_{name}",
        f"coalesce({x}.size_mean, {_NAN}) AS size_mean_{name}",
        f"coalesce({spread}, {_NAN}) AS size_std_{name}",
        f"coalesce({x}.gap_mean, {_NAN}) AS gap_mean_{name}",
        f"coalesce(CASE WHEN {x}.gap_mean > 0 THEN sqrt({gap_var}) / {x}.gap_mean END, {_NAN})"
        f" AS gap_cv_{name}",
        f"coalesce(CASE WHEN {x}.packets > 1 THEN {x}.gap_max END, {_NAN}) AS gap_max_{name}",
        f"coalesce(CASE WHEN k.proto = 6 THEN {x}.psh / {x}.packets END, {_NAN}) AS psh_share_{name}",
    ]


def _feature_sql() -> str:
    up, down = _direction_features("u", "up"), _direction_features("w", "down")
    by_name = {s.rsplit(" AS ", 1)[1]: s for s in up + down}
    total_p = "(coalesce(u.packets, 0) + coalesce(w.packets, 0))"
    total_b = "(coalesce(u.bytes, 0) + coalesce(w.bytes, 0))"
    by_name.update({
        "duration_s": f"{_DURATION} AS duration_s",
        "up_byte_share": f"coalesce(u.bytes, 0) / greatest({total_b}, 1) AS up_byte_share",
        "up_packet_share": f"coalesce(u.packets, 0) / greatest({total_p}, 1) AS up_packet_share",
        "udp": "(k.proto = 17)::DOUBLE AS udp",
    })
    return ",\n  ".join(f"({by_name[f].rsplit(' AS ', 1)[0]})::DOUBLE AS {f}" for f in FEATURES)


def conversations(flows: pa.Table) -> pa.Table:
    """One row per conversation of `flows` (a `flows` table): KEY, ts_start, ts_end, records
    (flow records joined), COUNTS, then the FEATURES as float64 columns, in that order, sorted
    by KEY."""
    con = tune(duckdb.connect())  # the store's cap: a province's flows spill
    con.register("flows_arrow", flows.select(list(INPUT_COLUMNS)))
    try:
        return conversations_in(con, "flows_arrow")
    finally:
        con.close()


_STEPS = ("flows_in", *(name for name, _ in _ORIENT), "directions")


def conversations_in(con: duckdb.DuckDBPyConnection, relation: str) -> pa.Table:
    """`conversations` of a table already in a DuckDB connection (the store's `flows_once`),
    computed there under its memory limit; the temporary tables are dropped afterwards."""
    with _steps(con, relation) as sql:
        return con.sql(sql).to_arrow_table().combine_chunks()


def iter_conversations_in(con: duckdb.DuckDBPyConnection, relation: str,
                          batch_rows: int = 1 << 16) -> Iterator[pa.Table]:
    """`conversations_in` in tables of at most batch_rows rows, so a province's millions of
    conversations never sit in memory at once."""
    with _steps(con, relation) as sql:
        rel = con.sql(sql)
        reader = getattr(rel, "to_arrow_reader", None) or rel.fetch_record_batch  # DuckDB < 2.0
        for batch in reader(batch_rows):
            if batch.num_rows:
                yield pa.Table.from_batches([batch])


@contextmanager
def _steps(con: duckdb.DuckDBPyConnection, relation: str) -> Iterator[str]:
    """The intermediate tables in `con`, and the final query over them (dropped afterwards)."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW flows_in AS "
                f"SELECT {', '.join(INPUT_COLUMNS)} FROM {relation}")
    try:
        for name, sql in _ORIENT + (("directions", _DIRECTION),):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        sql = _CONVERSATION.format(features=_feature_sql())
        yield f"{sql} ORDER BY {', '.join('k.' + k for k in KEY)}"
    finally:
        for name in reversed(_STEPS[1:]):
            con.execute(f"DROP TABLE IF EXISTS {name}")
        con.execute("DROP VIEW IF EXISTS flows_in")


def matrix(table: pa.Table) -> np.ndarray:
    """The FEATURES columns of a `conversations` table as a float64 array (rows, features)."""
    return np.column_stack([table[f].to_numpy(zero_copy_only=False).astype(np.float64)
                            for f in FEATURES]) if table.num_rows else np.zeros((0, len(FEATURES)))
