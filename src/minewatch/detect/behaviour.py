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

# Per directional 5-tuple of flows_once: whether a flow export saw it, and TLS record packets.
_JUDGED = """
SELECT src_ip, src_port, dst_ip, dst_port, proto, bool_or(source <> 'pcap') AS exported,
       sum(coalesce(tls_packets, 0)) AS tls
FROM flows_once GROUP BY ALL
"""


def behaviour_sessions(db, covered: set[tuple], model=None) -> list[dict]:
    """Sessions of the conversations in `db`'s flows_once that the model flags and that no
    session in `covered` (client_ip, client_port, server_ip, server_port) explains."""
    from minewatch.detect.model import load

    model = model or load()
    rows = [row for convs in features.iter_conversations_in(db, "flows_once")
            for row in _flagged(convs, model.probability(features.matrix(convs)), model.threshold)]
    if not rows:
        return []
    judged = _judged(db)
    out = []
    for r, score in rows:
        key = (r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])
        seen = _seen(judged, key, r["proto"])
        if seen is None or key in covered or _flip(key) in covered:
            continue
        out.append(_session(r, score, seen, model))
    return out


def _flagged(convs: pa.Table, scores: np.ndarray, threshold: float) -> list[tuple[dict, float]]:
    idx = np.flatnonzero(scores >= threshold)
    return list(zip(convs.take(pa.array(idx)).to_pylist(), scores[idx].tolist()))


def _judged(db) -> dict[tuple, tuple[bool, int]]:
    return {(r[0], r[1], r[2], r[3], r[4]): (r[5], r[6]) for r in db.execute(_JUDGED).fetchall()}


def _seen(judged: dict, key: tuple, proto: int) -> str | None:
    """'tls' or 'flow' when the model may judge the conversation, else None (plaintext seen)."""
    ends = [judged.get((*key, proto)), judged.get((*_flip(key), proto))]
    ends = [e for e in ends if e is not None]
    if any(tls for _, tls in ends):
        return "tls"
    if ends and all(exported for exported, _ in ends):
        return "flow"
    return None


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
