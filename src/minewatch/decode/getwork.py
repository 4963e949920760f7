"""Bitcoin getwork and getblocktemplate (BIP 22/23) over HTTP POST, and how to tell a miner
polling its pool from a client of a coin daemon's RPC.

getwork: the miner POSTs {"method":"getwork","params":[]} and gets {data, target, midstate,
hash1}; the target is a 256-bit LITTLE-endian hex number. It submits with params [data] and gets
true/false. getblocktemplate: the reply carries a big-endian `target`; shares and blocks go back
with submitblock, answered null (accepted) or a reason string.

Who is on the other end (`classify`), in order:
1. a node-only method (getblockchaininfo, getinfo, validateaddress, getbalance, ...; monerod's
   get_block_template, submit_block, ...; an Ethereum node's eth_blockNumber, eth_getBalance,
   net_version, ...) → daemon-rpc;
2. the server names itself a coin daemon (`Server: bitcoin-json-rpc/...`) → daemon-rpc;
3. getblocktemplate / submitblock with HTTP Basic auth to a coin-daemon RPC port (8332,
   18332, 9332, ...) → daemon-rpc. Not getwork: bitcoind dropped it in 0.10 (2015), and the
   getwork pools of 2011-2014 (slush, BTC Guild, Deepbit, BitMinter) listened on 8332;
4. getwork / getblocktemplate / submitblock without any miner hint (a User-Agent naming mining
   software, or an X-Mining-Extensions header) → daemon-rpc: a pool back end fetching templates,
   as NOMP does to litecoind;
5. otherwise getwork → getwork-http, getblocktemplate / submitblock → getblocktemplate-http.
daemon-rpc is not a miner-to-pool session (solo mining against one's own node included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from minewatch.decode.jsonrpc import RpcMessage, encode_message
from minewatch.decode.stratum_v1 import HEX_DIGITS, Reply, Unknown, hex256, text
from minewatch.errors import DecodeError

TEMPLATE_METHODS = frozenset({"getblocktemplate", "submitblock"})  # BIP 22/23 (rule 3's)
WORK_DATA_HEX = 256  # a getwork unit's data: the 80-byte header padded to 128 bytes, in hex
MINING_METHODS = TEMPLATE_METHODS | {"getwork"}
# monerod's JSON-RPC (POST /json_rpc): no pool speaks it, so a miner polling it (XMRig's
# daemon mode) mines solo against a node. Its getblocktemplate alias takes an object of params
# ({"wallet_address": ..., "reserve_size": ...}; Bitcoin's takes a list): `rpc_method` names it.
# (Only its distinctive names: get_info or get_version could be any API's.)
MONEROD_METHODS = frozenset({
    "get_block_template", "submit_block", "get_block_count", "on_get_block_hash",
    "get_last_block_header", "get_block_header_by_hash", "get_block_header_by_height",
    "sync_info", "get_fee_estimate", "hard_fork_info", "get_miner_data",
})
# An Ethereum node's own JSON-RPC (geth's eth_, net_, web3_ namespaces): what wallets, dapps and
# a pool's back end call on geth, never a miner on its pool (ethminer and Claymore poll with
# eth_getWork, eth_submitWork and eth_submitHashrate only, which stay mining methods).
ETH_NODE_METHODS = frozenset({
    "eth_blockNumber", "eth_getBalance", "eth_chainId", "eth_syncing", "eth_gasPrice", "eth_call",
    "eth_estimateGas", "eth_getBlockByNumber", "eth_getBlockByHash", "eth_getTransactionByHash",
    "eth_getTransactionReceipt", "eth_getTransactionCount", "eth_sendRawTransaction",
    "eth_getLogs", "eth_getCode", "net_version", "net_peerCount", "web3_clientVersion",
})
NODE_ONLY_METHODS = MONEROD_METHODS | ETH_NODE_METHODS | frozenset({
    "getblockchaininfo", "getinfo", "getmininginfo", "getnetworkinfo", "getpeerinfo",
    "getnetworkhashps", "validateaddress", "getaddressinfo", "getbalance", "getdifficulty",
    "getblockcount", "getbestblockhash", "getblockhash", "getblock", "getblockheader",
    "getrawtransaction", "getrawmempool", "gettransaction", "listunspent", "sendmany",
    "sendtoaddress", "getwalletinfo", "getnewaddress", "settxfee", "getconnectioncount",
})
DAEMON_RPC_PORTS = frozenset({8332, 18332, 18443, 9332, 19332, 22555, 44555, 8232, 18232,
                              8766, 18766})
MINER_AGENT = re.compile(
    r"cgminer|bfgminer|bmminer|cpuminer|minerd|sgminer|ccminer|poclbm|phoenix|diablo|ufasoft|"
    r"guiminer|rpcminer|bitminter|cudaminer|ethminer|xmrig|btcminer", re.I)
DAEMON_SERVER = re.compile(r"\w+-json-rpc/", re.I)


@dataclass(frozen=True, slots=True)
class Getwork:
    """getwork: asks for work when `data` is None, submits a solved header otherwise."""

    id: Any
    data: str | None = None
    METHOD: ClassVar[str] = "getwork"

    def params(self) -> list:
        return [] if self.data is None else [self.data]


@dataclass(frozen=True, slots=True)
class GetworkWork:
    """Work from a getwork reply; `target` as sent (little-endian hex)."""

    id: Any
    data: str
    target: str
    midstate: str | None = None
    hash1: str | None = None

    @property
    def target_be(self) -> str:
        """The target as big-endian hex, the order hps_from_target256 expects."""
        return bytes.fromhex(self.target.removeprefix("0x"))[::-1].hex()

    def result(self) -> dict:
        out = {"data": self.data, "target": self.target}
        out.update((k, v) for k, v in (("midstate", self.midstate), ("hash1", self.hash1))
                   if v is not None)
        return out


@dataclass(frozen=True, slots=True)
class GetBlockTemplate:
    id: Any
    capabilities: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    mode: str | None = None
    METHOD: ClassVar[str] = "getblocktemplate"

    def params(self) -> list:
        req: dict = {"capabilities": list(self.capabilities)}
        if self.rules:
            req["rules"] = list(self.rules)
        if self.mode is not None:
            req["mode"] = self.mode
        return [req]


@dataclass(frozen=True, slots=True)
class BlockTemplate:
    """A getblocktemplate reply (BIP 22): `target` is big-endian hex, `curtime` the node's
    unix time."""

    id: Any
    previousblockhash: str
    target: str | None = None
    bits: str | None = None
    height: int | None = None
    version: int | None = None
    workid: str | None = None
    curtime: int | None = None

    def result(self) -> dict:
        out: dict = {"previousblockhash": self.previousblockhash}
        optional = {"target": self.target, "bits": self.bits, "height": self.height,
                    "version": self.version, "workid": self.workid, "curtime": self.curtime}
        out.update((k, v) for k, v in optional.items() if v is not None)
        return out


@dataclass(frozen=True, slots=True)
class SubmitBlock:
    id: Any
    data: str
    workid: str | None = None
    METHOD: ClassVar[str] = "submitblock"

    def params(self) -> list:
        return [self.data] if self.workid is None else [self.data, {"workid": self.workid}]


def _str_list(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _getwork(i, p):
    p = p if isinstance(p, list) else []
    return Getwork(i, text(p[0], "getwork data") if p else None)


def _gbt(i, p):
    req = p[0] if isinstance(p, list) and p and isinstance(p[0], dict) else {}
    mode = req.get("mode") if isinstance(req.get("mode"), str) else None
    return GetBlockTemplate(i, _str_list(req.get("capabilities")), _str_list(req.get("rules")),
                            mode)


def _submitblock(i, p):
    if not isinstance(p, list) or not p:
        raise DecodeError("submitblock without data")
    opts = p[1] if len(p) > 1 and isinstance(p[1], dict) else {}
    workid = opts.get("workid") if isinstance(opts.get("workid"), str) else None
    return SubmitBlock(i, text(p[0], "block data"), workid)


PARSERS = {Getwork.METHOD: _getwork, GetBlockTemplate.METHOD: _gbt,
           SubmitBlock.METHOD: _submitblock}


def _opt(r: dict, key: str) -> str | None:
    return r[key] if isinstance(r.get(key), str) else None


def _reply(msg: RpcMessage):
    r = msg.result
    if isinstance(r, dict) and "data" in r and "target" in r:
        target = hex256(r["target"], "getwork target")
        if len(target.removeprefix("0x")) % 2:
            raise DecodeError("getwork target has an odd number of hex digits")
        return GetworkWork(msg.id, text(r["data"], "data"), target, _opt(r, "midstate"),
                           _opt(r, "hash1"))
    if isinstance(r, dict) and isinstance(r.get("previousblockhash"), str):
        target = hex256(r["target"]) if "target" in r else None
        return BlockTemplate(msg.id, r["previousblockhash"], target, _opt(r, "bits"),
                             _int(r.get("height")), _int(r.get("version")), _opt(r, "workid"),
                             _int(r.get("curtime")))
    return Reply(msg.id, msg.result, msg.error)


def rpc_method(msg: RpcMessage) -> str | None:
    """The method as `classify` counts it: monerod's getblocktemplate alias (its params an
    object) as get_block_template; a reply carrying a getwork work unit as getwork (a pool's
    long poll answers a GET, with no request body to name the method)."""
    if msg.method == "getblocktemplate" and isinstance(msg.params, dict):
        return "get_block_template"
    if msg.method is None and is_work(msg.result):
        return Getwork.METHOD
    return msg.method


# The request header getwork miners announce their extensions in (longpoll, midstate, ...):
# a GET that carries it is a long poll for work, not a page fetch
MINING_HEADER = b"x-mining-extensions:"


def asks_for_work(head: bytes) -> bool:
    """Whether an HTTP request head carries X-Mining-Extensions (any case)."""
    return MINING_HEADER in head.lower()


def is_work(result: Any) -> bool:
    """Whether a reply's result is a getwork work unit: `data`, the 128-byte padded block
    header, and a 256-bit `target`, in hex."""
    return isinstance(result, dict) and _hex(result.get("data"), WORK_DATA_HEX) \
        and _hex(result.get("target"), 64)


def _hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and not value.strip(HEX_DIGITS)


def recognise(msg: RpcMessage) -> bool:
    """A coin daemon's RPC method (Bitcoin's mining or node-only ones, monerod's) whose
    conversation `classify` can judge, or a getwork work unit (`rpc_method`)."""
    return msg.method in MINING_METHODS or msg.method in NODE_ONLY_METHODS \
        or (msg.method is None and is_work(msg.result))


def decode(msg: RpcMessage):
    """A typed record for one Bitcoin HTTP JSON-RPC message (other methods: Unknown)."""
    if msg.method is None:
        return _reply(msg)
    parse = PARSERS.get(msg.method)
    return parse(msg.id, msg.params) if parse else Unknown(msg.id, msg.method, msg.params)


def to_message(record) -> RpcMessage:
    if isinstance(record, (GetworkWork, BlockTemplate)):
        return RpcMessage(id=record.id, result=record.result())
    if isinstance(record, Reply):
        return RpcMessage(id=record.id, result=record.result, error=record.error)
    if isinstance(record, Unknown):
        return RpcMessage(id=record.id, method=record.method, params=record.params)
    return RpcMessage(id=record.id, method=record.METHOD, params=record.params())


def encode(record) -> bytes:
    """The JSON body of a record (newline-terminated, as bfgminer sends it)."""
    return encode_message(to_message(record))


@dataclass(frozen=True, slots=True)
class HttpRpcContext:
    """What an HTTP JSON-RPC conversation has shown so far, for `classify`."""

    methods: frozenset[str] = frozenset()
    server_port: int = 0
    user_agent: str | None = None
    mining_extensions: bool = False  # an X-Mining-Extensions request header was seen
    basic_auth: bool = False
    server_header: str | None = None


def classify(ctx: HttpRpcContext) -> str | None:
    """getwork-http, getblocktemplate-http, daemon-rpc, or None when no Bitcoin RPC was seen
    (rules in the module docstring)."""
    if not ctx.methods & (MINING_METHODS | NODE_ONLY_METHODS):
        return None
    miner_hint = ctx.mining_extensions or bool(MINER_AGENT.search(ctx.user_agent or ""))
    if (ctx.methods & NODE_ONLY_METHODS or DAEMON_SERVER.search(ctx.server_header or "")
            or (ctx.basic_auth and ctx.server_port in DAEMON_RPC_PORTS
                and ctx.methods & TEMPLATE_METHODS) or not miner_hint):
        return "daemon-rpc"
    return "getwork-http" if "getwork" in ctx.methods else "getblocktemplate-http"
