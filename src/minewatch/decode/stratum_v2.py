"""Stratum V2 (SV2) binary framing, the common and mining-protocol messages, and the Noise NX
handshake as it looks on the wire.

Spec: docs/specs/stratum-v2-sv2-spec (3.1 data types, 3.2 framing, 3.6 common messages,
4.5 Noise NX handshake, 5.3 mining messages). Every multi-byte value is little-endian,
including the U256 targets: `SetTarget.maximum_target` is `int.from_bytes(b, "little")`.

A frame is `extension_type` U16 (its top bit is the `channel_msg` flag), `msg_type` U8,
`msg_length` U24, then the payload. Each message class declares its fields once as a table of
(name, SV2 type); `decode` and `encode` both walk that table. Trailing payload bytes after the
declared fields (TLV extension fields, 3.4.3) are ignored. Message types not declared here
decode to `Unknown`.

Encrypted SV2 (every remote pool connection, by the spec) shows nothing of this: only the
Noise handshake sizes, see `looks_like_sv2_noise` (the spec's) and `looks_like_braiins_noise`
(what Braiins Pool and Braiins OS+ ran before the spec took ElligatorSwift keys).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

from minewatch.decode.pcap import Fields, field_struct
from minewatch.decode.cursor import Cursor
from minewatch.errors import DecodeError, NeedMoreData

FRAME_HEADER: Fields = (("extension_type", "H"), ("msg_type", "B"), ("msg_length", "3s"))
_HEADER = field_struct(FRAME_HEADER, "<")
HEADER_LEN = _HEADER.size  # 6
CHANNEL_BIT = 0x8000
MAX_PAYLOAD = 1 << 20  # a mining-protocol frame is a few KiB; bigger ones are skipped

# Noise NX (spec 4.5, "Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256"): the initiator's first
# message is its ElligatorSwift-encoded ephemeral key, 64 bytes, nothing else; the responder
# answers e (64) + encrypted s (64 + 16 MAC) + encrypted SIGNATURE_NOISE_MESSAGE (74 + 16 MAC)
# = 234 bytes. (The spec's table still says 170, the size from before EllSwift keys: 32 + 48 +
# 90; SRI's INITIATOR_EXPECTED_HANDSHAKE_MESSAGE_SIZE is 234.)
NOISE_INITIATOR_SIZE = 64
NOISE_RESPONDER_SIZE = 64 + (64 + 16) + (74 + 16)
# Braiins' Stratum V2, as Braiins Pool (v2.*.stratum.slushpool.com:3336) and Braiins OS+ spoke
# it from 2020 on: Noise_NX_25519_ChaChaPoly_BLAKE2s with every Noise message behind a 2-byte
# little-endian length (their reference client's wrap()). The initiator sends its 32-byte
# X25519 key, so 20 00 and 32 random bytes; the responder e (32), encrypted s (32 + 16) and its
# encrypted SignatureNoiseMessage (version, validity, an ed25519 signature: 76 + 16) behind
# its length, 174 bytes in all, a little more or less as the certificate's format changed.
BRAIINS_INITIATOR = b"\x20\x00"  # the length of a 32-byte key
BRAIINS_INITIATOR_SIZE = 2 + 32
BRAIINS_RESPONDER = range(32 + 48 + 16, 1024)  # the answer's length field: keys, MACs, a payload

PROTOCOLS = {0: "mining", 1: "job-declaration", 2: "template-distribution"}
_SETUP_MAX = 1 + 2 + 2 + 4 + 256 + 2 + 4 * 256 + 1024  # all fields at their longest, + TLVs


# --- frames -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Frame:
    extension_type: int  # with the channel_msg bit
    msg_type: int
    payload: bytes

    @property
    def channel_msg(self) -> bool:
        return bool(self.extension_type & CHANNEL_BIT)

    @property
    def extension(self) -> int:
        """The extension id without the channel_msg bit (0 = core protocol)."""
        return self.extension_type & ~CHANNEL_BIT


def parse_header(data: bytes) -> tuple[int, int, int]:
    """(extension_type, msg_type, msg_length) of the 6 bytes at the start of `data`."""
    if len(data) < HEADER_LEN:
        raise NeedMoreData("SV2 frame header incomplete")
    ext, msg_type, length = _HEADER.unpack_from(data)
    return ext, msg_type, int.from_bytes(length, "little")


def parse_frame(data: bytes) -> tuple[Frame, int]:
    """The frame at the start of `data` and the bytes it used."""
    ext, msg_type, length = parse_header(data)
    if length > MAX_PAYLOAD:
        raise DecodeError(f"SV2 frame of {length} bytes is over the {MAX_PAYLOAD} limit")
    if len(data) < HEADER_LEN + length:
        raise NeedMoreData("SV2 frame incomplete")
    return Frame(ext, msg_type, bytes(data[HEADER_LEN:HEADER_LEN + length])), HEADER_LEN + length


def encode_frame(frame: Frame) -> bytes:
    if not 0 <= len(frame.payload) < 1 << 24:
        raise ValueError("SV2 payload must be shorter than 2**24 bytes")
    return _HEADER.pack(frame.extension_type, frame.msg_type,
                        len(frame.payload).to_bytes(3, "little")) + frame.payload


class Sv2Framer:
    """One direction of a plaintext SV2 stream to frames. A frame longer than MAX_PAYLOAD is
    dropped as it streams by (counted in `skipped`), so a bogus length costs no memory."""

    __slots__ = ("skipped", "_buf", "_skip")

    def __init__(self) -> None:
        self.skipped = 0
        self._buf = bytearray()
        self._skip = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while True:
            if self._skip:
                dropped = min(self._skip, len(self._buf))
                del self._buf[:dropped]
                self._skip -= dropped
                if self._skip:
                    return out
            try:
                frame, used = parse_frame(self._buf)
            except NeedMoreData:
                return out
            except DecodeError:
                self.skipped += 1
                self._skip = HEADER_LEN + parse_header(self._buf)[2]
                continue
            del self._buf[:used]
            out.append(frame)


# --- field codec ------------------------------------------------------------------------------

_FIXED = {"U8": struct.Struct("<B"), "U16": struct.Struct("<H"), "U32": struct.Struct("<I"),
          "U64": struct.Struct("<Q"), "F32": struct.Struct("<f")}
_LEN_PREFIX = {"STR0_255": (1, 255), "B0_32": (1, 32), "B0_255": (1, 255)}


class _Reader(Cursor):
    __slots__ = ()
    OVERRUN = "SV2 field runs past the end of its message"

    def read(self, kind: str):
        if kind in _FIXED:
            return _FIXED[kind].unpack(self.take(_FIXED[kind].size))[0]
        if kind == "U256":
            return int.from_bytes(self.take(32), "little")
        if kind == "B32":
            return self.take(32)
        if kind == "OPTION_U32":
            return self._option()
        size, limit = _LEN_PREFIX[kind]
        n = self.take(size)[0]
        if n > limit:
            raise DecodeError(f"{kind} of {n} bytes")
        raw = self.take(n)
        return raw.decode("utf-8", "replace") if kind == "STR0_255" else raw

    def _option(self) -> int | None:
        present = self.take(1)[0]
        if present > 1:
            raise DecodeError("OPTION holds more than one value")
        return _FIXED["U32"].unpack(self.take(4))[0] if present else None


def _write(kind: str, value) -> bytes:
    if kind in _FIXED:
        return _FIXED[kind].pack(value)
    if kind == "U256":
        return int(value).to_bytes(32, "little")
    if kind == "B32":
        if len(value) != 32:
            raise ValueError("B32 takes exactly 32 bytes")
        return bytes(value)
    if kind == "OPTION_U32":
        return b"\x00" if value is None else b"\x01" + _FIXED["U32"].pack(value)
    raw = value.encode("utf-8") if kind == "STR0_255" else bytes(value)
    if len(raw) > _LEN_PREFIX[kind][1]:
        raise ValueError(f"{kind} value of {len(raw)} bytes is too long")
    return bytes([len(raw)]) + raw


# --- messages ---------------------------------------------------------------------------------

class _Message:
    """Base of the declared messages: MSG_TYPE, CHANNEL (the channel_msg bit) and FIELDS."""

    __slots__ = ()
    MSG_TYPE: ClassVar[int]
    CHANNEL: ClassVar[bool] = False
    FIELDS: ClassVar[Fields]


_STANDARD_OPEN = (("request_id", "U32"), ("user_identity", "STR0_255"),
                  ("nominal_hash_rate", "F32"), ("max_target", "U256"))
_STANDARD_SUBMIT = (("channel_id", "U32"), ("sequence_number", "U32"), ("job_id", "U32"),
                    ("nonce", "U32"), ("ntime", "U32"), ("version", "U32"))


@dataclass(frozen=True, slots=True)
class SetupConnection(_Message):
    MSG_TYPE: ClassVar[int] = 0x00
    FIELDS: ClassVar[Fields] = (
        ("protocol", "U8"), ("min_version", "U16"), ("max_version", "U16"), ("flags", "U32"),
        ("endpoint_host", "STR0_255"), ("endpoint_port", "U16"), ("vendor", "STR0_255"),
        ("hardware_version", "STR0_255"), ("firmware", "STR0_255"), ("device_id", "STR0_255"))
    protocol: int
    min_version: int
    max_version: int
    flags: int
    endpoint_host: str
    endpoint_port: int
    vendor: str
    hardware_version: str
    firmware: str
    device_id: str


@dataclass(frozen=True, slots=True)
class SetupConnectionSuccess(_Message):
    MSG_TYPE: ClassVar[int] = 0x01
    FIELDS: ClassVar[Fields] = (("used_version", "U16"), ("flags", "U32"))
    used_version: int
    flags: int


@dataclass(frozen=True, slots=True)
class SetupConnectionError(_Message):
    MSG_TYPE: ClassVar[int] = 0x02
    FIELDS: ClassVar[Fields] = (("flags", "U32"), ("error_code", "STR0_255"))
    flags: int
    error_code: str


@dataclass(frozen=True, slots=True)
class OpenStandardMiningChannel(_Message):
    MSG_TYPE: ClassVar[int] = 0x10
    FIELDS: ClassVar[Fields] = _STANDARD_OPEN
    request_id: int
    user_identity: str
    nominal_hash_rate: float  # H/s, as the miner announces it
    max_target: int


@dataclass(frozen=True, slots=True)
class OpenStandardMiningChannelSuccess(_Message):
    MSG_TYPE: ClassVar[int] = 0x11
    FIELDS: ClassVar[Fields] = (("request_id", "U32"), ("channel_id", "U32"), ("target", "U256"),
                                ("extranonce_prefix", "B0_32"), ("group_channel_id", "U32"))
    request_id: int
    channel_id: int
    target: int
    extranonce_prefix: bytes
    group_channel_id: int


@dataclass(frozen=True, slots=True)
class OpenMiningChannelError(_Message):
    MSG_TYPE: ClassVar[int] = 0x12
    FIELDS: ClassVar[Fields] = (("request_id", "U32"), ("error_code", "STR0_255"))
    request_id: int
    error_code: str


@dataclass(frozen=True, slots=True)
class OpenExtendedMiningChannel(_Message):
    MSG_TYPE: ClassVar[int] = 0x13
    FIELDS: ClassVar[Fields] = _STANDARD_OPEN + (("min_extranonce_size", "U16"),)
    request_id: int
    user_identity: str
    nominal_hash_rate: float
    max_target: int
    min_extranonce_size: int


@dataclass(frozen=True, slots=True)
class OpenExtendedMiningChannelSuccess(_Message):
    MSG_TYPE: ClassVar[int] = 0x14
    FIELDS: ClassVar[Fields] = (("request_id", "U32"), ("channel_id", "U32"), ("target", "U256"),
                                ("extranonce_size", "U16"), ("extranonce_prefix", "B0_32"),
                                ("group_channel_id", "U32"))
    request_id: int
    channel_id: int
    target: int
    extranonce_size: int
    extranonce_prefix: bytes
    group_channel_id: int


@dataclass(frozen=True, slots=True)
class NewMiningJob(_Message):
    MSG_TYPE: ClassVar[int] = 0x15
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = (("channel_id", "U32"), ("job_id", "U32"),
                                ("min_ntime", "OPTION_U32"), ("version", "U32"),
                                ("merkle_root", "B32"))
    channel_id: int
    job_id: int
    min_ntime: int | None  # None: a future job, activated by SetNewPrevHash
    version: int
    merkle_root: bytes


@dataclass(frozen=True, slots=True)
class SubmitSharesStandard(_Message):
    MSG_TYPE: ClassVar[int] = 0x1A
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = _STANDARD_SUBMIT
    channel_id: int
    sequence_number: int
    job_id: int
    nonce: int
    ntime: int
    version: int


@dataclass(frozen=True, slots=True)
class SubmitSharesExtended(_Message):
    MSG_TYPE: ClassVar[int] = 0x1B
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = _STANDARD_SUBMIT + (("extranonce", "B0_32"),)
    channel_id: int
    sequence_number: int
    job_id: int
    nonce: int
    ntime: int
    version: int
    extranonce: bytes


@dataclass(frozen=True, slots=True)
class SubmitSharesSuccess(_Message):
    MSG_TYPE: ClassVar[int] = 0x1C
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = (("channel_id", "U32"), ("last_sequence_number", "U32"),
                                ("new_submits_accepted_count", "U32"), ("new_shares_sum", "U64"))
    channel_id: int
    last_sequence_number: int
    new_submits_accepted_count: int  # one Success may acknowledge a batch of submits
    new_shares_sum: int


@dataclass(frozen=True, slots=True)
class SubmitSharesError(_Message):
    MSG_TYPE: ClassVar[int] = 0x1D
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = (("channel_id", "U32"), ("sequence_number", "U32"),
                                ("error_code", "STR0_255"))
    channel_id: int
    sequence_number: int
    error_code: str


@dataclass(frozen=True, slots=True)
class SetTarget(_Message):
    MSG_TYPE: ClassVar[int] = 0x21
    CHANNEL: ClassVar[bool] = True
    FIELDS: ClassVar[Fields] = (("channel_id", "U32"), ("maximum_target", "U256"))
    channel_id: int
    maximum_target: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """A frame of a type not declared here (other messages, extensions)."""
    extension_type: int
    msg_type: int
    payload: bytes


MESSAGES: dict[int, type] = {cls.MSG_TYPE: cls for cls in (
    SetupConnection, SetupConnectionSuccess, SetupConnectionError, OpenStandardMiningChannel,
    OpenStandardMiningChannelSuccess, OpenMiningChannelError, OpenExtendedMiningChannel,
    OpenExtendedMiningChannelSuccess, NewMiningJob, SubmitSharesStandard, SubmitSharesExtended,
    SubmitSharesSuccess, SubmitSharesError, SetTarget)}
Message = _Message | Unknown


_CODES = {"U8": "B", "U16": "H", "U32": "I", "U64": "Q", "F32": "f", "U256": "32s", "B32": "32s"}


def _layout(cls) -> tuple[list, tuple[int, ...]] | None:
    """How to read a message of fixed-size fields and OPTION_U32s in a few struct calls, as
    _Reader reads it field by field: its parts (a struct, or None for an option) and which
    fields are U256; None for a message with other fields."""
    if any(kind not in _CODES and kind != "OPTION_U32" for _, kind in cls.FIELDS):
        return None
    parts, codes = [], ""
    for _, kind in cls.FIELDS:
        if kind == "OPTION_U32":
            parts += [struct.Struct("<" + codes)] * bool(codes) + [None]
            codes = ""
        else:
            codes += _CODES[kind]
    parts += [struct.Struct("<" + codes)] * bool(codes)
    return parts, tuple(k for k, (_, kind) in enumerate(cls.FIELDS) if kind == "U256")


_LAYOUTS = {cls: _layout(cls) for cls in MESSAGES.values()}
_U32 = _FIXED["U32"]


def decode(frame: Frame) -> Message:
    """The message a frame carries; `Unknown` for undeclared types, DecodeError if it is short."""
    cls = MESSAGES.get(frame.msg_type) if frame.extension == 0 else None
    if cls is None:
        return Unknown(frame.extension_type, frame.msg_type, frame.payload)
    layout = _LAYOUTS[cls]
    if layout is None:
        r = _Reader(frame.payload)
        return cls(*(r.read(kind) for _, kind in cls.FIELDS))
    parts, wide = layout
    data, pos, values = frame.payload, 0, []
    for part in parts:
        if part is None:  # OPTION_U32: a flag byte, then the value if it is 1
            present = data[pos] if pos < len(data) else -1
            if present < 0 or (present == 1 and pos + 5 > len(data)):
                raise DecodeError(_Reader.OVERRUN)
            if present > 1:
                raise DecodeError("OPTION holds more than one value")
            values.append(_U32.unpack_from(data, pos + 1)[0] if present else None)
            pos += 1 + 4 * present
            continue
        if pos + part.size > len(data):
            raise DecodeError(_Reader.OVERRUN)
        values += part.unpack_from(data, pos)
        pos += part.size
    for k in wide:
        values[k] = int.from_bytes(values[k], "little")
    return cls(*values)


def to_frame(msg: Message) -> Frame:
    if isinstance(msg, Unknown):
        return Frame(msg.extension_type, msg.msg_type, msg.payload)
    payload = b"".join(_write(kind, getattr(msg, name)) for name, kind in msg.FIELDS)
    return Frame(CHANNEL_BIT if msg.CHANNEL else 0, msg.MSG_TYPE, payload)


def encode(msg: Message) -> bytes:
    """The wire bytes of one message (frame header included)."""
    return encode_frame(to_frame(msg))


def parse(data: bytes) -> Message:
    """Exactly one framed message."""
    frame, used = parse_frame(data)
    if used != len(data):
        raise DecodeError(f"{len(data) - used} bytes after the SV2 frame")
    return decode(frame)


def message_name(msg: Message) -> str:
    """The spec's name: "SetupConnection.Success", "SubmitShares.Error", "SetTarget"."""
    if isinstance(msg, Unknown):
        return f"0x{msg.extension_type:04x}/0x{msg.msg_type:02x}"
    name = type(msg).__name__
    for suffix in ("Success", "Error"):
        if name.endswith(suffix) and name != suffix:
            return name[: -len(suffix)] + "." + suffix
    return name


# --- recognition ------------------------------------------------------------------------------

def looks_like_setup_connection(head: bytes) -> bool:
    """Whether a client stream starting with `head` (11 bytes suffice) opens with a plaintext
    SetupConnection: core extension, type 0, a plausible length, protocol 0-2 and sane versions
    (the spec: currently 2)."""
    if len(head) < HEADER_LEN + 5:
        return False
    ext, msg_type, length = parse_header(head)
    if ext & ~CHANNEL_BIT or msg_type != 0 or not 16 <= length <= _SETUP_MAX:
        return False
    protocol = head[HEADER_LEN]
    low, high = struct.unpack_from("<HH", head, HEADER_LEN + 1)
    return protocol in PROTOCOLS and 1 <= low <= high <= 255


MINING_TYPES = range(0x10, 0x27)  # the mining protocol's message types (spec 5.3)


def looks_like_mining_frames(data: bytes) -> bool:
    """Whether `data`, the first bytes seen of a connection in either direction, is one or
    more whole plaintext frames of the mining protocol and nothing else: a capture begun
    inside a session (no SetupConnection before it). Every frame must be of a mining type
    without extension, and every declared one must decode, with the channel bit the spec
    gives it."""
    pos, declared = 0, 0
    while pos < len(data):
        if len(data) - pos < HEADER_LEN:
            return False
        ext, msg_type, length = parse_header(data[pos:pos + HEADER_LEN])
        end = pos + HEADER_LEN + length
        if ext & ~CHANNEL_BIT or msg_type not in MINING_TYPES or end > len(data):
            return False
        cls = MESSAGES.get(msg_type)
        if cls is not None:
            if bool(ext & CHANNEL_BIT) != cls.CHANNEL:
                return False
            try:
                decode(Frame(ext, msg_type, bytes(data[pos + HEADER_LEN:end])))
            except DecodeError:
                return False
            declared += 1
        pos = end
    return declared > 0


def _printable_share(data: bytes) -> float:
    return sum(32 <= b < 127 or b in (9, 10, 13) for b in data) / max(len(data), 1)


def looks_like_key_material(data: bytes) -> bool:
    """Bytes that look uniformly random: mostly not text, and at least 3/4 of the distinct byte
    values n random bytes hold on average (64 bytes: ~57, sd ~2.6; 234 bytes: ~153, sd ~6),
    so a random key fails this about never while text and structured headers fail it."""
    expected = 256 * (1 - (255 / 256) ** len(data))
    return _printable_share(data) < 0.75 and len(set(data)) >= 0.75 * expected


def looks_like_sv2_noise(first_up: bytes, first_down: bytes) -> bool:
    """Whether a connection's first client flight and the server's first answer are an SV2
    Noise NX handshake: exactly 64 and 234 bytes, both random-looking (no printable text).

    False-positive risk: any protocol whose client opens with exactly 64 random bytes and whose
    server answers with exactly 234 random bytes (and nothing more before the client speaks
    again) matches. Known look-alikes: Bitcoin's BIP 324 v2 P2P transport also opens with a
    64-byte ElligatorSwift key, but appends 0-4095 bytes of random garbage to it on both sides,
    so both sizes match only by chance (about 1 in 4096**2); obfuscated proxies (Shadowsocks,
    obfs4) and custom malware C2 with random-length padding match at a rate of roughly
    P(len=64) x P(len=234) of their size distributions. Requiring both exact sizes keeps that
    around 1e-6 per connection for such protocols; report these sessions as "Noise NX
    handshake", never as a confirmed miner, and cross-check the server against pool intel."""
    return (len(first_up) == NOISE_INITIATOR_SIZE and len(first_down) == NOISE_RESPONDER_SIZE
            and looks_like_key_material(first_up) and looks_like_key_material(first_down))


def opens_braiins_noise(first_up: bytes) -> bool:
    """Whether a client's first flight is the first message of Braiins' Noise handshake: the
    length 32 (little-endian), then 32 random-looking bytes."""
    return (len(first_up) == BRAIINS_INITIATOR_SIZE and first_up[:2] == BRAIINS_INITIATOR
            and looks_like_key_material(first_up[2:]))


def looks_like_braiins_noise(first_up: bytes, first_down: bytes) -> bool:
    """Whether a connection's first client flight and the server's first answer are Braiins'
    length-prefixed Noise NX handshake (see BRAIINS_INITIATOR): the answer must be exactly
    its own 2-byte length field plus that many random-looking bytes, so a look-alike needs a
    34-byte opening with this prefix and a self-describing random answer of the right size."""
    if not opens_braiins_noise(first_up) or len(first_down) < 2:
        return False
    size = int.from_bytes(first_down[:2], "little")
    return (len(first_down) == 2 + size and size in BRAIINS_RESPONDER
            and looks_like_key_material(first_down[2:]))


def noise_flights_fit(up: int, down: int) -> bool:
    """Whether first flights of `up` and `down` bytes so far can still be a Noise handshake,
    the spec's or Braiins'."""
    if up == NOISE_INITIATOR_SIZE:
        return down <= NOISE_RESPONDER_SIZE
    return up == BRAIINS_INITIATOR_SIZE and down <= 2 + BRAIINS_RESPONDER.stop - 1
