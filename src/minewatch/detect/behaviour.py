"""Sessions the behavioural model finds (detect/model.py over flows/features.py).

DPI reads what a plaintext pool says and pool intelligence names the endpoints it knows. The
model judges only what neither can settle:

- conversations seen only as flow records (NetFlow, IPFIX, nfcapd, Zeek conn): no payload;
- conversations in a capture that carry TLS records (`flows.tls_packets`): encrypted payload.

A plaintext conversation in a capture whose payload showed no pool message is not a miner,
whatever its shape: an MQTT or SSH keepalive looks like a pool at flow level, and there the
payload is the stronger evidence. A conversation a payload or pool-intel session already
explains is left to that session.

Each session says it is a model's judgement: detection 'behaviour', dialect 'tls' or 'flow',
no coin or algorithm (the shape does not tell them), the score and threshold as evidence.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from minewatch.flows import features

DETECTION = "behaviour"
# Flow records alone show a conversation's shape only over a long stretch: the model's flow-export
# recall falls from 0.94 over an hour to 0.17 over five minutes (docs/behavioural-model.md), and
# what it flags among conversations of a minute or two is look-alikes. A flow-only conversation
# seen for less than this is not judged.
MIN_FLOW_S = 600.0

# Per flagged conversation, over both directions' records in flows_once: whether flow exports
# alone saw it, and how many of its packets opened a TLS record.
_JUDGED = """
WITH ends AS (
  SELECT k.*, f.source, f.tls_packets FROM _flagged k JOIN flows_once f
    ON f.proto = k.proto AND f.src_ip = k.client_ip AND f.src_port = k.client_port
   AND f.dst_ip = k.server_ip AND f.dst_port = k.server_port
  UNION ALL
  SELECT k.*, f.source, f.tls_packets FROM _flagged k JOIN flows_once f
    ON f.proto = k.proto AND f.src_ip = k.server_ip AND f.src_port = k.server_port
   AND f.dst_ip = k.client_ip AND f.dst_port = k.client_port)
SELECT client_ip, client_port, server_ip, server_port, bool_and(source <> 'pcap') AS exported,
       sum(coalesce(tls_packets, 0)) AS tls
FROM ends GROUP BY ALL
"""


def behaviour_sessions(db, covered: set[tuple], model=None) -> list[dict]:
    """Sessions of the conversations in `db`'s flows_once that the model flags and that no
    session in `covered` (client_ip, client_port, server_ip, server_port) explains."""
    from minewatch.detect.model import load

    model = model or load()
    rows = [row for convs in features.iter_conversations_in(db, "flows_once")
            for row in _flagged(convs, model.probability(features.matrix(convs)), model.threshold)]
    rows = [(r, score) for r, score in rows if _key(r) not in covered
            and _flip(_key(r)) not in covered]
    seen = _seen(db, [r for r, _ in rows])
    return [_session(r, score, seen[_key(r)], model) for r, score in rows if _key(r) in seen
            and (seen[_key(r)] == "tls" or r["ts_end"] - r["ts_start"] >= MIN_FLOW_S)]


def _flagged(convs: pa.Table, scores: np.ndarray, threshold: float) -> list[tuple[dict, float]]:
    idx = np.flatnonzero(scores >= threshold)
    return list(zip(convs.take(pa.array(idx)).to_pylist(), scores[idx].tolist()))


def _key(r: dict) -> tuple:
    return (r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])


def _seen(db, rows: list[dict]) -> dict[tuple, str]:
    """'tls' or 'flow' for each conversation the model may judge; a plaintext one is left out."""
    if not rows:
        return {}
    keys = pa.Table.from_pylist([{k: r[k] for k in features.KEY} for r in rows])
    db.register("_flagged", keys)
    try:
        judged = db.execute(_JUDGED).fetchall()
    finally:
        db.unregister("_flagged")
    return {tuple(j[:4]): "tls" if j[5] else "flow" for j in judged if j[5] or j[4]}


def _flip(key: tuple) -> tuple:
    return (key[2], key[3], key[0], key[1])


def _session(r: dict, score: float, seen: str, model) -> dict:
    card = model.card
    facts = [f"behavioural model {card.get('version', '?')}: score {score:.3f} >= threshold "
             f"{model.threshold:.3f} ({r['records']} flow records over "
             f"{r['ts_end'] - r['ts_start']:.0f} s, {_rate(r)})",
             "TLS records, payload unreadable" if seen == "tls" else "flow records only, no payload"]
    return {
        "session_id": f"behaviour:{r['client_ip']}:{r['client_port']}:{r['server_ip']}:"
                      f"{r['server_port']}:{r['ts_start']:.3f}",
        "client_ip": r["client_ip"], "client_port": r["client_port"],
        "server_ip": r["server_ip"], "server_port": r["server_port"],
        "ts_start": r["ts_start"], "ts_end": r["ts_end"], "coin": None, "algorithm": None,
        "pool_host": None, "tls": seen == "tls", "dialect": seen, "detection": DETECTION,
        "hashrate_method": "none", "shares": None,
        "bytes_up": r["bytes_up"], "bytes_down": r["bytes_down"],
        "packets_up": r["packets_up"], "packets_down": r["packets_down"],
        "evidence": json.dumps(facts, ensure_ascii=False), "input_id": "",
    }


def _rate(r: dict) -> str:
    return (f"{r['packets_per_min_up']:.1f} packets/min up, "
            f"{r['packets_per_min_down']:.1f} down, up share of bytes {r['up_byte_share']:.2f}")
