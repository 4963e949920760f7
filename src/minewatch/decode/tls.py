"""TLS ClientHello: server name, ALPN and the JA3 fingerprint of a client's first bytes.

Encrypted Stratum (stratum+ssl, XMRig tls:true) hides every share; what is left is the
ClientHello: the SNI names the pool, JA3 hints at the TLS library. `parse_client_hello` reads
the handshake from the start of the client stream (a ClientHello split over several records is
joined); `encode_client_hello` writes a realistic one (OpenSSL-like) for the simulator.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from minewatch.decode.cursor import Cursor
from minewatch.errors import DecodeError, NeedMoreData

HANDSHAKE = 0x16
CLIENT_HELLO = 1
MAX_RECORD = 2**14 + 2048
MAX_HELLO = 64 * 1024
EXT_SERVER_NAME, EXT_GROUPS, EXT_POINT_FORMATS, EXT_ALPN = 0, 10, 11, 16
EXT_SUPPORTED_VERSIONS = 43
DEFAULT_CIPHERS = (0x1302, 0x1303, 0x1301, 0xC02C, 0xC030, 0x009F, 0xCCA9, 0xCCA8, 0xCCAA,
                   0xC02B, 0xC02F, 0x009E, 0xC024, 0xC028, 0x006B, 0xC023, 0xC027, 0x0067,
                   0xC00A, 0xC014, 0x0039, 0xC009, 0xC013, 0x0033, 0x009D, 0x009C, 0x003D,
                   0x003C, 0x0035, 0x002F, 0x00FF)
_SIG_ALGS = (0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080A, 0x080B, 0x0804, 0x0805,
             0x0806, 0x0401, 0x0501, 0x0601)


@dataclass(frozen=True, slots=True)
class ClientHello:
    version: int  # legacy_version of the hello (0x0303 for TLS 1.2 and 1.3)
    cipher_suites: tuple[int, ...]
    extensions: tuple[int, ...]  # extension types in the order sent
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    supported_groups: tuple[int, ...] = ()
    ec_point_formats: tuple[int, ...] = ()
    supported_versions: tuple[int, ...] = ()

    @property
    def ja3(self) -> str:
        """The JA3 string: version,ciphers,extensions,groups,point formats (GREASE removed)."""
        fields = (self.cipher_suites, self.extensions, self.supported_groups)
        parts = [str(self.version)] + ["-".join(str(v) for v in f if not is_grease(v))
                                       for f in fields]
        return ",".join(parts + ["-".join(map(str, self.ec_point_formats))])

    @property
    def ja3_md5(self) -> str:
        return hashlib.md5(self.ja3.encode(), usedforsecurity=False).hexdigest()


def is_grease(value: int) -> bool:
    """RFC 8701 reserved values 0x0a0a, 0x1a1a ... 0xfafa."""
    return value & 0x0F0F == 0x0A0A and value >> 8 == value & 0xFF


class _Reader(Cursor):
    """Big-endian reads of ClientHello fields."""

    __slots__ = ()
    OVERRUN = "ClientHello field runs past its end"

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")

    def vector(self, len_bytes: int) -> _Reader:
        return _Reader(self.take(self.uint(len_bytes)))

    def u16s(self) -> tuple[int, ...]:
        body = self.data[self.pos:]
        if len(body) % 2:
            raise DecodeError("odd-length list of 16-bit values")
        self.pos = len(self.data)
        return tuple(v for (v,) in struct.iter_unpack(">H", body))


def looks_like_tls(data: bytes) -> bool:
    """A stream starting with a TLS handshake record header, or with an SSLv2-compatible
    ClientHello as old OpenSSL sends (5 bytes suffice)."""
    if len(data) >= 3 and data[0] == HANDSHAKE and data[1] == 3 and data[2] <= 4:
        return True
    return _is_v2_hello(data)


def _is_v2_hello(data: bytes) -> bool:
    return len(data) >= 5 and data[0] & 0x80 and data[2] == CLIENT_HELLO and data[3] in (2, 3)


def _parse_v2_hello(data: bytes) -> ClientHello:
    """SSLv2-compatible ClientHello (RFC 5246 E.2): 3-byte cipher specs, no extensions."""
    length = ((data[0] & 0x7F) << 8) | data[1]
    if len(data) < 2 + length:
        raise NeedMoreData("SSLv2 ClientHello incomplete")
    r = _Reader(data[2:2 + length])
    r.take(1)
    version, spec_len, _, _ = r.uint(2), r.uint(2), r.uint(2), r.uint(2)
    specs = r.take(spec_len)
    if spec_len % 3:
        raise DecodeError("SSLv2 cipher specs not a multiple of 3 bytes")
    suites = tuple(int.from_bytes(specs[i + 1:i + 3], "big") for i in range(0, spec_len, 3)
                   if specs[i] == 0)  # 3-byte SSLv2-only kinds have no TLS number
    return ClientHello(version, suites, ())


def handshake_bytes(data: bytes) -> bytes:
    """The first handshake message, joined from consecutive records; NeedMoreData if cut."""
    joined, pos = b"", 0
    while len(joined) < 4 or len(joined) < 4 + _hello_length(joined):
        if len(data) - pos < 5:
            _check_prefix(data[pos:])
            raise NeedMoreData("TLS record header incomplete")
        ctype, major = data[pos], data[pos + 1]
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if ctype != HANDSHAKE or major != 3 or length == 0 or length > MAX_RECORD:
            raise DecodeError("not a TLS handshake record")
        if len(data) - pos - 5 < length:
            raise NeedMoreData("TLS record incomplete")
        joined += data[pos + 5:pos + 5 + length]
        pos += 5 + length
    return joined


def _hello_length(hs: bytes) -> int:
    length = int.from_bytes(hs[1:4], "big")
    if length > MAX_HELLO:  # else a bogus length would have us wait for megabytes
        raise DecodeError("handshake message too long for a ClientHello")
    return length


def _check_prefix(head: bytes) -> None:
    if (head[:1] and head[0] != HANDSHAKE) or (head[1:2] and head[1] != 3):
        raise DecodeError("not a TLS handshake record")


def parse_client_hello(data: bytes) -> ClientHello:
    """The ClientHello at the start of a client stream. DecodeError when it is not TLS or not a
    ClientHello; NeedMoreData when the bytes end first."""
    if _is_v2_hello(data):
        return _parse_v2_hello(data)
    hs = handshake_bytes(data)
    if hs[0] != CLIENT_HELLO:
        raise DecodeError("first handshake message is not a ClientHello")
    r = _Reader(hs[4:4 + int.from_bytes(hs[1:4], "big")])
    version = r.uint(2)
    r.take(32)  # random
    r.vector(1)  # legacy session id
    suites = r.vector(2).u16s()
    r.vector(1)  # compression methods
    exts = _extensions(r.vector(2)) if not r.done else []
    return _hello(version, suites, exts)


def _extensions(r: _Reader) -> list[tuple[int, bytes]]:
    out = []
    while not r.done:
        out.append((r.uint(2), r.vector(2).data))
    return out


def _hello(version: int, suites: tuple[int, ...], exts: list[tuple[int, bytes]]) -> ClientHello:
    found = dict(exts)  # first wins is irrelevant: duplicates are a protocol error anyway
    groups = _Reader(found[EXT_GROUPS]).vector(2).u16s() if EXT_GROUPS in found else ()
    points = tuple(_Reader(found[EXT_POINT_FORMATS]).vector(1).data) \
        if EXT_POINT_FORMATS in found else ()
    versions = _Reader(found[EXT_SUPPORTED_VERSIONS]).vector(1).u16s() \
        if EXT_SUPPORTED_VERSIONS in found else ()
    return ClientHello(version, suites, tuple(t for t, _ in exts), _sni(found.get(EXT_SERVER_NAME)),
                       _alpn(found.get(EXT_ALPN)), groups, points, versions)


def _sni(body: bytes | None) -> str | None:
    if body is None:
        return None
    names = _Reader(body).vector(2)
    while not names.done:
        kind, name = names.uint(1), names.vector(2).data
        if kind == 0:
            return name.decode("ascii", "replace").lower().rstrip(".")
    return None


def _alpn(body: bytes | None) -> tuple[str, ...]:
    if body is None:
        return ()
    r, out = _Reader(body).vector(2), []
    while not r.done:
        out.append(r.vector(1).data.decode("ascii", "replace"))
    return tuple(out)


def _vec(data: bytes, len_bytes: int) -> bytes:
    return len(data).to_bytes(len_bytes, "big") + data


def _u16s(values) -> bytes:
    return b"".join(v.to_bytes(2, "big") for v in values)


def _ext(kind: int, body: bytes) -> bytes:
    return kind.to_bytes(2, "big") + _vec(body, 2)


def encode_client_hello(sni: str | None, cipher_suites: tuple[int, ...] = DEFAULT_CIPHERS,
                        alpn: tuple[str, ...] = (), random: bytes = bytes(32),
                        session_id: bytes = bytes(32)) -> bytes:
    """One TLS record holding a ClientHello as OpenSSL 1.1/3 sends it (TLS 1.3 capable)."""
    exts = b""
    if sni:
        exts += _ext(EXT_SERVER_NAME, _vec(b"\x00" + _vec(sni.encode("idna"), 2), 2))
    exts += _ext(EXT_POINT_FORMATS, _vec(b"\x00\x01\x02", 1))
    exts += _ext(EXT_GROUPS, _vec(_u16s((29, 23, 30, 25, 24)), 2)) + _ext(35, b"")
    if alpn:
        exts += _ext(EXT_ALPN, _vec(b"".join(_vec(p.encode(), 1) for p in alpn), 2))
    exts += _ext(22, b"") + _ext(23, b"") + _ext(13, _vec(_u16s(_SIG_ALGS), 2))
    exts += _ext(EXT_SUPPORTED_VERSIONS, _vec(_u16s((0x0304, 0x0303)), 1))
    exts += _ext(45, _vec(b"\x01", 1))
    exts += _ext(51, _vec(_u16s((29, 32)) + hashlib.sha256(random).digest(), 2))  # x25519 share
    body = (b"\x03\x03" + random + _vec(session_id, 1) + _vec(_u16s(cipher_suites), 2)
            + _vec(b"\x00", 1) + _vec(exts, 2))
    hs = bytes([CLIENT_HELLO]) + len(body).to_bytes(3, "big") + body
    return bytes([HANDSHAKE, 3, 1]) + _vec(hs, 2)
