"""Ethereum pool dialects: NiceHash EthereumStratum/1.0.0 and ETHProxy (eth_submitLogin ...).

EthereumStratum/1.0.0 (NiceHash spec) is Stratum v1 with an Ethereum job: the subscribe carries
"EthereumStratum/1.0.0", mining.set_difficulty applies to the NEXT job (diff 1 = Bitcoin's
truediffone), mining.notify is [job, seedhash, headerhash, clean] and mining.submit is
[worker, job, nonce]. The other mining.* methods are Stratum v1's and decode to its records.

ETHProxy (open-ethereum-pool STRATUM.md, ethminer "stratum1") is geth's getWork over a socket or
over HTTP POST: eth_submitLogin [wallet(.worker)], eth_getWork, eth_submitWork [nonce, header,
mix], eth_submitHashrate [rate, id]; jobs arrive as a result [header, seed, boundary(, height)]
pushed with id 0 (or no id) or in reply to eth_getWork. The boundary is the 256-bit share
target: 2^256/boundary hashes per share. A "worker" key beside the params names the rig.

Kaspa's pools and bridges speak EthereumStratum/1.0.0 with their own job: mining.notify is
[job, [four 64-bit words of the pre-PoW header hash], timestamp] (BzMiner, lolMiner, Bitmain)
or [job, "64 hex digits of that hash and 16 of the timestamp"] (IceRiver). Its shape names
kHeavyHash where a pool login (a username, not a kaspa: address) would not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from minewatch.decode import stratum_v1
from minewatch.decode.jsonrpc import RpcMessage, encode_message
from minewatch.decode.stratum_v1 import Reply, hex256, text
from minewatch.errors import DecodeError

PROTOCOL = "EthereumStratum/1.0.0"
# An Ethereum node's HTTP JSON-RPC port (geth, core-geth, Erigon, Nethermind, Besu,
# OpenEthereum). getWork polled there with no wallet in the URL is solo mining against one's
# own node (`ethminer -P http://node:8545`), or a pool's back end fetching work: daemon-rpc,
# as Bitcoin's getblocktemplate to bitcoind is (decode.getwork).
NODE_RPC_PORTS = frozenset({8545})


@dataclass(frozen=True, slots=True)
class EsNotify:
    id: Any
    job_id: str
    seed_hash: str
    header_hash: str
    clean: bool
    METHOD: ClassVar[str] = "mining.notify"


@dataclass(frozen=True, slots=True)
class KaspaNotify:
    """A kHeavyHash job: `header` is the four words as sent, or the 80 hex digits."""

    id: Any
    job_id: str
    header: tuple[int, ...] | str
    timestamp: int | None = None
    METHOD: ClassVar[str] = "mining.notify"

    def params(self) -> list:
        head = list(self.header) if isinstance(self.header, tuple) else self.header
        return [self.job_id, head] + ([] if self.timestamp is None else [self.timestamp])


@dataclass(frozen=True, slots=True)
class EsSubmit:
    """Share for job_id; `nonce` is the miner part only (the pool's extranonce is the rest)."""

    id: Any
    worker: str
    job_id: str
    nonce: str
    METHOD: ClassVar[str] = "mining.submit"


@dataclass(frozen=True, slots=True)
class SubmitLogin:
    id: Any
    login: str
    password: str | None = None
    worker: str | None = None
    METHOD: ClassVar[str] = "eth_submitLogin"

    def params(self) -> list:
        return [self.login] if self.password is None else [self.login, self.password]


@dataclass(frozen=True, slots=True)
class GetWork:
    id: Any
    worker: str | None = None
    METHOD: ClassVar[str] = "eth_getWork"

    def params(self) -> list:
        return []


@dataclass(frozen=True, slots=True)
class SubmitWork:
    """A share: nonce, the job's header (pow) hash, and the mix digest."""

    id: Any
    nonce: str
    header: str
    mix: str
    worker: str | None = None
    METHOD: ClassVar[str] = "eth_submitWork"

    def params(self) -> list:
        return [self.nonce, self.header, self.mix]


@dataclass(frozen=True, slots=True)
class SubmitHashrate:
    """Self-reported hashrate (a cross-check, never the measurement: measurement.md §1.5)."""

    id: Any
    rate: str
    rig_id: str
    worker: str | None = None
    METHOD: ClassVar[str] = "eth_submitHashrate"

    @property
    def hashrate_hs(self) -> float | None:
        """The reported rate in H/s, or None when it is not a hex number."""
        try:
            return float(int(self.rate, 16))
        except ValueError:
            return None

    def params(self) -> list:
        return [self.rate, self.rig_id]


@dataclass(frozen=True, slots=True)
class WorkPackage:
    """A job: [header, seed, boundary(, height)] as a push (id 0/None) or an eth_getWork reply."""

    id: Any
    header: str
    seed: str
    boundary: str
    height: Any = None

    def result(self) -> list:
        base = [self.header, self.seed, self.boundary]
        return base if self.height is None else base + [self.height]


def _es_notify(i, p):
    if not (isinstance(p, list) and len(p) == 4 and isinstance(p[3], bool)):
        return None
    return EsNotify(i, text(p[0], "job id"), text(p[1], "seed"), text(p[2], "header"), p[3])


def _kaspa_notify(i, p) -> KaspaNotify | None:
    """The Kaspa job shapes (module docstring), else None."""
    if not (isinstance(p, list) and len(p) in (2, 3) and isinstance(p[0], str)):
        return None
    stamp = p[2] if len(p) == 3 else None
    if stamp is not None and (type(stamp) is not int or stamp < 0):
        return None
    head = p[1]
    if isinstance(head, list) and len(head) == 4 and all(
            type(w) is int and 0 <= w < 1 << 64 for w in head):
        return KaspaNotify(i, p[0], tuple(head), stamp)
    if isinstance(head, str) and len(head) == 80 and not head.strip("0123456789abcdefABCDEF"):
        return KaspaNotify(i, p[0], head, stamp)
    return None


def _notify(i, p):
    return _es_notify(i, p) or _kaspa_notify(i, p)


def _es_submit(i, p):
    if not (isinstance(p, list) and len(p) == 3):
        return None
    return EsSubmit(i, *(text(x, "submit field") for x in p))


def _hex_items(p: Any, least: int, what: str) -> list[str]:
    if not isinstance(p, list) or len(p) < least:
        raise DecodeError(f"{what}: expected at least {least} params")
    return [text(x, what) for x in p[:least]]


def _submit_login(i, p, worker):
    if not isinstance(p, list) or not p:
        raise DecodeError("eth_submitLogin without a login")
    password = p[1] if len(p) > 1 and isinstance(p[1], str) else None
    return SubmitLogin(i, text(p[0], "login"), password, worker)


ETH_PARSERS = {
    SubmitLogin.METHOD: _submit_login,
    GetWork.METHOD: lambda i, p, w: GetWork(i, w),
    SubmitWork.METHOD: lambda i, p, w: SubmitWork(i, *_hex_items(p, 3, "eth_submitWork"), w),
    SubmitHashrate.METHOD: lambda i, p, w: SubmitHashrate(
        i, *_hex_items(p, 2, "eth_submitHashrate"), w),
}


def work_package(msg: RpcMessage) -> WorkPackage | None:
    """The job in a reply, when its result has the [header, seed, boundary(, height)] shape."""
    r = msg.result
    if not (isinstance(r, list) and 3 <= len(r) <= 4 and all(isinstance(x, str) for x in r[:3])):
        return None
    if not all(x.startswith("0x") for x in r[:3]):
        return None
    return WorkPackage(msg.id, r[0], r[1], hex256(r[2], "boundary"), r[3] if len(r) > 3 else None)


def recognise(msg: RpcMessage, over_http: bool = False) -> str | None:
    """The dialect one message implies on its own: "ethereumstratum-1.0" for the ES1 subscribe,
    notify and submit shapes; "ethproxy" (or "ethproxy-http") for eth_* mining methods and
    work packages; None otherwise."""
    m, p = msg.method, msg.params
    proxy = "ethproxy-http" if over_http else "ethproxy"
    if m is None:
        try:
            return proxy if work_package(msg) else None
        except DecodeError:
            return None
    if m in ETH_PARSERS:
        return proxy
    es1 = isinstance(p, list) and (
        (m == "mining.subscribe" and len(p) > 1 and isinstance(p[1], str)
         and p[1].startswith("EthereumStratum/"))
        or (m == "mining.notify" and len(p) == 4 and isinstance(p[3], bool))
        or (m == "mining.notify" and _kaspa_notify(msg.id, p) is not None)
        or (m == "mining.submit" and len(p) == 3))
    return "ethereumstratum-1.0" if es1 else None


def decode(msg: RpcMessage):
    """A typed record for one EthereumStratum/1.0.0 or ETHProxy message."""
    if msg.method is None:
        return work_package(msg) or Reply(msg.id, msg.result, msg.error)
    worker = msg.extra.get("worker")
    worker = worker if isinstance(worker, str) else None
    if msg.method in ETH_PARSERS:
        return ETH_PARSERS[msg.method](msg.id, msg.params, worker)
    special = {EsNotify.METHOD: _notify, EsSubmit.METHOD: _es_submit}.get(msg.method)
    record = special(msg.id, msg.params) if special else None
    return record or stratum_v1.decode(msg)


def to_message(record) -> RpcMessage:
    if isinstance(record, WorkPackage):
        return RpcMessage(id=record.id, result=record.result())
    if not isinstance(record, (SubmitLogin, GetWork, SubmitWork, SubmitHashrate, KaspaNotify)):
        return stratum_v1.to_message(record)
    if isinstance(record, KaspaNotify):
        return RpcMessage(id=record.id, method=record.METHOD, params=record.params())
    extra = {} if record.worker is None else {"worker": record.worker}
    return RpcMessage(id=record.id, method=record.METHOD, params=record.params(), extra=extra)


def encode(record) -> bytes:
    """Wire form of a record (this module's or a Stratum v1 one), newline-terminated."""
    return encode_message(to_message(record))
