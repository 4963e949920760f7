"""Derived tables, rebuilt from the raw ones after every ingest: pools, flow sessions, miners.

Rebuilding from everything stored (instead of updating incrementally) makes the result the
same whatever the order of the inputs and however often one is fed.

Counting once: the same traffic can reach us several times (packets of a probe AND the
exporters' flow records of the same links; NetFlow v9 and IPFIX from one exporter). For each
directional 5-tuple we keep the records of one origin only: packets first (exact), else the
origin (source, exporter) with the most bytes. An origin spans files: rotated captures, or
an exporter's successive files and collector batches, add up.
"""

from __future__ import annotations

import json
from collections import defaultdict

import pyarrow as pa

from minewatch import schema
from minewatch.detect.behaviour import behaviour_sessions
from minewatch.detect.coins import (COIN_CONFIDENCE, MAIN_COINS, MERGE_TS, XMR_RANDOMX_TS,
                                    host_coins, identify_address)
from minewatch.detect.intel import Endpoint, Pool, PoolIntel, named_pool, serving_pool
from minewatch.detect.verdict import MinerFacts, judge
from minewatch.enrich.geo import GeoDB
from minewatch.estimate.combine import combine_estimates, session_hashrate
from minewatch.estimate.flow_only import (dialect_hint, estimate_shares, flow_hashrate,
                                           learn_dialects, learn_hashes_per_share)
from minewatch.estimate.hashrate import share_multiplier
from minewatch.estimate.energy import energy_kwh_day, power_w
from minewatch.store.duck import Store

FLOWS_ONCE = """
CREATE OR REPLACE TEMP TABLE flows_once AS
WITH tagged AS (
  SELECT *, CASE WHEN source = 'pcap' THEN 'pcap' ELSE source || '|' || exporter END AS origin
  FROM flows),
origins AS (
  SELECT src_ip, src_port, dst_ip, dst_port, proto, origin,
         CASE WHEN origin = 'pcap' THEN 0 ELSE 1 END AS pri, sum(bytes) AS b
  FROM tagged GROUP BY ALL),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY src_ip, src_port, dst_ip, dst_port, proto
                               ORDER BY pri, b DESC, origin) AS rn
  FROM origins)
SELECT t.* EXCLUDE (origin) FROM tagged t
JOIN ranked r USING (src_ip, src_port, dst_ip, dst_port, proto, origin)
WHERE r.rn = 1
"""

# Per direction of each TCP connection that touches a pool address or a payload session's
# server: the only connections the derived tables need (a province has millions of others).
CONN_BYTES = """
WITH servers AS (SELECT ip FROM _pool_ips UNION SELECT DISTINCT server_ip FROM payload_sessions)
SELECT src_ip, src_port, dst_ip, dst_port, sum(bytes)::BIGINT AS bytes,
       sum(packets)::BIGINT AS packets, min(ts_start) AS ts_start, max(ts_end) AS ts_end
FROM flows_once
WHERE proto = 6 AND (dst_ip IN (SELECT ip FROM servers) OR src_ip IN (SELECT ip FROM servers))
GROUP BY ALL ORDER BY ALL
"""

CONFIDENCE = {"payload": 0.99, "sni": 0.9, "dns-intel": 0.8, "ip-intel": 0.6, "behaviour": 0.5}


def rebuild(store: Store, intel: PoolIntel, geo: GeoDB, register=None) -> None:
    """Recompute pools, flow-derived sessions and miners from the raw tables."""
    store.replace("pools", intel.table())
    store.db.execute(FLOWS_ONCE)
    period = _period(store)
    store.db.execute("INSERT OR REPLACE INTO meta VALUES ('period', ?)", [json.dumps(period)])
    endpoints = intel.endpoints(store.rows("SELECT DISTINCT query, answer FROM dns_map"),
                                store.rows("SELECT DISTINCT server_ip, server_port, sni "
                                           "FROM tls_hellos WHERE proxy IS NULL"))
    tunnels = _tunnels(store, intel)
    servers = sorted(set(endpoints) | {key[2] for key in tunnels})
    store.db.register("_pool_ips", pa.table({"ip": pa.array(servers, pa.string())}))
    conn = {(r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"]): r
            for r in store.rows(CONN_BYTES)}
    store.db.unregister("_pool_ips")
    payload = merge_pieces(store.rows("SELECT * FROM payload_sessions ORDER BY ts_start, session_id"))
    names = _resolved_names(store, payload)
    sessions = [_finish_payload(s, conn, endpoints, names) for s in payload]
    read = {_key4(s) for s in payload} | _labelled(store)  # what the payload already told
    flow = _flow_sessions(conn, endpoints, read, store)
    flow += _tunnel_sessions(tunnels, conn, read)
    flow += behaviour_sessions(store.db, read | {_key4(s) for s in flow})
    _estimate_flow_sessions(flow, sessions)
    sessions += flow
    for s in sessions:
        s["confidence"] = CONFIDENCE.get(s["detection"], CONFIDENCE["behaviour"])
    store.replace("sessions", schema.to_table("sessions", sessions))
    scans = scan_facts(store, sessions)
    store.replace("miners", schema.to_table("miners", build_miners(sessions, period, geo, register,
                                                                   scans)))
    _web_entities_from_names(store)


def _web_entities_from_names(store: Store) -> None:
    """Browser-miner hosts named in DNS answers and TLS SNI (the ingest adds what it read in
    clear: pages, scripts, WebSockets). Rebuilt like every derived row."""
    from minewatch.detect.browser import browser_entities_from_names

    rows = browser_entities_from_names(store.rows("SELECT * FROM dns_map ORDER BY ts"),
                                       store.rows("SELECT * FROM tls_hellos ORDER BY ts"))
    store.replace("web_entities", schema.to_table("web_entities", rows), where="kind IN ('dns', 'sni')")


SUMMED = ("shares", "shares_accepted", "shares_rejected", "shares_effort", "shares_unpriced",
          "hashes", "hashes_sq")
ROTATION_GAP_S = 600.0  # pieces of one connection closer than this are one observation window


def merge_pieces(rows: list[dict]) -> list[dict]:
    """One session per connection: a connection cut across rotated captures (or fed in pieces)
    arrives as one payload session per piece; their counts and observation windows add up."""
    merged: dict[tuple, dict] = {}
    for r in rows:
        key = _key4(r)
        if key not in merged:
            merged[key] = dict(r)
            continue
        m = merged[key]
        m["window_s"] = _joined_window(m, r)
        for col in SUMMED:
            if r.get(col) is not None:
                m[col] = (m.get(col) or 0) + r[col]
        m["ts_end"] = max(m.get("ts_end") or 0.0, r.get("ts_end") or 0.0)
        if r.get("coin") and r.get("coin") == m.get("coin"):  # (another piece may know more)
            m["coin_confidence"] = max(m.get("coin_confidence") or 0.0,
                                       r.get("coin_confidence") or 0.0) or None
        for col, value in r.items():
            if m.get(col) in (None, "") and value not in (None, ""):
                m[col] = value
        m["evidence"] = json.dumps(json.loads(m.get("evidence") or "[]") +
                                   json.loads(r.get("evidence") or "[]"), ensure_ascii=False)
    return list(merged.values())


def _joined_window(m: dict, r: dict) -> float:
    """Observation window of two pieces (r starts after m): their span when the gap between
    them is a capture rotation, else the sum (the connection was not observed in between)."""
    m_end = (m.get("ts_start") or 0.0) + (m.get("window_s") or 0.0)
    gap = (r.get("ts_start") or 0.0) - m_end
    joined = (m.get("window_s") or 0.0) + (r.get("window_s") or 0.0)
    return joined + gap if 0 < gap < ROTATION_GAP_S else joined


def _period(store: Store) -> tuple[float, float]:
    row = store.db.execute("SELECT min(ts_start), max(ts_end) FROM flows_once").fetchall()[0]
    if row[0] is None:
        row = store.db.execute("SELECT min(ts_start), max(ts_end) FROM payload_sessions").fetchall()[0]
    return (float(row[0] or 0.0), float(row[1] or 0.0))


def _labelled(store: Store) -> set[tuple]:
    """Connections whose payload showed them to be no miner's (a coin node's P2P, a coin
    daemon's RPC client), both ways round: no flow rule or model makes them pool sessions (a
    solo pool's host runs a public node, and its address is a listed pool's)."""
    rows = store.rows("SELECT DISTINCT client_ip, client_port, server_ip, server_port "
                      "FROM labelled_connections")
    return {_key4(r) for r in rows} | {(r["server_ip"], r["server_port"], r["client_ip"],
                                         r["client_port"]) for r in rows}


def _key4(s: dict) -> tuple:
    return (s["client_ip"], s["client_port"], s["server_ip"], s["server_port"])


def _bytes(s: dict, conn: dict) -> None:
    up = conn.get(_key4(s), {})
    down = conn.get((s["server_ip"], s["server_port"], s["client_ip"], s["client_port"]), {})
    s["bytes_up"], s["packets_up"] = up.get("bytes") or 0, up.get("packets") or 0
    s["bytes_down"], s["packets_down"] = down.get("bytes") or 0, down.get("packets") or 0


def _resolved_names(store: Store, payload: list[dict]) -> dict[tuple, str]:
    """The host name each payload session's server was resolved from, where the traffic holds
    the DNS answer: {(client, server): name}, the client's own latest answer, else
    {(None, server): name} when every client's answers for that address name one host."""
    servers = sorted({(s["client_ip"], s["server_ip"]) for s in payload if not s.get("pool_host")})
    if not servers:
        return {}
    store.db.register("_servers", pa.table({"client_ip": [c for c, _ in servers],
                                            "server_ip": [a for _, a in servers]}))
    try:
        own = store.rows("SELECT d.client_ip, d.answer, arg_max(d.query, d.ts) AS name FROM "
                         "dns_map d JOIN _servers s ON d.client_ip = s.client_ip AND "
                         "d.answer = s.server_ip GROUP BY ALL ORDER BY ALL")
        one = store.rows("SELECT answer, min(query) AS name FROM dns_map WHERE answer IN "
                         "(SELECT server_ip FROM _servers) GROUP BY answer "
                         "HAVING count(DISTINCT query) = 1 ORDER BY ALL")
    finally:
        store.db.unregister("_servers")
    return {(None, r["answer"]): r["name"] for r in one} | {
        (r["client_ip"], r["answer"]): r["name"] for r in own}


def _named(names: dict[tuple, str], s: dict) -> tuple[Pool, str] | None:
    """A pool no list knows, by the name its address was resolved from (the coin the name
    says, if any: the payload's own comes first), and the fact that says so."""
    key = (s["client_ip"], s["server_ip"])
    name = names.get(key) or names.get((None, s["server_ip"]))
    if name is None:
        return None
    how = "the client's DNS answer" if key in names else "the DNS answers for that address"
    return named_pool(name), f"server {s['server_ip']} named {name} by {how}"


def _finish_payload(s: dict, conn: dict, endpoints: dict, names: dict[tuple, str]) -> dict:
    """A payload session with its bytes, pool intel filled in (or the server's name from the
    client's DNS answer), and its hashrate."""
    s = dict(s)
    _bytes(s, conn)
    pool = endpoints.get(s["server_ip"])
    named = _named(names, s) if pool is None and not s.get("pool_host") else None
    if named is not None:
        pool, fact = named
        _add_facts(s, fact)
    if pool is not None:
        if not s.get("algorithm"):  # the payload did not tell: the tracker priced at m = 1
            s["algorithm"] = pool.algorithm
            if s.get("dialect") == "stratum-v1":
                _reprice(s, share_multiplier(pool.algorithm))
        s["pool_host"] = s.get("pool_host") or pool.host
        if not s.get("coin") and pool.coin:
            _set_coin(s, pool.coin, "pool")
    _pool_names_the_coin(s, pool)
    _cryptonote_default(s)
    _main_coin(s)
    s.update(session_hashrate(s))
    return s


def _cryptonote_default(s: dict) -> None:
    """A CryptoNote (XMRig protocol) session that nothing names an algorithm for, neither
    its messages nor its pool (a capture of the miner's submits alone), is taken for Monero,
    the protocol's main coin, with Monero's algorithm at the time (RandomX since 2019-11-30,
    CryptoNight before) and a fact that says it is assumed. Its shares are priced by their
    targets, whatever the algorithm."""
    coin = s.get("coin") or "XMR"  # (a coin the pool's name says, TRTL, has its own algorithm)
    if s.get("dialect") != "cryptonote" or s.get("algorithm") or coin != "XMR":
        return
    s["algorithm"] = "randomx" if (s.get("ts_start") or 0.0) >= XMR_RANDOMX_TS else "cryptonight"
    if not s.get("coin"):
        _set_coin(s, coin, "main")
    _add_facts(s, f"coin {s['coin']}, algorithm {s['algorithm']} assumed: Monero's, the "
               "CryptoNote protocol's main coin, as nothing names another")


def _main_coin(s: dict) -> None:
    """Where nothing names a coin, the algorithm's main one (with a fact); no Ether after the
    Merge."""
    if not s.get("coin") and MAIN_COINS.get(s.get("algorithm") or ""):
        _set_coin(s, MAIN_COINS[s["algorithm"]], "main")
        _add_facts(s, f"coin {s['coin']}: {s['algorithm']}'s main coin, as nothing names another")
    _no_ether_after_the_merge(s)


def _pool_names_the_coin(s: dict, pool: Pool | None) -> None:
    """A wallet of several coins' format (a 1... address: Bitcoin's and Bitcoin Cash's) is
    of the coin its pool names, by host name or in the intel, where the session itself did not
    know the pool's name (a DNS answer told it)."""
    names = host_coins(s.get("pool_host")) + ((pool.coin,) if pool and pool.coin else ())
    named = next((c for c in names if c in identify_address(s.get("wallet") or "")[0]), None)
    if named and named != s.get("coin"):
        _set_coin(s, named, "picked")
        _add_facts(s, f"coin {named}: the pool's name says it, of the wallet's coins")
    elif named:  # (the pool's name picks the coin the session took for the first of several)
        s["coin_confidence"] = max(s.get("coin_confidence") or 0.0, COIN_CONFIDENCE["picked"])


def _no_ether_after_the_merge(s: dict) -> None:
    """Ether has not been mined since the Merge: Ethash work seen later is another coin's,
    by hash power nearly always Ethereum Classic's (etchash since ECIP-1099)."""
    if s.get("coin") == "ETH" and (s.get("ts_start") or 0.0) >= MERGE_TS:
        _set_coin(s, "ETC", "first")
        s["algorithm"] = "etchash" if s.get("algorithm") in ("ethash", "", None) \
            else s["algorithm"]
        _add_facts(s, "coin ETC: Ethereum has had no proof of work since the Merge "
                      "(2022-09-15); ETC is the Ethash coin of nearly all the hash power since")


def _set_coin(s: dict, coin: str, basis: str) -> None:
    """The coin a derive rule names, with the confidence of its basis (COIN_CONFIDENCE)."""
    s["coin"], s["coin_confidence"] = coin, COIN_CONFIDENCE[basis]


def _add_facts(s: dict, *facts: str) -> None:
    s["evidence"] = json.dumps(json.loads(s.get("evidence") or "[]") + list(facts),
                               ensure_ascii=False)


def _reprice(s: dict, multiplier: float) -> None:
    """A Stratum v1 session's hashes under its algorithm's difficulty multiplier (scrypt:
    2^16), known only now: the columns agree with the hashrate they give."""
    if multiplier != 1 and s.get("hashes") is not None:
        s["hashes"] /= multiplier
        s["hashes_sq"] = (s.get("hashes_sq") or 0.0) / multiplier ** 2


def _flow_sessions(conn: dict, endpoints: dict, seen: set, store: Store) -> list[dict]:
    """Connections to known pool endpoints that no payload session already explains."""
    sni = {(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"]): r["sni"]
           for r in store.rows("SELECT * FROM tls_hellos ORDER BY ALL")}
    out = []
    for key, up in conn.items():
        pool = serving_pool(endpoints, key, sni)
        if pool is None or key in seen:
            continue
        out.append(_flow_session(key, up, conn, pool, sni.get(key)))
    return out


def _tunnels(store: Store, intel: PoolIntel) -> dict[tuple, tuple[Endpoint, str, str]]:
    """TLS connections through a proxy whose server name (read inside the tunnel) names a
    pool: {connection: (the pool, as an endpoint, the server name, the proxy kind)}. The
    server of such a connection is the proxy, which is no pool endpoint: other clients of it
    are not miners."""
    out = {}
    for r in store.rows("SELECT * FROM tls_hellos WHERE proxy IS NOT NULL ORDER BY ALL"):
        pool = intel.match(r["sni"] or "")
        if pool is not None and not pool.domain:  # (a web name under one: the port is unknown)
            out[(r["client_ip"], r["client_port"], r["server_ip"], r["server_port"])] = (
                Endpoint(pool, "sni", f"TLS SNI {r['sni']}"), r["sni"], r["proxy"])
    return out


def _tunnel_sessions(tunnels: dict, conn: dict, seen: set) -> list[dict]:
    out = []
    for key, (pool, sni, proxy) in tunnels.items():
        up = conn.get(key)
        if up is None or key in seen:
            continue
        out.append(_flow_session(key, up, conn, pool, sni, proxy))
    return out


def _flow_session(key: tuple, up: dict, conn: dict, pool, sni: str | None,
                  proxy: str | None = None) -> dict:
    """A session of a connection pool intel names; `proxy`: the kind of proxy the connection
    went through (its server is the proxy, and the name was read inside the tunnel)."""
    s = {"client_ip": key[0], "client_port": key[1], "server_ip": key[2], "server_port": key[3],
         "ts_start": up["ts_start"], "ts_end": up["ts_end"], "coin": pool.coin,
         "coin_confidence": COIN_CONFIDENCE["pool"] if pool.coin else None,
         "algorithm": pool.algorithm, "pool_host": sni or pool.host, "tls": bool(sni) or pool.tls,
         "dialect": "tls" if sni else "flow",
         "detection": "sni" if sni else "dns-intel" if pool.via == "dns-intel" else "ip-intel",
         "hashrate_method": "none", "shares": None}
    _bytes(s, conn)
    kind = " ".join(w for w in (pool.coin, pool.algorithm, "pool") if w)
    if proxy:
        facts = [f"connection to {pool.host} ({kind}) through a {proxy} proxy at "
                 f"{key[2]}:{key[3]}", f"pool named by TLS SNI {sni}, read inside the tunnel"]
    else:
        facts = [f"connection to {pool.host} ({kind}) at {key[2]}:{key[3]}",
                 f"pool address learned from {'TLS SNI ' + sni if sni else pool.evidence}"]
    s["evidence"] = json.dumps(facts, ensure_ascii=False)
    s["session_id"] = f"flow:{key[0]}:{key[1]}:{key[2]}:{key[3]}:{up['ts_start']:.3f}"
    s["input_id"] = ""
    _main_coin(s)  # (a pool named after its algorithm only: kawpow.auto.nicehash.com)
    return s


def _estimate_flow_sessions(flow: list[dict], payload: list[dict]) -> None:
    """Shares from the flow counters; a hashrate only where the pool endpoint's difficulty is
    known, i.e. learned from clear-text sessions to a fixed-difficulty port (measurement.md §2.2).
    Payload rows are priced already (the Scrypt multiplier applied, also where pool intel or a
    DNS name told the algorithm afterwards: `_reprice`)."""
    learned, dialects = learn_hashes_per_share(payload), learn_dialects(payload)
    for s in flow:
        hint = dialect_hint(dialects.get((s["server_ip"], s["server_port"])), s["algorithm"])
        window = max(s["ts_end"] - s["ts_start"], 1e-3)
        est = estimate_shares(hint, s["packets_up"], s["packets_down"], s["bytes_up"],
                              s["bytes_down"], window, tls=bool(s["tls"]))
        s.update(flow_hashrate(est, learned.get((s["server_ip"], s["server_port"])), window))
        s["window_s"] = window
        _add_facts(s, *est.evidence)


def build_miners(sessions: list[dict], period: tuple[float, float], geo: GeoDB,
                 register=None, scans: dict | None = None) -> list[dict]:
    """One row per client IP: the `miners` table. `scans`: `scan_facts` per IP."""
    by_ip: dict[str, list[dict]] = defaultdict(list)
    for s in sessions:
        by_ip[s["client_ip"]].append(s)
    rows = [_miner(ip, group, period) for ip, group in sorted(by_ip.items())]
    _attribute(rows, geo, register)
    _judge(rows, scans or {})
    return rows


def _main(group: list[dict]) -> tuple[str, str]:
    """Main coin and algorithm: by hashes credited, else by number of sessions."""
    score: dict[tuple, float] = defaultdict(float)
    for s in group:
        score[(s.get("coin") or "", s.get("algorithm") or "")] += 1 + (s.get("hashrate_hs") or 0) * 1e-30
    known = {k: v for k, v in score.items() if k[1]} or score
    return max(known, key=lambda k: (known[k], k))


def _join(values) -> str:
    return ",".join(sorted({v for v in values if v}))


def _miner(ip: str, group: list[dict], period: tuple[float, float]) -> dict:
    coin, alg = _main(group)
    est = combine_estimates([s for s in group if s.get("algorithm") == alg])
    vis = ("plaintext" if any(s["detection"] == "payload" for s in group) else
           "tls" if any(s["detection"] == "sni" or (s["detection"] == "behaviour" and s["tls"])
                        for s in group) else "flow-only")
    span = max(period[1] - period[0], 1e-9)
    row = {"ip": ip, "period_start": period[0], "period_end": period[1], "coin": coin,
           "coins": _join(s.get("coin") for s in group), "algorithm": alg,
           "pools": _join(f"{s.get('pool_host') or s['server_ip']}:{s['server_port']}" for s in group),
           "wallets": _join(s.get("wallet") for s in group),
           "workers": _join(s.get("worker") for s in group),
           "agents": _join(s.get("agent") for s in group), "sessions": len(group),
           "visibility": vis, "detections": _join(s["detection"] for s in group),
           "bytes_up": sum(s.get("bytes_up") or 0 for s in group),
           "bytes_down": sum(s.get("bytes_down") or 0 for s in group),
           "confidence": max(CONFIDENCE.get(s["detection"], 0.5) for s in group),
           "evidence": json.dumps(sum((json.loads(s.get("evidence") or "[]") for s in group), [])[:20],
                                  ensure_ascii=False)}
    row["egress_bps"] = 8 * row["bytes_up"] / span
    row.update(est)
    _power(row)
    return row


def _power(row: dict) -> None:
    h = row.get("hashrate_hs")
    watts = power_w(row["algorithm"], h) if h is not None else None
    for i, level in enumerate(("low", "typical", "high")):
        row[f"power_{level}_w"] = watts[i] if watts else None
        row[f"energy_{level}_kwh_day"] = energy_kwh_day(watts[i]) if watts else None


def _attribute(rows: list[dict], geo: GeoDB, register) -> None:
    if not rows:
        return
    ips = pa.array([r["ip"] for r in rows])
    places = geo.lookup(ips).to_pylist()
    owners = _owners(ips, register)
    for row, place, owner in zip(rows, places, owners):
        row.update(country=place["country"], province=place["province"],
                   city=owner.get("owner_city") or place["city"], isp=place["isp"],
                   owner_org=owner.get("owner_org") or "",
                   owner_type=owner.get("owner_type") or "unknown",
                   owner_contact=owner.get("owner_contact") or "")


def _owners(ips: pa.Array, register) -> list[dict]:
    """Owner per address: the register, then the public sources where those are installed
    (`make owner-sources`) for addresses no register row covers."""
    from minewatch.enrich.public_owner import PublicOwners, fill_uncovered
    from minewatch.enrich.registry import OwnerRegister

    owned = (register or OwnerRegister.from_table(schema.empty_table("owner_register"))).lookup(ips)
    public = PublicOwners.load()
    return (fill_uncovered(owned, public.lookup(ips)) if public else owned).to_pylist()


# Scan probes before mining (measurement.md §6.3): per miner IP, TCP flows it sent to the scan
# ports in the hour before its first mining session that never completed a handshake (SYN
# without ACK) or stayed tiny (<= 2 packets). One query over `flows`, joined to the miners'
# first session starts.
SCAN_PROBES = """
WITH probes AS (
  SELECT f.src_ip AS ip, f.dst_ip, f.dst_port, f.ts_start, m.t_first
  FROM flows f JOIN _mining_start m ON f.src_ip = m.ip
  WHERE f.proto = 6 AND f.dst_port IN ({ports})
    AND f.ts_start >= m.t_first - {window} AND f.ts_start < m.t_first
    AND (f.packets <= 2 OR (f.tcp_flags & 18) = 2)),
per_port AS (
  SELECT ip, dst_port, count(DISTINCT dst_ip) AS n FROM probes GROUP BY ip, dst_port),
ports AS (
  SELECT ip, list(dst_port ORDER BY n DESC, dst_port) AS ports FROM per_port GROUP BY ip)
SELECT p.ip, count(DISTINCT p.dst_ip) AS targets, any_value(o.ports) AS ports,
       max(p.t_first) - min(p.ts_start) AS lead_s
FROM probes p JOIN ports o USING (ip)
GROUP BY p.ip ORDER BY p.ip
"""


def scan_facts(store: Store, sessions: list[dict]) -> dict[str, tuple[int, tuple[int, ...], float]]:
    """IP -> (distinct addresses probed, ports by addresses, s from first probe to mining)."""
    from minewatch.detect.verdict import SCAN_PORTS, SCAN_WINDOW_S

    first: dict[str, float] = {}
    for s in sessions:
        if s.get("ts_start") is not None:
            first[s["client_ip"]] = min(first.get(s["client_ip"], s["ts_start"]), s["ts_start"])
    if not first:
        return {}
    store.db.register("_mining_start", pa.table({"ip": pa.array(list(first), pa.string()),
                                                 "t_first": pa.array(list(first.values()), pa.float64())}))
    try:
        sql = SCAN_PROBES.format(ports=", ".join(map(str, SCAN_PORTS)), window=SCAN_WINDOW_S)
        rows = store.db.execute(sql).fetchall()
    finally:
        store.db.unregister("_mining_start")
    return {ip: (int(n), tuple(int(p) for p in ports), float(lead)) for ip, n, ports, lead in rows}


def _judge(rows: list[dict], scans: dict | None = None) -> None:
    scans = scans or {}
    owners_per_wallet: dict[str, set] = defaultdict(set)
    for r in rows:
        for w in filter(None, (r["wallets"] or "").split(",")):
            owners_per_wallet[w].add(r["owner_org"] or r["ip"])
    for r in rows:
        wallets = [w for w in (r["wallets"] or "").split(",") if w]
        facts = MinerFacts(r["owner_type"], r["algorithm"], r.get("hashrate_hs"),
                           tuple((r["pools"] or "").split(",")), tuple((r["workers"] or "").split(",")),
                           tuple((r["agents"] or "").split(",")), r["visibility"] == "tls",
                           max((len(owners_per_wallet[w]) for w in wallets), default=0),
                           r["period_end"] - r["period_start"], *scans.get(r["ip"], (0, (), 0.0)))
        v = judge(facts)
        r.update(verdict=v.verdict, verdict_score=v.score, verdict_evidence=v.evidence)
