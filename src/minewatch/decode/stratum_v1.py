"""Stratum v1, the Bitcoin family (SHA-256d, Scrypt, ...), Equihash (ZIP 301) and KawPow shapes.

`decode(msg)` turns one `RpcMessage` into a typed record; `encode(record)` is the inverse (a
record's fields after `id` are its params, in order: see `positional`). The
three `mining.notify` / `mining.submit` shapes are told apart by their parameters (measurement.md
§1.2): Bitcoin notify has 9 params with a merkle-branch list, ZIP 301 has 8 with a bool last,
KawPow carries a 256-bit target in params[3]; a ZIP 301 submit ends with a long Equihash solution,
a KawPow submit with a 0x-nonce and a 32-byte mix hash. EthereumStratum/1.0.0 shapes (4-param
notify, 3-param submit) are not decoded here but in `ethstratum`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from minewatch.decode.jsonrpc import RpcMessage, encode_message
from minewatch.errors import DecodeError


@dataclass(frozen=True, slots=True)
class Subscribe:
    """mining.subscribe [agent, session id | "EthereumStratum/1.0.0", host, port, ...]."""

    id: Any
    agent: str | None = None
    extra: tuple = ()
    METHOD: ClassVar[str] = "mining.subscribe"

    @property
    def protocol(self) -> str | None:
        """"EthereumStratum/x.y.z" when the miner speaks NiceHash's Ethereum dialect."""
        first = self.extra[0] if self.extra else None
        return first if isinstance(first, str) and first.startswith("EthereumStratum/") else None

    @property
    def host(self) -> str | None:
        """Pool host the miner connected to, when it says (KawPow, ZIP 301: params[2])."""
        host = self.extra[1] if len(self.extra) > 1 else None
        return host if isinstance(host, str) and host else None

    def params(self) -> list:
        return [self.agent, *self.extra] if self.agent is not None or self.extra else []


@dataclass(frozen=True, slots=True)
class Authorize:
    id: Any
    username: str
    password: str | None = None
    METHOD: ClassVar[str] = "mining.authorize"


@dataclass(frozen=True, slots=True)
class Configure:
    """BIP 310: extension names and their options (version-rolling, minimum-difficulty...)."""

    id: Any
    extensions: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    METHOD: ClassVar[str] = "mining.configure"


@dataclass(frozen=True, slots=True)
class ExtranonceSubscribe:
    id: Any
    METHOD: ClassVar[str] = "mining.extranonce.subscribe"


@dataclass(frozen=True, slots=True)
class SetDifficulty:
    """Share difficulty D for jobs notified after this message (K·D hashes per share)."""

    id: Any
    difficulty: float
    METHOD: ClassVar[str] = "mining.set_difficulty"


@dataclass(frozen=True, slots=True)
class SetTarget:
    """ZIP 301: 256-bit big-endian share target for the next and later jobs (hex, no 0x)."""

    id: Any
    target: str
    METHOD: ClassVar[str] = "mining.set_target"


@dataclass(frozen=True, slots=True)
class SetExtranonce:
    id: Any
    extranonce1: str
    extranonce2_size: int | None = None
    METHOD: ClassVar[str] = "mining.set_extranonce"


@dataclass(frozen=True, slots=True)
class Notify:
    """Bitcoin-family job: coinbase halves, merkle branch and header fields (hex strings)."""

    id: Any
    job_id: str
    prevhash: str
    coinb1: str
    coinb2: str
    merkle_branch: tuple[str, ...]
    version: str
    nbits: str
    ntime: str
    clean: bool
    METHOD: ClassVar[str] = "mining.notify"


@dataclass(frozen=True, slots=True)
class Zip301Notify:
    """Zcash/Equihash job (ZIP 301); `extra` holds Zhash's algo type and personalization."""

    id: Any
    job_id: str
    version: str
    prevhash: str
    merkleroot: str
    reserved: str
    time: str
    bits: str
    clean: bool
    extra: tuple = ()
    METHOD: ClassVar[str] = "mining.notify"

    def params(self) -> list:
        return [self.job_id, self.version, self.prevhash, self.merkleroot, self.reserved,
                self.time, self.bits, self.clean, *self.extra]


@dataclass(frozen=True, slots=True)
class KawpowNotify:
    """KawPow (Ravencoin) job: header and seed hashes and the 256-bit share target."""

    id: Any
    job_id: str
    header_hash: str
    seed_hash: str
    target: str
    clean: bool = True
    height: int | None = None
    nbits: str | None = None
    METHOD: ClassVar[str] = "mining.notify"


@dataclass(frozen=True, slots=True)
class Submit:
    """Bitcoin-family share; `version_bits` is BIP 310's optional sixth parameter."""

    id: Any
    worker: str
    job_id: str
    extranonce2: str
    ntime: str
    nonce: str
    version_bits: str | None = None
    METHOD: ClassVar[str] = "mining.submit"


@dataclass(frozen=True, slots=True)
class Zip301Submit:
    id: Any
    worker: str
    job_id: str
    time: str
    nonce2: str
    solution: str
    METHOD: ClassVar[str] = "mining.submit"


SOLUTION_OVER = 66  # a longer fifth submit field is an Equihash solution (a nonce or hash is not)
# Equihash (n, k) parameter sets pools run, by the byte size of a solution: 2**k indices of
# n/(k+1)+1 bits each (Zcash protocol spec 7.6.1). 200,9 Zcash (1,344 bytes), 144,5 Bitcoin
# Gold's Zhash (100), 125,4 Flux's ZelHash (52), 192,7 (400), 210,9 Aion's (1,408), 96,5 (68).
EQUIHASH_PARAMS = ((200, 9), (144, 5), (125, 4), (192, 7), (210, 9), (96, 5))
_SOLUTION_SIZES = {2**k * (n // (k + 1) + 1) // 8: (n, k) for n, k in EQUIHASH_PARAMS}


def equihash_params(solution: str) -> tuple[int, int] | None:
    """The (n, k) whose solutions are as long as this hex one, with its CompactSize length
    prefix (as ZIP 301 sends it: fd4005 for 1,344 bytes) or without; None for another size."""
    size, rest = len(solution) // 2, len(solution) % 2
    for prefix in (3, 1, 0):  # fd + 2 bytes, 1 byte, none
        if rest or size - prefix not in _SOLUTION_SIZES:
            continue
        n = size - prefix
        head = solution[:2 * prefix].lower()
        if prefix == 3 and head == "fd" + n.to_bytes(2, "little").hex() \
                or prefix == 1 and head == f"{n:02x}" or prefix == 0:
            return _SOLUTION_SIZES[n]
    return None


def zhash_params(extra: tuple) -> tuple[int, int] | None:
    """The (n, k) a Zhash pool's job names after ZIP 301's fields ("144_5", "BgoldPoW")."""
    n, _, k = str(extra[0]).partition("_") if extra else ("", "", "")
    params = (int(n), int(k)) if n.isdigit() and k.isdigit() else None
    return params if params in EQUIHASH_PARAMS else None


# A pool's coinbase as mining.notify splits it: coinb1 runs from the transaction's version
# through its one input (spending nothing: 32 zero bytes and index ffffffff) into the
# scriptSig, whose first push is the block's height (BIP 34: Bitcoin's rule since 2013, and
# Litecoin's, Dogecoin's and their forks').
_COINBASE_INPUT = b"\x01" + bytes(32) + b"\xff" * 4
BITCOIN_POW_LIMIT = 0xFFFF << 208  # the largest target of any SHA-256d chain (nBits 1d00ffff)


def coinbase_height(coinb1: str) -> int | None:
    """The block height a Bitcoin-family job's coinbase opens its scriptSig with (BIP 34);
    None where coinb1 is no such coinbase's start or its first push no height."""
    raw = _hex_bytes(coinb1)
    if raw is None or raw[4:41] != _COINBASE_INPUT or len(raw) < 43:
        return None
    script, push = raw[41], raw[42]  # the scriptSig's length (2..100 bytes), its first opcode
    if not 2 <= script <= 100 or not 1 <= push <= 8 or len(raw) < 43 + push \
            or raw[42 + push] & 0x80:  # (a negative number)
        return None
    return int.from_bytes(raw[43:43 + push], "little")


def compact_target(nbits: str) -> int | None:
    """The target a header's compact nBits stands for (8 hex digits, as notify sends them);
    None for a malformed or negative one."""
    raw = _hex_bytes(nbits)
    if raw is None or len(raw) != 4 or raw[1] & 0x80:
        return None
    size, mantissa = raw[0], int.from_bytes(raw[1:], "big")
    return mantissa >> 8 * (3 - size) if size <= 3 else mantissa << 8 * (size - 3)


def header_time(ntime: str) -> int | None:
    """The unix time a header's ntime (8 hex digits, big-endian as notify sends it) says."""
    raw = _hex_bytes(ntime)
    return int.from_bytes(raw, "big") if raw is not None and len(raw) == 4 else None


def _hex_bytes(text: str) -> bytes | None:
    if len(text) % 2 or text.strip(HEX_DIGITS):
        return None
    return bytes.fromhex(text)


@dataclass(frozen=True, slots=True)
class KawpowSubmit:
    id: Any
    worker: str
    job_id: str
    nonce: str
    header_hash: str
    mix_hash: str
    METHOD: ClassVar[str] = "mining.submit"


@dataclass(frozen=True, slots=True)
class SuggestDifficulty:
    id: Any
    difficulty: float
    METHOD: ClassVar[str] = "mining.suggest_difficulty"


@dataclass(frozen=True, slots=True)
class SuggestTarget:
    id: Any
    target: str
    METHOD: ClassVar[str] = "mining.suggest_target"


@dataclass(frozen=True, slots=True)
class GetTransactions:
    id: Any
    job_id: str
    METHOD: ClassVar[str] = "mining.get_transactions"


@dataclass(frozen=True, slots=True)
class Ping:
    id: Any
    METHOD: ClassVar[str] = "mining.ping"


@dataclass(frozen=True, slots=True)
class GetVersion:
    """client.get_version: the pool asks; the miner's reply result is its agent string."""

    id: Any
    METHOD: ClassVar[str] = "client.get_version"


@dataclass(frozen=True, slots=True)
class Reconnect:
    id: Any
    host: str | None = None
    port: int | str | None = None
    wait: int | None = None
    METHOD: ClassVar[str] = "client.reconnect"


@dataclass(frozen=True, slots=True)
class ShowMessage:
    id: Any
    message: str
    METHOD: ClassVar[str] = "client.show_message"


@dataclass(frozen=True, slots=True)
class Unknown:
    """A method this dialect does not know; kept so that a session survives extensions."""

    id: Any
    method: str
    params: Any = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A result or error. Stratum errors are [code, message, traceback] lists; JSON-RPC 2.0
    pools send {"code", "message"} objects; both are read by `error_code`/`error_message`."""

    id: Any
    result: Any = None
    error: Any = None

    @property
    def ok(self) -> bool:
        """The request succeeded: no error and a result that is not false."""
        return self.error is None and self.result is not False

    @property
    def error_code(self) -> int | None:
        code = _error_part(self.error, 0, "code")
        return code if isinstance(code, int) and not isinstance(code, bool) else None

    @property
    def error_message(self) -> str | None:
        text = _error_part(self.error, 1, "message")
        return text if isinstance(text, str) else None


@dataclass(frozen=True, slots=True)
class SubscribeReply:
    """Result of mining.subscribe: [[subscriptions...], extranonce1, extranonce2_size]."""

    id: Any
    subscriptions: tuple = ()
    extranonce1: str | None = None
    extranonce2_size: int | None = None


def _error_part(error: Any, index: int, key: str) -> Any:
    if isinstance(error, list) and len(error) > index:
        return error[index]
    return error.get(key) if isinstance(error, dict) else None


def _items(params: Any, least: int) -> list:
    if not isinstance(params, list) or len(params) < least:
        raise DecodeError(f"expected a params list of at least {least} items")
    return params


def text(value: Any, what: str = "field") -> str:
    if not isinstance(value, str):
        raise DecodeError(f"{what} is not a string")
    return value


def number(value: Any, what: str = "difficulty") -> float | int:
    """A positive finite number (numeric strings accepted, as some pools send them)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise DecodeError(f"{what} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DecodeError(f"{what} is not a number")
    try:
        finite = math.isfinite(value) and value > 0
    except OverflowError:  # an int beyond float range
        finite = False
    if not finite:
        raise DecodeError(f"{what} is not a positive finite number")
    return value


HEX_DIGITS = "0123456789abcdefABCDEF"


def hex256(value: Any, what: str = "target") -> str:
    """A target as 1-64 hex digits, optional 0x (kept as sent)."""
    digits = text(value, what).removeprefix("0x")
    if not 0 < len(digits) <= 64 or digits.strip(HEX_DIGITS):
        raise DecodeError(f"{what} is not a 256-bit hex number")
    return value


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _subscribe(i, p):
    p = p if isinstance(p, list) else []
    return Subscribe(i, _str_or_none(p[0]) if p else None, tuple(p[1:]))


def _authorize(i, p):
    p = _items(p, 1)
    return Authorize(i, text(p[0], "username"), _str_or_none(p[1]) if len(p) > 1 else None)


def _configure(i, p):
    p = _items(p, 1)
    exts = p[0] if isinstance(p[0], list) else []
    opts = p[1] if len(p) > 1 and isinstance(p[1], dict) else {}
    return Configure(i, tuple(e for e in exts if isinstance(e, str)), opts)


def _set_extranonce(i, p):
    p = _items(p, 1)
    return SetExtranonce(i, text(p[0], "extranonce1"), _int_or_none(p[1]) if len(p) > 1 else None)


def _reconnect(i, p):
    p = (p if isinstance(p, list) else []) + [None, None, None]
    return Reconnect(i, _str_or_none(p[0]), p[1] if isinstance(p[1], (int, str)) else None,
                     _int_or_none(p[2]))


def _notify(i, p):
    p = _items(p, 4)
    if len(p) >= 9 and isinstance(p[4], list):
        s = [text(x, "notify field") for x in (p[0], p[1], p[2], p[3], p[5], p[6], p[7])]
        branch = tuple(text(b, "merkle branch") for b in p[4])
        return Notify(i, s[0], s[1], s[2], s[3], branch, s[4], s[5], s[6], bool(p[8]))
    if len(p) >= 8 and isinstance(p[7], bool):
        s = [text(x, "notify field") for x in p[:7]]
        return Zip301Notify(i, *s, p[7], tuple(p[8:]))
    if isinstance(p[3], str) and len(p[3].removeprefix("0x")) == 64:
        return _kawpow_notify(i, p)
    raise DecodeError("unrecognised mining.notify shape")


def _kawpow_notify(i, p):
    job, header, seed = (text(x, "notify field") for x in p[:3])
    clean = bool(p[4]) if len(p) > 4 else True
    height = _int_or_none(p[5]) if len(p) > 5 else None
    nbits = _str_or_none(p[6]) if len(p) > 6 else None
    return KawpowNotify(i, job, header, seed, hex256(p[3]), clean, height, nbits)


def _submit(i, p):
    p = _items(p, 5)
    s = [text(x, "submit field") for x in p[:5]]
    if len(s[4]) > SOLUTION_OVER:
        return Zip301Submit(i, *s)
    if s[2].startswith("0x") and len(s[4].removeprefix("0x")) == 64:
        return KawpowSubmit(i, *s)
    return Submit(i, *s, _str_or_none(p[5]) if len(p) > 5 else None)


def _one(make, convert):
    return lambda i, p: make(i, convert(_items(p, 1)[0]))


PARSERS = {
    Subscribe.METHOD: _subscribe,
    Authorize.METHOD: _authorize,
    Configure.METHOD: _configure,
    ExtranonceSubscribe.METHOD: lambda i, p: ExtranonceSubscribe(i),
    SetDifficulty.METHOD: _one(SetDifficulty, number),
    SetTarget.METHOD: _one(SetTarget, hex256),
    SetExtranonce.METHOD: _set_extranonce,
    Notify.METHOD: _notify,
    Submit.METHOD: _submit,
    SuggestDifficulty.METHOD: _one(SuggestDifficulty, number),
    SuggestTarget.METHOD: _one(SuggestTarget, hex256),
    GetTransactions.METHOD: _one(GetTransactions, text),
    Ping.METHOD: lambda i, p: Ping(i),
    GetVersion.METHOD: lambda i, p: GetVersion(i),
    Reconnect.METHOD: _reconnect,
    ShowMessage.METHOD: _one(ShowMessage, text),
}


def decode(msg: RpcMessage):
    """A typed record for one message; DecodeError when a known method has a bad shape."""
    if msg.method is None:
        return Reply(msg.id, msg.result, msg.error)
    parse = PARSERS.get(msg.method)
    return parse(msg.id, msg.params) if parse else Unknown(msg.id, msg.method, msg.params)


def recognise(msg: RpcMessage) -> str | None:
    """"stratum-v1" for any mining.* method or a known client.* one (EthereumStratum shapes
    are claimed first by `ethstratum.recognise`)."""
    method = msg.method or ""
    return "stratum-v1" if method.startswith("mining.") or method in PARSERS else None


def decode_subscribe_reply(reply: Reply) -> SubscribeReply:
    """Read a Reply known (by its id) to answer mining.subscribe."""
    r = reply.result if isinstance(reply.result, list) else []
    subs = tuple(r[0]) if r and isinstance(r[0], list) else ()
    return SubscribeReply(reply.id, subs, _str_or_none(r[1]) if len(r) > 1 else None,
                          _int_or_none(r[2]) if len(r) > 2 else None)


def positional(record) -> list:
    """A record's params: its fields after `id` in order, tuples as lists, trailing Nones
    dropped (optional trailing params), unless the record defines `params()` itself."""
    if hasattr(record, "params") and callable(record.params):
        return record.params()
    values = [getattr(record, f.name) for f in dataclasses.fields(record)[1:]]
    values = [list(v) if isinstance(v, tuple) else v for v in values]
    while values and values[-1] is None:
        values.pop()
    return values


def to_message(record) -> RpcMessage:
    if isinstance(record, Reply):
        return RpcMessage(id=record.id, result=record.result, error=record.error)
    if isinstance(record, SubscribeReply):
        result = [list(record.subscriptions), record.extranonce1, record.extranonce2_size]
        return RpcMessage(id=record.id, result=result)
    if isinstance(record, Unknown):
        return RpcMessage(id=record.id, method=record.method, params=record.params)
    return RpcMessage(id=record.id, method=record.METHOD, params=positional(record))


def encode(record) -> bytes:
    """Wire form of a record, newline-terminated."""
    return encode_message(to_message(record))
