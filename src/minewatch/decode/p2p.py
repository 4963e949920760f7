"""Coin nodes' peer-to-peer framing, read so that a node's connections are labelled `node`,
never taken for mining: Bitcoin's messages (and its forks': Litecoin, Dogecoin, Bitcoin Cash,
Dash, Zcash, Ravencoin...) and Monero's levin (the CryptoNote coins').

Bitcoin (developer reference, "P2P network"; Bitcoin Core `protocol.h`): a message is the
network's 4-byte magic, a 12-byte command (ASCII, NUL padded), the payload length (uint32 LE),
the first 4 bytes of the payload's double SHA-256, then the payload. Nodes before protocol 60002
(2012) sent `version` and `verack` without the checksum, as the 2011 capture in
shared/data/pcaps shows; `parse_message` reads both. The `version` payload names the node's
software (its user agent, BIP 14) and chain height.

Levin (Monero `contrib/epee/include/net/levin_base.h`): a 33-byte header, the signature
0x0101010101012101 (LE), body size, whether a reply is expected, command (1001 is the
handshake), return code, flags and protocol version; a handshake's body (epee portable
storage) holds its network's 16-byte id.

RLPx (devp2p's `rlpx.md`, EIP-8), Ethereum's and its forks' transport: encrypted from the first
byte, but its handshake messages (the dialler's auth, the listener's ack) are a big-endian
2-byte size, then ECIES's 0x04 and an ephemeral secp256k1 public key, IV, ciphertext and tag.
A key that lies on the curve is what tells them from random bytes (`rlpx_key`).

`opens` is the cheap test a classifier asks of a connection's first bytes; flows.conntable
has its compiled twin.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from minewatch.errors import DecodeError, NeedMoreData

# network magic -> the network (shared by a coin's forks that kept it, e.g. Flux uses Zcash's)
NETWORKS: dict[bytes, str] = {bytes.fromhex(k): v for k, v in {
    "f9beb4d9": "Bitcoin", "0b110907": "Bitcoin testnet3", "1c163f28": "Bitcoin testnet4",
    "0a03cf40": "Bitcoin signet", "fabfb5da": "Bitcoin regtest",
    "fbc0b6db": "Litecoin", "fdd2c8f1": "Litecoin testnet", "c0c0c0c0": "Dogecoin",
    "fcc1b7dc": "Dogecoin testnet", "e3e1f3e8": "Bitcoin Cash", "bf0c6bbd": "Dash",
    "24e92764": "Zcash", "5241564e": "Ravencoin", "fac3b6da": "DigiByte",
    "f9beb4fe": "Namecoin", "e1476d44": "Bitcoin Gold",
}.items()}
HEADER = struct.Struct("<4s12sI4s")  # magic, command, payload length, checksum
OLD_HEADER = struct.Struct("<4s12sI")  # version and verack before protocol 60002
UNCHECKED = ("version", "verack")
MAX_PAYLOAD = 0x02000000  # Bitcoin Core's MAX_SIZE: a longer length is no Bitcoin message

LEVIN_SIGNATURE = 0x0101010101012101
LEVIN_BYTES = LEVIN_SIGNATURE.to_bytes(8, "little")  # as it opens a message
LEVIN = struct.Struct("<QQ?IiII")  # signature, body size, reply expected, command, code, flags, v
LEVIN_COMMANDS = {1001: "handshake", 1002: "timed_sync", 1003: "ping", 1007: "support_flags",
                  2001: "new_block", 2002: "new_transactions", 2003: "get_objects",
                  2004: "objects", 2006: "request_chain", 2007: "chain_entry",
                  2008: "new_fluffy_block", 2009: "fluffy_missing_tx", 2010: "txpool_complement"}
NETWORK_IDS = {bytes.fromhex(k): v for k, v in {  # Monero's cryptonote_config.h
    "1230f171610441611731008216a1a110": "Monero",
    "1230f171610441611731008216a1a111": "Monero testnet",
    "1230f171610441611731008216a1a112": "Monero stagenet",
}.items()}
_NETWORK_ID_KEY = b"\x0anetwork_id\x0a\x40"  # key length, key, type string, size 16 (varint)

RLPX_MIN, RLPX_MAX = 65 + 16 + 32, 2048  # ECIES's key, IV and tag; geth's handshake limit
SECP256K1_P = 2**256 - 2**32 - 977


@dataclass(frozen=True, slots=True)
class MessageHeader:
    magic: bytes
    command: str
    length: int  # payload bytes
    checksum: bytes | None  # None: an old version/verack, sent without one

    @property
    def size(self) -> int:
        """Header bytes."""
        return HEADER.size if self.checksum is not None else OLD_HEADER.size


@dataclass(frozen=True, slots=True)
class Version:
    """A `version` payload (the addresses it carries are left out)."""

    protocol: int
    services: int
    timestamp: int  # unix seconds
    nonce: int
    user_agent: str = ""  # BIP 14, e.g. "/Satoshi:25.0.0/"; empty before it
    start_height: int | None = None  # the sender's chain height (protocol >= 209)
    relay: bool | None = None  # BIP 37 (protocol >= 70001)


@dataclass(frozen=True, slots=True)
class LevinHeader:
    size: int  # body bytes
    expects_reply: bool
    command: int
    return_code: int = 0
    flags: int = 1  # 1 request, 2 response
    version: int = 1


def opens(head: bytes) -> bool:
    """Whether a connection's first bytes open a coin node's P2P message: a known network
    magic, a command of letters and digits and a length Bitcoin allows; the levin signature;
    or what may be an RLPx handshake (cheap, for classifiers; conntable._opens_node is its
    compiled twin)."""
    if head[:4] in NETWORKS:
        name = head[4:16].rstrip(b"\0")  # (bytes.isalnum: ASCII letters and digits only)
        return len(head) >= OLD_HEADER.size and name.isalnum() \
            and int.from_bytes(head[16:20], "little") <= MAX_PAYLOAD
    return (len(head) >= LEVIN.size and head[:8] == LEVIN_BYTES) or opens_rlpx(head)


def opens_rlpx(head: bytes) -> bool:
    """Whether head may open an RLPx handshake message: a size an auth or ack can have, then
    0x04 and room for the key (rlpx_key says whether it is one)."""
    return len(head) >= 67 and head[2] == 4 \
        and RLPX_MIN < int.from_bytes(head[:2], "big") <= RLPX_MAX


def rlpx_key(head: bytes) -> bytes | None:
    """The ephemeral public key (x, y: 64 bytes) an RLPx handshake message opens with, when
    head opens one and the key is a point of secp256k1 (y^2 = x^3 + 7 mod p); else None."""
    if not opens_rlpx(head):
        return None
    x, y = int.from_bytes(head[3:35], "big"), int.from_bytes(head[35:67], "big")
    if x >= SECP256K1_P or y >= SECP256K1_P or (y * y - x * x * x - 7) % SECP256K1_P:
        return None
    return head[3:67]


def parse_header(data: bytes) -> MessageHeader:
    """The header of the message at the start of data (with its checksum field: see
    parse_message for the old version/verack)."""
    if len(data) < HEADER.size:
        raise NeedMoreData("P2P message header cut short")
    magic, command, length, checksum = HEADER.unpack_from(data)
    return MessageHeader(magic, command_name(command), _length(length), checksum)


def parse_message(data: bytes) -> tuple[MessageHeader, bytes]:
    """(header, payload) of the message at the start of data. A version or verack whose
    checksum does not check (or that ends before a checksum could) is read in the old form,
    without one."""
    if len(data) >= HEADER.size:
        head = parse_header(data)
        payload = data[head.size:head.size + head.length]
        if len(payload) == head.length and _checksum(payload) == head.checksum:
            return head, payload
    magic, command, length = OLD_HEADER.unpack_from(_at_least(data, OLD_HEADER.size))
    old = MessageHeader(magic, command_name(command), _length(length), None)
    if old.command not in UNCHECKED and len(data) >= HEADER.size + old.length:
        raise DecodeError(f"P2P {old.command} message: checksum does not match")
    if old.command not in UNCHECKED or len(data) < old.size + old.length:
        raise NeedMoreData("P2P message cut short")
    return old, data[old.size:old.size + old.length]


def parse_version(payload: bytes) -> Version:
    """A version payload: the fields before the user agent are fixed, the rest optional by
    protocol version."""
    if len(payload) < 80:
        raise DecodeError(f"version payload of {len(payload)} bytes (80 at least)")
    protocol, services, timestamp = struct.unpack_from("<iQq", payload)
    nonce = int.from_bytes(payload[72:80], "little")  # after the two 26-byte addresses
    if len(payload) == 80:
        return Version(protocol, services, timestamp, nonce)
    n, at = _varint(payload, 80)
    agent = payload[at:at + n]
    if len(agent) < n:
        raise DecodeError("version user agent cut short")
    at += n
    height = int.from_bytes(payload[at:at + 4], "little", signed=True) \
        if len(payload) >= at + 4 else None
    relay = bool(payload[at + 4]) if len(payload) > at + 4 else None
    return Version(protocol, services, timestamp, nonce, agent.decode("latin-1"), height, relay)


def encode_message(magic: bytes, command: str, payload: bytes, checksum: bool = True) -> bytes:
    """A message as a node sends it (checksum False: the old version/verack form)."""
    head = magic + command.encode("ascii").ljust(12, b"\0") + struct.pack("<I", len(payload))
    return head + (_checksum(payload) if checksum else b"") + payload


def encode_version(v: Version, addresses: bytes = b"\0" * 52) -> bytes:
    """A version payload; `addresses` are the receiver's and sender's 26-byte net addresses."""
    out = struct.pack("<iQq", v.protocol, v.services, v.timestamp) + addresses[:52].ljust(52, b"\0")
    out += v.nonce.to_bytes(8, "little")
    if not v.user_agent and v.start_height is None:
        return out
    agent = v.user_agent.encode("latin-1")
    out += _encode_varint(len(agent)) + agent
    if v.start_height is not None:
        out += struct.pack("<i", v.start_height)
        out += b"" if v.relay is None else bytes([v.relay])
    return out


def parse_levin(data: bytes) -> LevinHeader:
    if len(data) < LEVIN.size:
        raise NeedMoreData("levin header cut short")
    signature, size, reply, command, code, flags, version = LEVIN.unpack_from(data)
    if signature != LEVIN_SIGNATURE:
        raise DecodeError(f"not a levin header (signature {signature:#x})")
    return LevinHeader(size, reply, command, code, flags, version)


def encode_levin(h: LevinHeader, body: bytes = b"") -> bytes:
    return LEVIN.pack(LEVIN_SIGNATURE, h.size, h.expects_reply, h.command, h.return_code,
                      h.flags, h.version) + body


def network_id(body: bytes) -> bytes | None:
    """The 16-byte network id a levin handshake's body carries (node_data.network_id), if it
    holds one (found by its key: the portable storage is not otherwise read)."""
    at = body.find(_NETWORK_ID_KEY)
    if at < 0 or len(body) < at + len(_NETWORK_ID_KEY) + 16:
        return None
    start = at + len(_NETWORK_ID_KEY)
    return body[start:start + 16]


def command_name(raw: bytes) -> str:
    """The command of a header's 12-byte field: letters and digits, padded with NULs."""
    name = raw.rstrip(b"\0")
    if not name.isalnum():
        raise DecodeError(f"P2P command {raw!r} is not a NUL-padded name")
    return name.decode("ascii")


def _length(n: int) -> int:
    if n > MAX_PAYLOAD:
        raise DecodeError(f"P2P payload length {n} over {MAX_PAYLOAD}")
    return n


def _at_least(data: bytes, n: int) -> bytes:
    if len(data) < n:
        raise NeedMoreData("P2P message header cut short")
    return data


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """Bitcoin's CompactSize at `at`: (value, offset after it)."""
    if at >= len(data):
        raise DecodeError("varint cut short")
    first = data[at]
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(first, 0)
    if not width:
        return first, at + 1
    if at + 1 + width > len(data):
        raise DecodeError("varint cut short")
    return int.from_bytes(data[at + 1:at + 1 + width], "little"), at + 1 + width


def _encode_varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    for first, width in ((0xFD, 2), (0xFE, 4), (0xFF, 8)):
        if n < 1 << (8 * width):
            return bytes([first]) + n.to_bytes(width, "little")
    raise ValueError(f"{n} does not fit a varint")
