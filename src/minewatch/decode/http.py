"""Minimal HTTP/1.x message framing over a byte stream, for JSON-RPC carried by HTTP POST.

getwork, getblocktemplate and ETHProxy-over-HTTP miners poll their pool with POST requests whose
body is one JSON-RPC message. `HttpFramer` turns one direction of a TCP stream into complete
`HttpMessage`s (Content-Length and chunked bodies; a response without either ends at connection
close and is emitted by `finish()`). It is no general HTTP library: no compression, no upgrades.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from minewatch.errors import DecodeError, NeedMoreData

MAX_HEAD = 64 * 1024
MAX_BODY = 8 * 1024 * 1024  # a getblocktemplate reply with a full mempool reaches a few MB
MAX_HEADERS = 128
METHODS = (b"GET", b"POST", b"PUT", b"HEAD", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT",
           b"TRACE")


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """A request (method and target set) or a response (status set), with its body."""

    method: str | None = None
    target: str | None = None
    status: int | None = None
    reason: str = ""
    version: str = "HTTP/1.1"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    truncated: bool = False  # the body was longer than MAX_BODY and was cut
    _index: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_request(self) -> bool:
        return self.method is not None

    def header(self, name: str) -> str | None:
        """First value of a header, name compared case-insensitively (the names are indexed on
        the first call: a pool poll's head is asked for five headers or more)."""
        index = self._index
        if index is None:
            index = {}
            for key, value in self.headers:
                index.setdefault(key.lower(), value)
            object.__setattr__(self, "_index", index)
        return index.get(name.lower())

    @property
    def host(self) -> str | None:
        return self.header("Host")

    @property
    def user_agent(self) -> str | None:
        return self.header("User-Agent")

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """(user, password) of an `Authorization: Basic` header, or None."""
        value = self.header("Authorization") or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            text = base64.b64decode(token.strip(), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
        user, _, password = text.partition(":")
        return user, password


def split_target(target: str | None) -> tuple[str | None, str]:
    """(authority, path) of a request target. A client sends a forward proxy the absolute form
    (RFC 9112 §3.2.2: "http://pool.example:8888/wallet/rig"), whose authority names the server
    the proxy is to reach; the origin form ("/wallet/rig") has none."""
    target = target or ""
    scheme, sep, rest = target.partition("://")
    if not sep or not scheme.isalpha() or "/" in scheme:
        return None, target
    authority, _, path = rest.partition("/")
    return authority.rpartition("@")[2] or None, "/" + path


def is_http_start(data: bytes) -> bool:
    """Whether a stream that begins with `data` (8 bytes suffice) looks like HTTP/1.x."""
    if data.startswith(b"HTTP/1."):
        return True
    verb, space, _ = data[:8].partition(b" ")
    return bool(space) and verb in METHODS


@dataclass(slots=True)
class HttpFramer:
    """One direction of an HTTP/1.x connection to messages. Once the stream stops looking like
    HTTP (bad start line or header), `failed` is set and further bytes are dropped."""

    max_body: int = MAX_BODY
    failed: bool = False
    _buf: bytearray = field(default_factory=bytearray)
    _head: HttpMessage | None = None
    _raw: bytes = b""  # the head's bytes while its body is awaited (see hand_over)
    _scan: int = 0  # where to resume searching for the end of the head
    _skip: int = 0  # bytes of an over-long body still to drop

    def feed(self, data: bytes) -> list[HttpMessage]:
        if self.failed:
            return []
        self._buf += data
        out: list[HttpMessage] = []
        try:
            while (msg := self._next()) is not None:
                out.append(msg)
        except DecodeError:
            self.failed = True
            self._buf.clear()
        return out

    @property
    def between(self) -> bool:
        """Not failed, and not dropping the rest of an over-long body."""
        return not self._skip and not self.failed

    @property
    def pending(self) -> int:
        """Bytes held of the next message (its head included once read)."""
        return len(self._raw) + len(self._buf)

    def hand_over(self) -> bytes:
        """The start of the next message held so far, for another reader to go on with."""
        held = self._raw + bytes(self._buf)
        self._buf, self._scan, self._head, self._raw = bytearray(), 0, None, b""
        return held

    def hold(self, data: bytes) -> None:
        """Take back the start of a message from another reader."""
        self._buf += data

    def gap(self) -> None:
        """Bytes of the stream were lost here: the message held is dropped, and the next
        bytes must start a message (else the framer fails, as on any bad start line)."""
        self._buf, self._scan, self._head, self._raw, self._skip = bytearray(), 0, None, b"", 0

    def finish(self) -> list[HttpMessage]:
        """At connection close: a response that had no length ends here."""
        if self._head is None or self.failed:
            return []
        msg = _with_body(self._head, bytes(self._buf[: self.max_body]),
                         len(self._buf) > self.max_body)
        self._head, self._raw, self._buf = None, b"", bytearray()
        return [msg]

    def _next(self) -> HttpMessage | None:
        if self._skip:
            dropped = min(self._skip, len(self._buf))
            del self._buf[:dropped]
            self._skip -= dropped
            if self._skip:
                return None
        if self._head is None and not self._read_head():
            return None
        assert self._head is not None
        got = _take_body(self._head, self._buf, self.max_body)
        if got is None:
            return None
        msg, used, self._skip = got
        del self._buf[:used]
        self._head, self._raw, self._scan = None, b"", 0
        return msg

    def _read_head(self) -> bool:
        end, sep = _head_end(self._buf, self._scan)
        if end < 0:
            if len(self._buf) > MAX_HEAD:
                raise DecodeError("HTTP head too long")
            self._scan = max(0, len(self._buf) - 3)
            return False
        self._head = parse_head(bytes(self._buf[:end]))
        self._raw = bytes(self._buf[: end + sep])
        del self._buf[: end + sep]
        return True


def _head_end(buf: bytearray, start: int) -> tuple[int, int]:
    """Offset of the blank line ending the head and the length of the separator, or (-1, 0)."""
    found = [(i, n) for i, n in ((buf.find(b"\r\n\r\n", start), 4), (buf.find(b"\n\n", start), 2))
             if i >= 0]
    return min(found) if found else (-1, 0)


def read_head(data: bytes) -> tuple[HttpMessage, int] | None:
    """The head an HTTP message at the start of data has (body-less), and its length through
    the blank line; None while the blank line has not come. Raises DecodeError as parse_head."""
    end, sep = _head_end(data, 0)
    return None if end < 0 else (parse_head(data[:end]), end + sep)


def parse_head(head: bytes) -> HttpMessage:
    """Start line and headers (without the blank line) to a body-less HttpMessage."""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    method, target, status, reason, version = _start_line(lines[0])
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obsolete folding: continues the last value
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise DecodeError("malformed HTTP header")
        headers.append((name, value.strip()))
    if len(headers) > MAX_HEADERS:
        raise DecodeError("too many HTTP headers")
    return HttpMessage(method, target, status, reason, version, tuple(headers))


def _start_line(line: str) -> tuple[str | None, str | None, int | None, str, str]:
    """(method, target, status, reason, version) of a request or status line."""
    parts = line.split(" ", 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/1."):
        if not (parts[1].isdigit() and len(parts[1]) == 3):
            raise DecodeError("bad HTTP status")
        return None, None, int(parts[1]), parts[2] if len(parts) > 2 else "", parts[0]
    if len(parts) == 3 and parts[0].encode() in METHODS and parts[2].startswith("HTTP/1."):
        return parts[0], parts[1], None, "", parts[2]
    raise DecodeError("not an HTTP/1.x start line")


def _take_body(head: HttpMessage, buf: bytearray, max_body: int):
    """(message, bytes used, bytes still to skip) once the body is in, else None. A body over
    max_body is cut there, so that a huge Content-Length cannot make the framer buffer it."""
    if (head.header("Transfer-Encoding") or "").lower().endswith("chunked"):
        got = _dechunk(buf, max_body)
        return None if got is None else (_with_body(head, got[0], False), got[1], 0)
    length = _content_length(head)
    if length is None:
        return None  # response delimited by connection close: see HttpFramer.finish
    if length > max_body and len(buf) >= max_body:
        used = min(len(buf), length)
        return _with_body(head, bytes(buf[:max_body]), True), used, length - used
    if len(buf) < length:
        return None
    return _with_body(head, bytes(buf[:length]), False), length, 0


def _content_length(head: HttpMessage) -> int | None:
    value = head.header("Content-Length")
    if value is None:
        no_body = head.is_request or head.status in (204, 304) or 100 <= (head.status or 0) < 200
        return 0 if no_body else None
    if not value.strip().isdigit():
        raise DecodeError("bad Content-Length")
    return int(value)


def _dechunk(buf: bytearray, max_body: int) -> tuple[bytes, int] | None:
    """Chunked transfer coding: (body, bytes used) when the last chunk is in, else None."""
    pos, parts, total = 0, [], 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            if len(buf) - pos > 1024:
                raise DecodeError("chunk size line too long")
            return None
        size = _chunk_size(bytes(buf[pos:eol]))
        pos = eol + 2
        if size == 0:
            return _chunked_end(buf, pos, parts)
        total += size
        if total > max_body:
            raise DecodeError("chunked body too long")
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos:pos + size]))
        pos += size + 2


def _chunked_end(buf: bytearray, pos: int, parts: list[bytes]) -> tuple[bytes, int] | None:
    if buf[pos:pos + 2] == b"\r\n":
        return b"".join(parts), pos + 2
    end = buf.find(b"\r\n\r\n", pos)  # trailer headers, ignored
    return None if end < 0 else (b"".join(parts), end + 4)


def _chunk_size(line: bytes) -> int:
    try:
        return int(line.split(b";")[0].strip(), 16)
    except ValueError:
        raise DecodeError("bad chunk size") from None


def _with_body(head: HttpMessage, body: bytes, truncated: bool) -> HttpMessage:
    """The head with its body (positional: dataclasses.replace costs 5 us a message)."""
    return HttpMessage(head.method, head.target, head.status, head.reason, head.version,
                       head.headers, body, truncated)


def parse_http(data: bytes) -> HttpMessage:
    """Exactly one complete message; NeedMoreData when it is cut short."""
    framer = HttpFramer()
    msgs = framer.feed(data)
    if framer.failed:
        raise DecodeError("not HTTP/1.x")
    if not msgs:
        raise NeedMoreData("HTTP message incomplete")
    return msgs[0]


def encode(msg: HttpMessage) -> bytes:
    """Wire form of a message, headers exactly as given (see `request`/`response`)."""
    if msg.is_request:
        start = f"{msg.method} {msg.target} {msg.version}"
    else:
        start = f"{msg.version} {msg.status} {msg.reason}".rstrip()
    lines = [start] + [f"{k}: {v}" for k, v in msg.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + msg.body


def request(method: str, target: str, headers: tuple[tuple[str, str], ...] = (),
            body: bytes = b"") -> HttpMessage:
    """A request whose Content-Length matches its body (added when the body is not empty)."""
    return HttpMessage(method=method, target=target, headers=_with_length(headers, body),
                       body=body)


def response(status: int, reason: str, headers: tuple[tuple[str, str], ...] = (),
             body: bytes = b"") -> HttpMessage:
    """A response with a Content-Length header (always: it is what ends the body)."""
    return HttpMessage(status=status, reason=reason,
                       headers=_with_length(headers, body, always=True), body=body)


def _with_length(headers, body: bytes, always: bool = False) -> tuple[tuple[str, str], ...]:
    headers = tuple((k, v) for k, v in headers if k.lower() != "content-length")
    return headers + (("Content-Length", str(len(body))),) if body or always else headers


def basic_auth_header(user: str, password: str) -> tuple[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return ("Authorization", f"Basic {token}")
