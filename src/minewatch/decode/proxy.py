"""The preamble of a connection made through a proxy: SOCKS4/4a, SOCKS5 (RFC 1928, with RFC
1929 username/password) and HTTP CONNECT (RFC 9110 §9.3.6).

Miners reach their pools through proxies: XMRig and xmrig-proxy take `--proxy` (SOCKS5),
cgminer and bfgminer take `--pool-proxy` (http:, socks4:, socks4a:, socks5:, socks5h:). A tap
between the miner and the proxy then sees the proxy's port, a preamble naming the pool, and the
pool dialect after it. `parse_request` reads the client's preamble (the pool's host and port),
`reply_length` the proxy's answer; what follows them on each side is the tunnelled stream.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from minewatch.decode import http
from minewatch.errors import DecodeError, NeedMoreData

SOCKS4, SOCKS4A, SOCKS5, HTTP_CONNECT = "socks4", "socks4a", "socks5", "http-connect"
MAX_HEAD = 8192  # bytes an HTTP CONNECT request or answer head may take
MAX_FIELD = 255  # a SOCKS4 user id or host name (SOCKS5 length bytes bound the rest)
_CONNECT = b"CONNECT "


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    """Where a client asked its proxy to connect: `host` is a name or an address text."""

    kind: str
    host: str
    port: int
    user: str = ""  # SOCKS4 user id, SOCKS5 username
    password: str | None = None  # SOCKS5 only: None when no username/password was sent


def opens_tunnel(head: bytes) -> bool:
    """Whether a client's first bytes look like a proxy preamble (cheap, for classifiers)."""
    if head.startswith(_CONNECT):
        return True
    if len(head) >= 3 and head[0] == 5:
        return 1 <= head[1] <= len(head) - 2 and all(m <= 0x09 or m >= 0x80
                                                      for m in head[2:2 + head[1]])
    return len(head) >= 9 and head[0] == 4 and head[1] in (1, 2) and 0 in head[8:]


def parse_request(data: bytes) -> tuple[ProxyRequest, int]:
    """The proxy preamble a client's stream begins with, and its length in bytes. Raises
    NeedMoreData when data ends inside one, DecodeError when data does not begin with one."""
    _need(data, 1)
    if _CONNECT.startswith(data[:8]):
        return _connect_request(data)
    if data[:1] == b"\x05":
        return _socks5_request(data)
    if data[:1] == b"\x04":
        return _socks4_request(data)
    raise DecodeError("not a proxy preamble")


def reply_length(request: ProxyRequest, data: bytes) -> tuple[bool, int]:
    """(whether the proxy granted `request`, length in bytes) of the answer a proxy's stream
    begins with. Raises NeedMoreData / DecodeError as parse_request does."""
    if request.kind == HTTP_CONNECT:
        head, end = _http_head(data)
        if head.status is None:
            raise DecodeError("CONNECT answer is not an HTTP response")
        return 200 <= head.status < 300, end
    if request.kind == SOCKS5:
        return _socks5_reply(request, data)
    _need(data, 8)
    if data[0] != 0:
        raise DecodeError(f"SOCKS4 reply version {data[0]}")
    return data[1] == 90, 8


def encode_request(request: ProxyRequest) -> bytes:
    """The client's preamble for `request` (SOCKS5: greeting, authentication, CONNECT)."""
    if request.kind == HTTP_CONNECT:
        target = f"{_bracketed(request.host)}:{request.port}".encode()
        return b"CONNECT " + target + b" HTTP/1.1\r\nHost: " + target + b"\r\n\r\n"
    if request.kind == SOCKS5:
        return _socks5_encode(request)
    user = request.user.encode() + b"\0"
    if request.kind == SOCKS4A:
        return struct.pack(">BBH4s", 4, 1, request.port, bytes([0, 0, 0, 1])) + user \
            + request.host.encode() + b"\0"
    address = ipaddress.IPv4Address(request.host).packed
    return struct.pack(">BBH4s", 4, 1, request.port, address) + user


def encode_reply(request: ProxyRequest, granted: bool = True) -> bytes:
    """The proxy's answer to `request`."""
    if request.kind == HTTP_CONNECT:
        return b"HTTP/1.1 200 Connection established\r\n\r\n" if granted else \
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"
    if request.kind == SOCKS5:
        auth = b"" if request.password is None else b"\x01\x00"
        method = b"\x05\x00" if request.password is None else b"\x05\x02"
        return method + auth + bytes([5, 0 if granted else 5, 0, 1]) + bytes(4) + b"\0\0"
    return bytes([0, 90 if granted else 91]) + bytes(6)


# --- HTTP CONNECT -------------------------------------------------------------------------------

def _connect_request(data: bytes) -> tuple[ProxyRequest, int]:
    head, end = _http_head(data)
    if head.method != "CONNECT":
        raise DecodeError("not a CONNECT request")
    host, sep, port = (head.target or "").rpartition(":")
    if not sep or not port.isdigit() or not host or int(port) > 65535:
        raise DecodeError("CONNECT target is not host:port")
    return ProxyRequest(HTTP_CONNECT, host.strip("[]"), int(port)), end


def _http_head(data: bytes) -> tuple[http.HttpMessage, int]:
    """http.read_head, within MAX_HEAD bytes."""
    got = http.read_head(data[:MAX_HEAD])
    if got is None:
        if len(data) >= MAX_HEAD:
            raise DecodeError("proxy HTTP head too long")
        raise NeedMoreData("proxy HTTP head cut short")
    return got


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# --- SOCKS4 / 4a --------------------------------------------------------------------------------

def _socks4_request(data: bytes) -> tuple[ProxyRequest, int]:
    _need(data, 9)
    if data[1] not in (1, 2):
        raise DecodeError(f"SOCKS4 command {data[1]}")
    port, address = struct.unpack_from(">H4s", data, 2)
    user, pos = _cstring(data, 8)
    if address[:3] == b"\0\0\0" and address[3]:  # 4a: the name follows the user id
        host, pos = _cstring(data, pos)
        return ProxyRequest(SOCKS4A, host, port, user), pos
    return ProxyRequest(SOCKS4, str(ipaddress.IPv4Address(address)), port, user), pos


def _cstring(data: bytes, pos: int) -> tuple[str, int]:
    """A NUL-terminated field at pos (at most MAX_FIELD bytes) and the position after it."""
    end = data.find(b"\0", pos, pos + MAX_FIELD + 1)
    if end < 0:
        if len(data) > pos + MAX_FIELD:
            raise DecodeError("SOCKS4 field too long")
        raise NeedMoreData("SOCKS4 field cut short")
    return data[pos:end].decode("latin-1"), end + 1


# --- SOCKS5 -------------------------------------------------------------------------------------

_ATYP_IPV4, _ATYP_NAME, _ATYP_IPV6 = 1, 3, 4


def _socks5_request(data: bytes) -> tuple[ProxyRequest, int]:
    _need(data, 2)
    pos = 2 + data[1]  # the greeting: version, methods
    if not data[1]:
        raise DecodeError("SOCKS5 greeting offers no method")
    user, password = "", None
    _need(data, pos + 1)
    if data[pos] == 1:  # RFC 1929: version 1, username, password
        user, pos = _counted(data, pos + 1)
        password, pos = _counted(data, pos)
    _need(data, pos + 4)
    version, command, reserved, atyp = data[pos:pos + 4]
    if version != 5 or command not in (1, 2, 3) or reserved:
        raise DecodeError("malformed SOCKS5 request")
    host, pos = _socks5_address(data, pos + 3)
    _need(data, pos + 2)
    port = int.from_bytes(data[pos:pos + 2], "big")
    return ProxyRequest(SOCKS5, host, port, user, password), pos + 2


def _socks5_reply(request: ProxyRequest, data: bytes) -> tuple[bool, int]:
    _need(data, 2)
    if data[0] != 5:
        raise DecodeError(f"SOCKS5 reply version {data[0]}")
    pos = 2
    if request.password is not None:
        _need(data, 4)
        pos = 4
    _need(data, pos + 4)
    if data[pos] != 5:
        raise DecodeError("malformed SOCKS5 reply")
    granted = data[1] != 0xFF and data[pos + 1] == 0 and (pos == 2 or data[3] == 0)
    _, end = _socks5_address(data, pos + 3)
    _need(data, end + 2)
    return granted, end + 2


def _socks5_address(data: bytes, pos: int) -> tuple[str, int]:
    """The address at pos (its type byte first) as text, and the position after it."""
    atyp = data[pos]
    if atyp == _ATYP_IPV4:
        _need(data, pos + 5)
        return str(ipaddress.IPv4Address(data[pos + 1:pos + 5])), pos + 5
    if atyp == _ATYP_IPV6:
        _need(data, pos + 17)
        return str(ipaddress.IPv6Address(data[pos + 1:pos + 17])), pos + 17
    if atyp == _ATYP_NAME:
        return _counted(data, pos + 1)
    raise DecodeError(f"SOCKS5 address type {atyp}")


def _counted(data: bytes, pos: int) -> tuple[str, int]:
    """A length-prefixed field at pos, and the position after it."""
    _need(data, pos + 1)
    end = pos + 1 + data[pos]
    _need(data, end)
    return data[pos + 1:end].decode("latin-1"), end


def _socks5_encode(request: ProxyRequest) -> bytes:
    if request.password is None:
        out = b"\x05\x01\x00"
    else:
        user, password = request.user.encode(), request.password.encode()
        out = b"\x05\x01\x02" + bytes([1, len(user)]) + user + bytes([len(password)]) + password
    try:
        address = ipaddress.ip_address(request.host)
        where = bytes([_ATYP_IPV4 if address.version == 4 else _ATYP_IPV6]) + address.packed
    except ValueError:
        name = request.host.encode()
        where = bytes([_ATYP_NAME, len(name)]) + name
    return out + b"\x05\x01\x00" + where + struct.pack(">H", request.port)


def _need(data: bytes, n: int) -> None:
    if len(data) < n:
        raise NeedMoreData("proxy preamble cut short")
