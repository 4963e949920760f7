"""The one column registry: every table's columns, declared once.

Each column has a name, an Arrow type and a description. DuckDB DDL, Arrow schemas and the
docs table of columns (docs/schema.md) are generated from here, so a column cannot drift
between the decoders, the store and the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: pa.DataType
    description: str


TS = pa.float64()  # seconds since the Unix epoch, UTC; float keeps microseconds exactly enough
STR = pa.string()
I64 = pa.int64()
F64 = pa.float64()
BOOL = pa.bool_()


def _cols(*rows: tuple[str, pa.DataType, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


FLOWS = _cols(
    ("ts_start", TS, "first packet of the flow record, s since epoch (UTC)"),
    ("ts_end", TS, "last packet of the flow record, s since epoch (UTC)"),
    ("src_ip", STR, "source address (IPv4 dotted quad or IPv6 text)"),
    ("src_port", I64, "source port (0 for non-TCP/UDP)"),
    ("dst_ip", STR, "destination address"),
    ("dst_port", I64, "destination port (0 for non-TCP/UDP)"),
    ("proto", I64, "IP protocol number (6 TCP, 17 UDP)"),
    ("packets", I64, "packets in this direction, sampling already applied"),
    ("bytes", I64, "IP-layer bytes in this direction (IP header included), sampling applied"),
    ("tcp_flags", I64, "OR of TCP flags seen"),
    ("psh_packets", I64, "TCP packets with PSH set (packet captures only; null from flow exports)"),
    ("bytes_sq", I64, "sum of squared IP lengths, for the spread of packet sizes (captures only)"),
    ("gap_sq", F64, "sum of squared gaps between consecutive packets, s^2 (captures only)"),
    ("gap_max", F64, "longest gap between consecutive packets, s (captures only)"),
    ("tls_packets", I64, "packets whose payload opens a TLS record (captures only): encrypted, "
     "so only the behavioural model can judge them"),
    ("sampling_rate", I64, "1-in-N packet sampling the exporter reported (1 = unsampled)"),
    ("exporter", STR, "exporter address and observation domain, or the capture file for packets"),
    ("source", STR, "how the record was obtained: pcap, netflow-v5, netflow-v9, ipfix, zeek-conn"),
    ("input_id", STR, "sha256 of the input file the record came from"),
)

STRATUM_EVENTS = _cols(
    ("ts", TS, "time of the message, s since epoch"),
    ("client_ip", STR, "miner address"),
    ("client_port", I64, "miner port"),
    ("server_ip", STR, "pool address"),
    ("server_port", I64, "pool port"),
    ("dialect", STR, "stratum-v1, ethereumstratum-1.0, ethproxy, ethproxy-http, getwork-http, "
     "getblocktemplate-http, cryptonote, stratum-v2"),
    ("direction", STR, "up (miner to pool) or down (pool to miner)"),
    ("method", STR, "JSON-RPC method, or 'result' / 'error' for replies"),
    ("msg_id", STR, "JSON-RPC id as text"),
    ("job_id", STR, "job the message refers to"),
    ("difficulty", F64, "hashes per share in force (H or Sol), when the message sets or uses one"),
    ("accepted", BOOL, "for share replies: accepted by the pool"),
    ("wallet", STR, "wallet or login seen in the message"),
    ("worker", STR, "worker name seen in the message"),
    ("agent", STR, "miner software and version"),
    ("algorithm_hint", STR, "algorithm named by the message (algo field, job shape)"),
    ("input_id", STR, "sha256 of the input file"),
)

SESSIONS = _cols(
    ("session_id", STR, "stable id: hash of client/server address, port and start time"),
    ("client_ip", STR, "miner address"),
    ("client_port", I64, "miner port"),
    ("server_ip", STR, "pool address"),
    ("server_port", I64, "pool port"),
    ("dialect", STR, "protocol dialect (see stratum_events.dialect); 'tls' or 'flow' when unseen"),
    ("coin", STR, "ticker symbol (BTC, ETH, XMR, LTC, ZEC, ...) or empty when unknown"),
    ("algorithm", STR, "sha256d, scrypt, ethash, randomx, equihash, kawpow, ... or empty"),
    ("coin_confidence", F64, "how sure the coin is, by the strongest evidence naming it: 0.95 "
     "the wallet's address, of that coin alone; 0.9 one of the wallet's coins that the pool's "
     "name or the job's chain picks, or the chain alone; 0.85 the pool's name or a pool list; "
     "0.75 an algorithm name (rx/0: Monero); 0.7 the first of several coins alike; 0.5 assumed, "
     "the algorithm's main coin; null for no coin"),
    ("pool_host", STR, "pool host name from the login, HTTP Host, TLS SNI or DNS"),
    ("wallet", STR, "wallet address or pool login"),
    ("worker", STR, "worker name"),
    ("password", STR, "pool password as the miner sent it: often 'x', or pool options such as "
     "'d=1024' (a start difficulty) or 'c=BTC' (the payout coin); first 256 characters"),
    ("agent", STR, "miner software and version"),
    ("tls", BOOL, "the session is encrypted (TLS)"),
    ("shares", I64, "shares submitted"),
    ("shares_accepted", I64, "shares the pool accepted"),
    ("shares_rejected", I64, "shares the pool rejected"),
    ("shares_effort", I64, "shares that stand for work: accepted, plus rejections as stale or "
     "without a reason (ETHProxy's bare false); invalid and low-difficulty ones are not"),
    ("shares_unpriced", I64, "effort shares whose difficulty was never seen (capture began "
     "mid-session); the hashrate counts them at the mean difficulty of the priced ones"),
    ("hashes", F64, "hashes of the effort shares: sum of hashes per share (H or Sol)"),
    ("hashes_sq", F64, "sum of squared hashes per share (for the variance of the estimate)"),
    ("ts_start", TS, "first packet or record of the session"),
    ("ts_end", TS, "last packet or record of the session"),
    ("window_s", F64, "observation window used for the hashrate, s"),
    ("hashrate_hs", F64, "estimated hashrate, H/s (Sol/s for Equihash); null when not measurable"),
    ("hashrate_low_hs", F64, "lower end of the 95% interval, H/s"),
    ("hashrate_high_hs", F64, "upper end of the 95% interval, H/s"),
    ("hashrate_method", STR, "shares (payload), flow-estimated, or none"),
    ("reported_hashrate_hs", F64,
     "self-reported hashrate (eth_submitHashrate, ES2 mining.hashrate), a cross-check only"),
    ("bytes_up", I64, "IP bytes miner to pool"),
    ("bytes_down", I64, "IP bytes pool to miner"),
    ("packets_up", I64, "packets miner to pool"),
    ("packets_down", I64, "packets pool to miner"),
    ("detection", STR, "payload, sni, dns-intel, ip-intel, or behaviour (the flow model alone)"),
    ("confidence", F64, "confidence that the session is pool mining, by its detection: payload "
     "0.99, sni 0.9, dns-intel 0.8, ip-intel 0.6, behaviour 0.5 (a lead to verify)"),
    ("evidence", STR, "JSON list of the facts behind the detection"),
    ("input_id", STR, "sha256 of the input file that produced the session"),
)

MINERS = _cols(
    ("ip", STR, "internal miner address"),
    ("period_start", TS, "start of the period, s since epoch"),
    ("period_end", TS, "end of the period, s since epoch"),
    ("coin", STR, "main coin (by hashes, else by sessions); several are listed in coins"),
    ("coins", STR, "all coins seen, comma separated"),
    ("algorithm", STR, "main algorithm"),
    ("pools", STR, "pool endpoints host:port, comma separated"),
    ("wallets", STR, "wallets or logins, comma separated"),
    ("workers", STR, "worker names, comma separated"),
    ("agents", STR, "miner software, comma separated"),
    ("sessions", I64, "pool sessions in the period"),
    ("visibility", STR, "plaintext (payload seen), tls, or flow-only"),
    ("detections", STR, "how its sessions were found: payload, sni, dns-intel, ip-intel, behaviour "
     "(comma-separated); 'behaviour' alone is a lead for the model only, to verify"),
    ("hashrate_hs", F64, "hashrate of the main algorithm, H/s (Sol/s for Equihash); null if unknown"),
    ("hashrate_low_hs", F64, "95% interval lower end, H/s"),
    ("hashrate_high_hs", F64, "95% interval upper end, H/s"),
    ("hashrate_method", STR, "shares, flow-estimated or none"),
    ("power_low_w", F64, "power at best-hardware efficiency, W"),
    ("power_typical_w", F64, "power at typical efficiency, W"),
    ("power_high_w", F64, "power at worst-hardware efficiency, W"),
    ("energy_low_kwh_day", F64, "energy per day, low, kWh/day"),
    ("energy_typical_kwh_day", F64, "energy per day, typical, kWh/day"),
    ("energy_high_kwh_day", F64, "energy per day, high, kWh/day"),
    ("egress_bps", F64, "miner-to-pool traffic averaged over the period, bit/s"),
    ("bytes_up", I64, "IP bytes miner to pool in the period"),
    ("bytes_down", I64, "IP bytes pool to miner in the period"),
    ("country", STR, "country from ip2region"),
    ("province", STR, "province from ip2region"),
    ("city", STR, "city from ip2region (register city when the register names one)"),
    ("isp", STR, "ISP from ip2region"),
    ("owner_org", STR, "owner organisation from the IP register"),
    ("owner_type", STR, "government, education, enterprise, hospital, idc, internet_cafe, "
     "residential or unknown"),
    ("owner_contact", STR, "contact for notices, from the register"),
    ("verdict", STR, "compromised, deliberate or unknown"),
    ("verdict_score", F64, "compromise score in [0, 1]; > 0.6 compromised, < 0.4 deliberate"),
    ("verdict_evidence", STR, "JSON list of the signals behind the verdict"),
    ("confidence", F64, "confidence that this IP mines, in [0, 1]"),
    ("evidence", STR, "JSON list of the detection facts"),
)

DNS_MAP = _cols(
    ("ts", TS, "time of the answer"),
    ("client_ip", STR, "resolver client"),
    ("query", STR, "name asked, lower case, no trailing dot"),
    ("answer", STR, "address in the answer"),
    ("ttl", I64, "TTL of the answer, s"),
    ("input_id", STR, "sha256 of the input file"),
)

TLS_HELLOS = _cols(
    ("ts", TS, "time of the ClientHello"),
    ("client_ip", STR, "client address"),
    ("client_port", I64, "client port"),
    ("server_ip", STR, "server address"),
    ("server_port", I64, "server port"),
    ("sni", STR, "server name indication, lower case"),
    ("input_id", STR, "sha256 of the input file"),
    ("proxy", STR, "the proxy a tunnel went through (socks4, socks4a, socks5, http-connect); "
                   "the server is then the proxy, and the name the host beyond it"),
)

POOLS = _cols(
    ("host", STR, "pool host name (or address when only an address is known)"),
    ("port", I64, "port (0 = any)"),
    ("coin", STR, "ticker symbol"),
    ("algorithm", STR, "algorithm"),
    ("tls", BOOL, "the port speaks TLS"),
    ("source", STR, "where the entry comes from (builtin, file name)"),
)

INGEST_LOG = _cols(
    ("input_id", STR, "sha256 of the input file"),
    ("path", STR, "path as given on the command line"),
    ("format", STR, "detected format"),
    ("status", STR, "ok, partial or failed"),
    ("size_bytes", I64, "input size"),
    ("records", I64, "records decoded (packets, flow records, log lines)"),
    ("skipped", I64, "records that could not be decoded and were skipped"),
    ("message", STR, "first error or warning, if any"),
    ("ingested_at", TS, "when the input was ingested"),
)

OWNER_REGISTER = _cols(
    ("prefix", STR, "the range as written in the register (CIDR, single address or a-b range)"),
    ("first_ip", I64, "first IPv4 address of the range as an integer"),
    ("last_ip", I64, "last IPv4 address of the range as an integer"),
    ("organisation", STR, "owner organisation"),
    ("owner_type", STR, "government, education, enterprise, hospital, idc, internet_cafe, "
     "residential or unknown (classified from the name when the register leaves it empty)"),
    ("city", STR, "city named by the register"),
    ("contact", STR, "contact for notices (name, phone, e-mail)"),
    ("source", STR, "file the row was imported from"),
    ("line", I64, "line number in that file"),
)

INTEL_INDICATORS = _cols(
    ("kind", STR, "domain, ip, ip_port, cidr, url or wallet"),
    ("value", STR, "the indicator, normalised (lower-case domain without trailing dot, IP text)"),
    ("port", I64, "port for ip_port indicators, and for domains a source ties to a port; else 0"),
    ("coin", STR, "ticker when the source says, else empty"),
    ("algorithm", STR, "algorithm when the source says, else empty"),
    ("tls", BOOL, "the endpoint speaks TLS, when known"),
    ("category", STR, "pool, browser-miner, cryptojacking, proxy or other"),
    ("source", STR, "file or feed the indicator was imported from"),
    ("reference", STR, "where in the source (line number, rule sid, STIX id, MISP event)"),
    ("imported_at", TS, "when it was imported"),
)

WEB_ENTITIES = _cols(
    ("ts_first", TS, "first time seen"),
    ("ts_last", TS, "last time seen"),
    ("client_ip", STR, "the visitor (whose browser may mine)"),
    ("host", STR, "web site or service host name"),
    ("url", STR, "URL of the page, script or WebSocket, when seen in clear"),
    ("kind", STR, "page, script, websocket, dns or sni"),
    ("evidence", STR, "JSON list of the facts behind the finding"),
    ("input_id", STR, "sha256 of the input file"),
)

# Connections the payload decoders recognised and left as no miner's, labelled instead of
# dropped (issue 3: "label them rather than drop").
LABELLED_CONNECTIONS = _cols(
    ("ts_start", TS, "first packet of the connection"),
    ("client_ip", STR, "the client"),
    ("client_port", I64, "client TCP port"),
    ("server_ip", STR, "the server"),
    ("server_port", I64, "server TCP port"),
    ("label", STR, "daemon-rpc: a client of a coin daemon's RPC (a wallet, a pool's back end, or "
                   "solo mining against one's own node); node: a coin node talking to a peer "
                   "(Bitcoin-family P2P, Monero's levin, Ethereum's RLPx); never counted as a "
                   "miner"),
    ("methods", STR, "the RPC methods (daemon-rpc) or the P2P command (node) seen until it was "
                     "recognised (read no further)"),
    ("agent", STR, "the client's User-Agent, if it sent one"),
    ("evidence", STR, "JSON list of the facts behind the label"),
    ("input_id", STR, "sha256 of the input file"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "flows": FLOWS,
    "stratum_events": STRATUM_EVENTS,
    # Sessions as the payload decoder saw them, one input at a time (raw, never rewritten);
    # `sessions` is derived from them and from flows after every ingest.
    "payload_sessions": SESSIONS,
    "sessions": SESSIONS,
    "miners": MINERS,
    "dns_map": DNS_MAP,
    "tls_hellos": TLS_HELLOS,
    "pools": POOLS,
    "ingest_log": INGEST_LOG,
    "owner_register": OWNER_REGISTER,
    "intel_indicators": INTEL_INDICATORS,
    "web_entities": WEB_ENTITIES,
    "labelled_connections": LABELLED_CONNECTIONS,
}

_DUCK = {
    pa.float64(): "DOUBLE",
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
}


def duckdb_type(column: Column) -> str:
    return _DUCK[column.type]


def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a table."""
    return pa.schema([pa.field(c.name, c.type) for c in TABLES[table]])


def column_names(table: str) -> list[str]:
    return [c.name for c in TABLES[table]]


def duckdb_ddl(table: str) -> str:
    """CREATE TABLE IF NOT EXISTS statement for DuckDB."""
    cols = ",\n  ".join(f'"{c.name}" {_DUCK[c.type]}' for c in TABLES[table])
    return f'CREATE TABLE IF NOT EXISTS "{table}" (\n  {cols}\n)'


def empty_table(table: str) -> pa.Table:
    return arrow_schema(table).empty_table()


def table_of(table: str, cols: dict) -> pa.Table:
    """Columns (name -> array) to an Arrow table of the registered schema; a column the
    source cannot know (the packet statistics of a NetFlow record) is left null."""
    schema, n = arrow_schema(table), len(next(iter(cols.values())))
    full = {f.name: cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in schema}
    return pa.table(full, schema=schema)


def to_table(table: str, rows: list[dict]) -> pa.Table:
    """Rows (dicts; missing keys become null) to an Arrow table of the registered schema."""
    schema = arrow_schema(table)
    rows = pa.array(rows, type=pa.struct(schema))  # converted in C++: ~7x a column listcomp
    return pa.Table.from_batches([pa.RecordBatch.from_struct_array(rows)]).cast(schema)


def markdown_table(table: str) -> str:
    """The docs table of a table's columns (docs/schema.md is generated from this)."""
    lines = ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {_DUCK[c.type]} | {c.description} |" for c in TABLES[table]]
    return "\n".join(lines)


def docs_markdown() -> str:
    """docs/schema.md, generated; a test keeps the file equal to this."""
    parts = ["# Tables and columns\n",
             "Generated from `src/minewatch/schema.py` (the one column registry); do not edit by hand.",
             "Regenerate with `python -c 'from minewatch.schema import docs_markdown as d; print(d(), end=\"\")' > docs/schema.md`.\n"]
    for name in TABLES:
        parts += [f"## `{name}`\n", markdown_table(name), ""]
    return "\n".join(parts)
