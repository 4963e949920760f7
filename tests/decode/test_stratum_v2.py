"""Stratum V2: framing, messages, recognition of plaintext and Noise-encrypted connections."""

import dataclasses
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import stratum_v2 as sv2
from minewatch.errors import DecodeError, NeedMoreData

KINDS = {
    "U8": st.integers(0, 2**8 - 1), "U16": st.integers(0, 2**16 - 1),
    "U32": st.integers(0, 2**32 - 1), "U64": st.integers(0, 2**64 - 1),
    "F32": st.floats(width=32, allow_nan=False), "U256": st.integers(0, 2**256 - 1),
    "STR0_255": st.text(max_size=60), "B0_32": st.binary(max_size=32),
    "B32": st.binary(min_size=32, max_size=32), "OPTION_U32": st.none() | st.integers(0, 2**32 - 1),
}
messages = st.one_of(*(st.builds(cls, *(KINDS[kind] for _, kind in cls.FIELDS))
                       for cls in sv2.MESSAGES.values()))
frames = st.builds(sv2.Frame, st.integers(0, 2**16 - 1), st.integers(0, 255), st.binary(max_size=300))

SETUP = sv2.SetupConnection(protocol=0, min_version=2, max_version=2, flags=0b101,
                            endpoint_host="pool.example.com", endpoint_port=34254, vendor="Bitmain",
                            hardware_version="S19 Pro", firmware="braiins-os-2023-06", device_id="")


def test_field_tables_match_the_dataclasses():
    for cls in sv2.MESSAGES.values():
        assert tuple(f.name for f in dataclasses.fields(cls)) == tuple(n for n, _ in cls.FIELDS)


def test_frame_header_is_little_endian_with_channel_bit():
    wire = sv2.encode(sv2.SetTarget(channel_id=7, maximum_target=0x01))
    assert wire[:6] == bytes.fromhex("0080" "21" "240000")  # ext 0x8000, type 0x21, length 36
    assert wire[6:10] == (7).to_bytes(4, "little")
    assert wire[10:] == b"\x01" + bytes(31)  # U256 little-endian: least significant byte first
    frame, used = sv2.parse_frame(wire)
    assert used == len(wire) and frame.channel_msg and frame.extension == 0


def test_setup_connection_bytes():
    wire = sv2.encode(SETUP)
    assert wire[:6] == bytes.fromhex("000000") + (len(wire) - 6).to_bytes(3, "little")
    assert wire[6:15] == bytes.fromhex("00" "0200" "0200" "05000000")
    assert wire[15:32] == b"\x10pool.example.com" and wire[32:34] == (34254).to_bytes(2, "little")
    assert sv2.parse(wire) == SETUP


def test_target_byte_order():
    target = (0xFFFF << 208)  # Bitcoin difficulty 1
    wire = sv2.encode(sv2.SetTarget(1, target))
    assert wire[-32:] == target.to_bytes(32, "little")
    assert sv2.parse(wire).maximum_target == target


def test_new_mining_job_future_and_active():
    future = sv2.NewMiningJob(1, 9, None, 0x20000000, bytes(range(32)))
    active = dataclasses.replace(future, min_ntime=1_700_000_000)
    assert len(sv2.encode(active)) == len(sv2.encode(future)) + 4
    assert sv2.parse(sv2.encode(future)) == future and sv2.parse(sv2.encode(active)) == active


@given(messages)
def test_message_round_trip(msg):
    assert sv2.parse(sv2.encode(msg)) == msg


@given(frames)
def test_frame_round_trip(frame):
    wire = sv2.encode_frame(frame)
    assert sv2.parse_frame(wire + b"tail") == (frame, len(wire))


@given(st.lists(messages, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_framer_any_chunking(msgs, rnd):
    wire = b"".join(sv2.encode(m) for m in msgs)
    framer, out, pos = sv2.Sv2Framer(), [], 0
    while pos < len(wire):
        step = rnd.randint(1, 40)
        out += framer.feed(wire[pos:pos + step])
        pos += step
    assert [sv2.decode(f) for f in out] == msgs


@settings(max_examples=500)
@given(st.sampled_from(sorted(sv2.MESSAGES)), st.binary(max_size=90)
       | st.lists(st.sampled_from([0, 1, 2, 255]), max_size=90).map(bytes))
def test_messages_read_in_a_few_structs_read_as_field_by_field(msg_type, payload):
    """decode reads fixed-size messages (and NewMiningJob's option) with whole structs; the
    field reader is the definition."""
    cls = sv2.MESSAGES[msg_type]

    def outcome(read):
        try:
            return repr(read())  # (repr: NaN hash rates compare equal)
        except DecodeError:
            return "DecodeError"

    def by_field():
        reader = sv2._Reader(payload)
        return cls(*(reader.read(kind) for _, kind in cls.FIELDS))

    assert outcome(lambda: sv2.decode(sv2.Frame(0, msg_type, payload))) == outcome(by_field)


def test_unknown_types_and_extensions():
    prevhash = sv2.Frame(0x8000, 0x20, bytes(40))
    assert sv2.decode(prevhash) == sv2.Unknown(0x8000, 0x20, bytes(40))
    ext = sv2.Frame(0x0001, 0x00, b"\x00")  # extension 1's message 0 is no SetupConnection
    assert isinstance(sv2.decode(ext), sv2.Unknown)
    assert sv2.message_name(sv2.decode(prevhash)) == "0x8000/0x20"
    assert sv2.encode(sv2.decode(prevhash)) == sv2.encode_frame(prevhash)


def test_message_names():
    assert sv2.message_name(SETUP) == "SetupConnection"
    assert sv2.message_name(sv2.SubmitSharesSuccess(1, 2, 3, 4)) == "SubmitShares.Success"
    assert sv2.message_name(sv2.OpenMiningChannelError(1, "x")) == "OpenMiningChannel.Error"


def test_trailing_tlv_fields_are_ignored():
    frame = sv2.to_frame(sv2.SetupConnectionSuccess(2, 0))
    tlv = bytes.fromhex("000201000a") + b"Worker_001"
    assert sv2.decode(dataclasses.replace(frame, payload=frame.payload + tlv)) == \
        sv2.SetupConnectionSuccess(2, 0)


def test_short_and_bad_payloads_raise_decode_error():
    wire = sv2.encode(SETUP)
    with pytest.raises(NeedMoreData):
        sv2.parse(wire[:-1])
    with pytest.raises(DecodeError):
        sv2.decode(sv2.Frame(0, 0, wire[6:-3]))
    with pytest.raises(DecodeError):
        sv2.decode(sv2.Frame(0x8000, 0x15, bytes(8) + b"\x02" + bytes(40)))  # OPTION of 2


def test_encoder_refuses_what_the_wire_cannot_hold():
    with pytest.raises(ValueError):
        sv2.encode(dataclasses.replace(SETUP, vendor="x" * 256))
    with pytest.raises(ValueError):
        sv2.encode(sv2.SubmitSharesExtended(1, 1, 1, 1, 1, 1, bytes(33)))


def test_oversized_frame_is_skipped(monkeypatch):
    monkeypatch.setattr(sv2, "MAX_PAYLOAD", 100)
    framer = sv2.Sv2Framer()
    big = sv2.encode_frame(sv2.Frame(0, 0x71, bytes(500)))
    ok = sv2.encode(sv2.SetTarget(1, 5))
    out = framer.feed(big[:50]) + framer.feed(big[50:] + ok)
    assert framer.skipped == 1 and [sv2.decode(f) for f in out] == [sv2.SetTarget(1, 5)]
    with pytest.raises(DecodeError):
        sv2.parse_frame(big)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_decode_error(data):
    for call in (sv2.parse, lambda d: sv2.decode(sv2.Frame(0, d[0] if d else 0, d[1:])),
                 lambda d: sv2.decode(sv2.Frame(0x8000, 0x15 + (d[:1] == b"a") * 6, d))):
        try:
            call(data)
        except DecodeError:
            pass
    sv2.Sv2Framer().feed(data)
    sv2.looks_like_setup_connection(data)
    sv2.looks_like_sv2_noise(data[:64], data[64:])
    sv2.looks_like_braiins_noise(data[:34], data[34:])


# --- recognition --------------------------------------------------------------------------------

def test_setup_connection_is_recognised_from_its_first_bytes():
    wire = sv2.encode(SETUP)
    assert sv2.looks_like_setup_connection(wire) and sv2.looks_like_setup_connection(wire[:11])
    bare = sv2.SetupConnection(0, 2, 2, 0, "", 0, "", "", "", "")  # the shortest: 16 bytes
    assert len(sv2.encode(bare)) == 6 + 16 and sv2.looks_like_setup_connection(sv2.encode(bare))
    for other in (b'{"id":1,"method":"mining.subscribe","params":[]}\n', b"GET / HTTP/1.1\r\n\r\n",
                  bytes.fromhex("160301010c010001080303") + bytes(20), wire[:10],
                  sv2.encode(sv2.SetTarget(1, 1)), sv2.encode(dataclasses.replace(SETUP, protocol=7)),
                  sv2.encode(dataclasses.replace(SETUP, min_version=3, max_version=2))):
        assert not sv2.looks_like_setup_connection(other)


def _random(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_noise_handshake_sizes_are_exact():
    assert (sv2.NOISE_INITIATOR_SIZE, sv2.NOISE_RESPONDER_SIZE) == (64, 234)
    for seed in range(50):
        assert sv2.looks_like_sv2_noise(_random(64, seed), _random(234, seed + 1000))
    up, down = _random(64, 1), _random(234, 2)
    assert not sv2.looks_like_sv2_noise(up[:63], down)
    assert not sv2.looks_like_sv2_noise(up + b"x", down)
    assert not sv2.looks_like_sv2_noise(up, down + b"x")
    assert not sv2.looks_like_sv2_noise(up, down[:170])  # the spec table's pre-EllSwift size


def test_noise_refuses_text_and_structure():
    text = json.dumps({"id": 1, "method": "login", "params": {"login": "x" * 40}}).encode()
    assert not sv2.looks_like_sv2_noise(text[:64].ljust(64, b" "), _random(234, 3))
    assert not sv2.looks_like_sv2_noise(_random(64, 4), (b"HTTP/1.1 200 OK\r\n" * 20)[:234])
    assert not sv2.looks_like_sv2_noise(bytes(64), _random(234, 5))
    assert not sv2.looks_like_sv2_noise(_random(32, 6) * 2, _random(234, 7))  # few distinct bytes


def braiins_answer(size: int, seed: int) -> bytes:
    return size.to_bytes(2, "little") + _random(size, seed)


def test_braiins_length_prefixed_handshake():
    """Braiins' earlier SV2 (their reference client's wrap(): a 2-byte little-endian length
    before each Noise message): 20 00 + a 32-byte X25519 key, answered by 174 bytes (a length
    of 172: e 32, s 32 + 16, a SignatureNoiseMessage 76 + 16)."""
    for seed in range(50):
        up = b"\x20\x00" + _random(32, seed)
        assert sv2.opens_braiins_noise(up)
        assert sv2.looks_like_braiins_noise(up, braiins_answer(172, seed + 1000))
    up, down = b"\x20\x00" + _random(32, 1), braiins_answer(172, 2)
    assert not sv2.looks_like_braiins_noise(b"\x21\x00" + up[2:], down)  # another length
    assert not sv2.looks_like_braiins_noise(up[:33], down)
    assert not sv2.looks_like_braiins_noise(up, down + b"x")  # longer than it says
    assert not sv2.looks_like_braiins_noise(up, down[:-1])
    assert not sv2.looks_like_braiins_noise(up, braiins_answer(40, 3))  # too short for keys
    assert not sv2.looks_like_braiins_noise(up, (172).to_bytes(2, "little") + b"A" * 172)
    assert not sv2.looks_like_braiins_noise(b"\x20\x00" + bytes(32), down)  # not a key
    assert not sv2.looks_like_sv2_noise(up, down) and not sv2.looks_like_braiins_noise(
        _random(64, 4), _random(234, 5))  # (the two handshakes do not mix)
    assert sv2.noise_flights_fit(34, 174) and sv2.noise_flights_fit(64, 234)
    assert not sv2.noise_flights_fit(64, 235) and not sv2.noise_flights_fit(35, 0)


def test_mining_frames_from_inside_a_session():
    """A capture begun inside a plaintext session shows mining frames first, from either side:
    whole frames of mining types, the channel bit as the spec sets it, declared ones decoding."""
    submit = sv2.encode(sv2.SubmitSharesStandard(5, 7, 1, 9, 1_600_000_000, 0x20000000))
    job = sv2.encode(sv2.NewMiningJob(5, 1, 1_600_000_000, 0x20000000, bytes(32)))
    target = sv2.encode(sv2.SetTarget(5, 2**240))
    for first in (submit, job + target, sv2.encode(sv2.SubmitSharesSuccess(5, 7, 1, 65536))):
        assert sv2.looks_like_mining_frames(first)
    assert not sv2.looks_like_mining_frames(sv2.encode(SETUP))  # (that one has its own rule)
    assert not sv2.looks_like_mining_frames(submit[:-1]) and not sv2.looks_like_mining_frames(
        submit + b"\0")  # cut, or trailing bytes
    assert not sv2.looks_like_mining_frames(b"\x00\x00" + submit[2:])  # no channel bit
    assert not sv2.looks_like_mining_frames(b"\x01\x80" + submit[2:])  # an extension
    short = submit[:3] + (4).to_bytes(3, "little") + submit[6:10]
    assert not sv2.looks_like_mining_frames(short)  # a submit of 4 bytes does not decode
    assert not sv2.looks_like_mining_frames(b"") and not sv2.looks_like_mining_frames(
        b"\x00\x80\x40" + (0).to_bytes(3, "little"))  # no declared message, or no mining type
