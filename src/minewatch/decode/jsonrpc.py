"""Newline-delimited JSON-RPC over a byte stream: the framing every Stratum dialect shares.

Stratum v1, EthereumStratum, ETHProxy and the CryptoNote (XMRig) protocol all send one JSON
object per line. `LineFramer` turns reassembled TCP payload, arriving in arbitrary pieces, into
complete lines; `parse_message` turns one line into an `RpcMessage`; `encode_message` is its
inverse, used by the dialect encoders and the simulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from minewatch.errors import DecodeError

MAX_LINE = 64 * 1024  # a Stratum line is < 3 kB (Equihash submit); longer means not Stratum
_RPC_KEYS = ("id", "method", "params", "result", "error")
_RPC_KEY_SET = frozenset(_RPC_KEYS)


@dataclass(slots=True)
class LineFramer:
    """Splits one direction of a stream into lines (without the newline; '\\r\\n' accepted).

    Lines longer than `max_line` are dropped whole, up to their newline, and counted in
    `overlong`; blank lines are skipped. The result does not depend on how the stream is chunked.
    """

    max_line: int = MAX_LINE
    overlong: int = 0
    cut: int = 0  # pieces of lines a gap in the stream cut off, dropped (see gap)
    _buf: bytearray = field(default_factory=bytearray)
    _discarding: bool = False
    _after_gap: bool = False

    def feed(self, data: bytes) -> list[bytes]:
        if self._after_gap and data.strip():
            self._after_gap = False  # a line starts here only if a message does
            self._discarding = not data.lstrip().startswith(b"{")
            self.cut += self._discarding
        self._buf += data
        lines: list[bytes] = []
        start = 0
        while (end := self._buf.find(b"\n", start)) >= 0:
            self._take(bytes(self._buf[start:end]), lines)
            start = end + 1
        del self._buf[:start]
        if len(self._buf) > self.max_line:
            self._drop_partial()
        return lines

    @property
    def pending(self) -> int:
        """Bytes held waiting for a newline."""
        return len(self._buf)

    @property
    def dropping(self) -> bool:
        """Inside an overlong or cut line, dropping bytes up to its newline (or just past a
        gap, not yet knowing whether a line starts after it)."""
        return self._discarding or self._after_gap

    def gap(self) -> None:
        """Bytes of the stream were lost here: the line held is cut, and so is the line the
        next bytes continue, unless they open a JSON message ("{" after white space). Cut
        lines are dropped (up to their newline) and counted in `cut`."""
        self.cut += bool(self._buf) and not self._discarding
        self._buf.clear()
        self._discarding, self._after_gap = False, True

    def hand_over(self) -> bytes:
        """The start of a line held so far, for another reader to go on with (no newline)."""
        held, self._buf = bytes(self._buf), bytearray()
        return held

    def hold(self, data: bytes) -> None:
        """Take back the start of a line from another reader (it holds no newline)."""
        self._buf += data

    def _take(self, line: bytes, lines: list[bytes]) -> None:
        if self._discarding:  # tail of a line already counted as overlong
            self._discarding = False
            return
        if len(line) > self.max_line:  # counted with any '\r', as _drop_partial sees it
            self.overlong += 1
        elif line.strip():
            lines.append(line.rstrip(b"\r"))

    def _drop_partial(self) -> None:
        if not self._discarding:
            self.overlong += 1
        self._discarding = True
        self._buf.clear()


@dataclass(frozen=True, slots=True)
class RpcMessage:
    """One JSON-RPC message. JSON values are kept as `json.loads` returns them (read-only by
    convention). `id` is None when absent or null; `extra` holds other top-level keys such as
    "jsonrpc" or ETHProxy's "worker"; `size` is the encoded length in bytes."""

    id: Any = None
    method: str | None = None
    params: Any = None
    result: Any = None
    error: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    size: int = field(default=0, compare=False)

    @property
    def is_request(self) -> bool:
        """A call or notification (has a method), as opposed to a reply."""
        return self.method is not None

    @property
    def is_reply(self) -> bool:
        return self.method is None

    def with_id(self, msg_id: Any) -> RpcMessage:
        """The same message under another id (dataclasses.replace costs 5 us a message)."""
        return RpcMessage(msg_id, self.method, self.params, self.result, self.error, self.extra,
                          self.size)


def parse_message(line: bytes | str) -> RpcMessage:
    """One line (or HTTP body) to an RpcMessage; DecodeError when not a JSON-RPC object."""
    obj = _load_json(line)
    if not isinstance(obj, dict) or _RPC_KEY_SET.isdisjoint(obj):
        raise DecodeError("not a JSON-RPC object")
    method = obj.get("method")
    if method is not None and not isinstance(method, str):
        raise DecodeError("JSON-RPC method is not a string")
    extra = {} if obj.keys() <= _RPC_KEY_SET else {
        k: v for k, v in obj.items() if k not in _RPC_KEY_SET}
    return RpcMessage(obj.get("id"), method, obj.get("params"), obj.get("result"),
                      obj.get("error"), extra, len(line))


_JSON = json.JSONDecoder()


def _load_json(line: bytes | str) -> Any:
    try:
        if isinstance(line, bytes) and line[:2] == b'{"':  # what json.loads would detect: UTF-8
            line = line.decode("utf-8", "surrogatepass")  # (spared its encoding sniff)
            return _JSON.decode(line)
        return json.loads(line)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise DecodeError(f"not JSON: {exc.__class__.__name__}") from None


def encode_message(msg: RpcMessage) -> bytes:
    """The wire form of `msg`, newline-terminated. Requests carry id/method/params (params left
    out when None, as ETHProxy's eth_getWork does); replies carry id/result/error."""
    obj: dict[str, Any] = {"id": msg.id}
    if msg.method is not None:
        obj["method"] = msg.method
        if msg.params is not None:
            obj["params"] = msg.params
    else:
        obj["result"] = msg.result
        obj["error"] = msg.error
    obj.update((k, v) for k, v in msg.extra.items() if k not in _RPC_KEYS)
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def request(id: Any, method: str, params: Any = None, **extra: Any) -> RpcMessage:
    """Shorthand for building a request or notification (id None)."""
    return RpcMessage(id=id, method=method, params=params, extra=extra)


def reply(id: Any, result: Any = None, error: Any = None, **extra: Any) -> RpcMessage:
    """Shorthand for building a reply."""
    return RpcMessage(id=id, result=result, error=error, extra=extra)


def id_text(msg_id: Any) -> str | None:
    """The id as text for the `msg_id` column and as a dict key (ids may be any JSON type)."""
    if msg_id is None:
        return None
    if type(msg_id) is int:  # the common case, and exactly what json.dumps writes for it
        return str(msg_id)
    return msg_id if isinstance(msg_id, str) else json.dumps(msg_id, separators=(",", ":"))
