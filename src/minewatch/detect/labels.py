"""Ground-truth labels for conversations of a simulated province (training and evaluation of the
behavioural model).

A conversation is labelled by what its ends are, whichever end `flows.features` took for the
client:

- `miner-tls` / `miner` (label 1): a true miner's pool connection (its address and client port),
  TLS or not: flow features do not see the payload, so every pool connection is mining.
- `donation` (label 1): a stock XMRig miner's donation connection (a pool connection too).
- `browser` (label null, left out): a browser-mining visitor's connections to port 80 (a page and
  its miner WebSocket; found and judged by `detect.browser`, not by this model).
- `lookalike:<kind>` (label 0): MQTT, WebSocket, push, VPN, game and video look-alikes.
- `other` (label 0): everything else.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from minewatch.limits import tune


def endpoints(truth: dict, lookalike_servers: dict[str, str]) -> pa.Table:
    """(ip, port, kind) rows: miner ends (port = client port), lookalike servers (port = -1,
    any port) and browser-mining visitors (ip, 80 on the server side: port = -80)."""
    ip, port, kind = [], [], []
    for m in truth["miners"]:
        ip.append(m["ip"]), port.append(m["client_port"])
        kind.append("miner-tls" if m["tls"] else "miner")
        if m.get("donate_client_port") is not None:
            ip.append(m["ip"]), port.append(m["donate_client_port"]), kind.append("donation")
    for server, k in lookalike_servers.items():
        ip.append(server), port.append(-1), kind.append(f"lookalike:{k}")
    for w in truth.get("websites", []):
        if w.get("in_packet_slice"):
            ip.append(w["client_ip"]), port.append(-80), kind.append("browser")
    return pa.table({"ip": pa.array(ip, pa.string()), "port": pa.array(port, pa.int64()),
                     "kind": pa.array(kind, pa.string())})


# One row per end in each table, so the joins below keep one row per conversation.
_ENDS = (
    ("pool_ends", "SELECT ip, port, any_value(kind) AS kind FROM ends WHERE port >= 0 GROUP BY ALL"),
    ("visitors", "SELECT ip, any_value(kind) AS kind FROM ends WHERE port = -80 GROUP BY ALL"),
    ("servers", "SELECT ip, any_value(kind) AS kind FROM ends WHERE port = -1 GROUP BY ALL"),
)

_LABEL = """
SELECT c.*, coalesce(m1.kind, m2.kind, b1.kind, b2.kind, l1.kind, l2.kind, 'other') AS kind
FROM convs c
LEFT JOIN pool_ends m1 ON c.proto = 6 AND m1.ip = c.client_ip AND m1.port = c.client_port
LEFT JOIN pool_ends m2 ON c.proto = 6 AND m2.ip = c.server_ip AND m2.port = c.server_port
LEFT JOIN visitors b1 ON c.proto = 6 AND b1.ip = c.client_ip AND c.server_port = 80
LEFT JOIN visitors b2 ON c.proto = 6 AND b2.ip = c.server_ip AND c.client_port = 80
LEFT JOIN servers l1 ON l1.ip = c.client_ip
LEFT JOIN servers l2 ON l2.ip = c.server_ip
"""


def label(convs: pa.Table, ends: pa.Table) -> pa.Table:
    """`convs` (a features.conversations table) with `kind` and `label` (1 mining, 0 not, null
    left out) columns added, in the same row order."""
    con = tune(duckdb.connect())
    con.register("convs_in", convs)
    con.register("ends", ends)
    con.execute("CREATE TEMP TABLE convs AS SELECT *, row_number() OVER () AS row_ FROM convs_in")
    for name, sql in _ENDS:
        con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
    out = con.sql(f"""SELECT * EXCLUDE (row_), CASE WHEN kind IN ('miner', 'miner-tls', 'donation')
                      THEN 1 WHEN kind = 'browser' THEN NULL ELSE 0 END::BIGINT AS label
                      FROM ({_LABEL}) ORDER BY row_""").to_arrow_table()
    con.close()
    return out


def lookalike_servers(seed: int, scale: str) -> dict[str, str]:
    """Server address -> look-alike kind of the simulated province (seed, scale), drawn again
    exactly as the simulator drew it."""
    from minewatch.enrich.geo import GeoDB
    from minewatch.sim import lookalikes
    from minewatch.sim.province import SCALES, plan

    geo = GeoDB.load()
    return lookalikes.draw(plan(SCALES[scale], seed, geo), geo, seed).servers


def sim_endpoints(sim_dir: Path) -> pa.Table:
    """`endpoints` of the simulated province written to `sim_dir`."""
    truth = json.loads((Path(sim_dir) / "truth.json").read_text(encoding="utf-8"))
    return endpoints(truth, lookalike_servers(truth["seed"], truth["scale"]))
