"""The Stratum V2 session tracker: plaintext share accounting, Noise handshakes, robustness."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch import schema
from minewatch.decode import stratum_v2 as sv2
from minewatch.detect.sv2 import Sv2Session, hps_from_target, may_open_sv2

BTC = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
T1 = 0xFFFF << 208 >> 10  # difficulty 1024
T2 = 0xFFFF << 208 >> 12  # difficulty 4096
UP, DOWN = "up", "down"
SETUP = sv2.SetupConnection(0, 2, 2, 0b001, "v2.pool.example", 34254, "Bitmain", "S19 Pro",
                            "braiins-os-2023-06", "")


def conversation():
    """(direction, message) of a standard channel: 4 accepted shares, 1 stale."""
    job = lambda jid, ntime=1_700_000_000: sv2.NewMiningJob(1, jid, ntime, 0x20000000, bytes(32))
    sub = lambda seq, jid: sv2.SubmitSharesStandard(1, seq, jid, seq * 7, 1_700_000_000, 0x20000000)
    return [(UP, SETUP), (DOWN, sv2.SetupConnectionSuccess(2, 0)),
            (UP, sv2.OpenStandardMiningChannel(1, f"{BTC}.rig7", 1.1e14, 2**256 - 1)),
            (DOWN, sv2.OpenStandardMiningChannelSuccess(1, 1, T1, b"\x01\x02", 0)),
            (DOWN, job(10)), (UP, sub(1, 10)), (UP, sub(2, 10)), (UP, sub(3, 10)),
            (DOWN, sv2.SubmitSharesSuccess(1, 3, 3, 3072)),
            (DOWN, sv2.SetTarget(1, T2)), (DOWN, job(11)),
            (UP, sub(4, 11)), (UP, sub(5, 10)),
            (DOWN, sv2.SubmitSharesError(1, 5, "stale-share")),
            (DOWN, sv2.SubmitSharesSuccess(1, 4, 1, 4096))]


def run(items, session=None, chunk=None):
    s = session or Sv2Session(server=("203.0.113.5", 34254))
    for direction, msg in items:
        wire = sv2.encode(msg) if not isinstance(msg, bytes) else msg
        step = chunk or len(wire)
        for i in range(0, len(wire), step):
            s.feed(direction, 1000.0 + i, wire[i:i + step])
    return s


def test_plaintext_session_shares_and_hashes():
    s = run(conversation())
    assert s.is_mining() and s.mode == "plain" and not s.encrypted
    out = s.summary()
    assert out["dialect"] == "stratum-v2" and out["tls"] is False and out["detection"] == "payload"
    assert (out["shares"], out["shares_accepted"], out["shares_rejected"]) == (5, 4, 1)
    assert out["hashes"] == 3 * 2**256 / T1 + 2**256 / T2
    assert out["wallet"] == BTC and out["worker"] == "rig7" and out["coin"] == "BTC"
    assert out["coin_confidence"] == 0.7  # a 1... address is Bitcoin Cash's too
    assert out["agent"] == "Bitmain S19 Pro braiins-os-2023-06" and out["pool_host"] == "v2.pool.example"
    assert out["algorithm"] == "sha256d" and out["reported_hashrate_hs"] == pytest.approx(1.1e14)  # F32
    assert s.counters["rejected_stale"] == 1 and s.counters["shares_unpriced"] == 0
    assert any("SetupConnection (mining protocol" in f for f in json.loads(out["evidence"]))
    assert set(out) == set(schema.column_names("sessions")) - {
        "session_id", "shares_unpriced", "window_s", "hashrate_hs", "hashrate_low_hs",
        "hashrate_high_hs", "hashrate_method", "bytes_up", "bytes_down", "packets_up",
        "packets_down", "confidence"}


def test_a_gap_stops_reading_the_direction_it_cut():
    """Plaintext SV2 frames cannot be found again after lost bytes: the direction a gap cut
    is read no further, so no frame is made of garbage; the other goes on."""
    items = conversation()
    s = run(items[:8])  # up to the third share
    s.gap("down")
    s = run(items[8:], s)
    out = s.summary()
    assert (out["shares"], out["shares_accepted"], s.counters["gaps"]) == (5, 0, 1)


def test_events_rows():
    events = run(conversation()).take_events()
    assert [e["method"] for e in events][:4] == ["SetupConnection", "SetupConnection.Success",
                                                "OpenStandardMiningChannel",
                                                "OpenStandardMiningChannel.Success"]
    assert all(set(e) == set(schema.column_names("stratum_events")) for e in events)
    assert all(e["dialect"] == "stratum-v2" for e in events)
    submit = next(e for e in events if e["method"] == "SubmitSharesStandard")
    assert submit["job_id"] == "10" and submit["difficulty"] == 2**256 / T1
    error = next(e for e in events if e["method"] == "SubmitShares.Error")
    assert error["accepted"] is False and error["msg_id"] == "5"


def test_target_difficulty_one():
    assert hps_from_target(0xFFFF << 208) == 2**48 / 65535  # K_BTC: hashes per difficulty-1 share
    assert hps_from_target(0) is None and hps_from_target(None) is None


def test_target_read_little_endian_off_the_wire():
    raw = sv2.encode_frame(sv2.Frame(0x8000, 0x21, (1).to_bytes(4, "little")
                                     + (2**224).to_bytes(32, "little")))
    s = run([(UP, SETUP), (DOWN, raw)])
    assert s.take_events()[-1]["difficulty"] == 2**32


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 23))
def test_any_chunking_gives_the_same_summary(chunk):
    whole = run(conversation()).summary()
    parts = run(conversation(), chunk=chunk).summary()
    assert {k: v for k, v in parts.items() if not k.startswith("ts_")} == \
        {k: v for k, v in whole.items() if not k.startswith("ts_")}


def test_active_job_keeps_its_price_future_job_takes_new_target():
    items = conversation()[:4] + [
        (DOWN, sv2.NewMiningJob(1, 20, 1_700_000_000, 1, bytes(32))),
        (DOWN, sv2.NewMiningJob(1, 21, None, 1, bytes(32))),
        (DOWN, sv2.SetTarget(1, T2)),
        (UP, sv2.SubmitSharesStandard(1, 1, 20, 0, 0, 0)),
        (UP, sv2.SubmitSharesStandard(1, 2, 21, 0, 0, 0)),
        (DOWN, sv2.SubmitSharesSuccess(1, 2, 2, 0))]
    assert run(items).summary()["hashes"] == 2**256 / T1 + 2**256 / T2


def test_capture_started_mid_session():
    """Acknowledged submits never seen: priced at the channel's target, else unpriced."""
    late = run([(DOWN, sv2.SetTarget(1, T1)), (DOWN, sv2.SubmitSharesSuccess(1, 9, 2, 0))],
               session=run([(UP, SETUP)]))
    assert late.summary()["hashes"] == 2 * 2**256 / T1 and late.summary()["shares_accepted"] == 2
    blind = run([(DOWN, sv2.SubmitSharesSuccess(7, 9, 3, 0))], session=run([(UP, SETUP)]))
    out = blind.summary()
    assert out["hashes"] is None and blind.counters["shares_unpriced"] == 3


def test_setup_for_template_distribution_is_no_miner():
    s = run([(UP, sv2.SetupConnection(2, 2, 2, 0, "127.0.0.1", 8442, "sv2-tp", "", "", ""))])
    assert s.mode == "plain" and not s.is_mining() and s.pool_host is None


# --- Noise NX ----------------------------------------------------------------------------------

def rand(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_encrypted_session_from_the_handshake():
    s = Sv2Session(server=("198.51.100.7", 3336))
    for direction, n, seed in ((UP, 64, 1), (DOWN, 234, 2), (UP, 121, 3), (DOWN, 90, 4)):
        s.feed(direction, 5.0 + seed, rand(n, seed))
    assert s.is_mining() and s.encrypted and not s.gave_up
    out = s.summary()
    assert out["dialect"] == "stratum-v2" and out["tls"] is True and out["hashes"] is None
    assert out["shares"] == 0 and out["detection"] == "payload"
    assert json.loads(out["evidence"]) == ["Noise NX handshake on port 3336"]
    assert s.counters["encrypted_bytes_down"] == 90 and s.take_events() == []


def test_handshake_split_and_closed_right_after():
    s = Sv2Session(server=("198.51.100.7", 3336))
    up, down = rand(64, 5), rand(234, 6)
    s.feed(UP, 1.0, up[:20])
    s.feed(UP, 1.0, up[20:])
    s.feed(DOWN, 1.1, down[:100])
    s.feed(DOWN, 1.1, down[100:])
    assert s.is_mining() and s.encrypted  # decided at close, on what was seen


def test_look_alikes_give_up():
    cases = [[(UP, rand(64, 1)), (DOWN, rand(235, 2))],  # one byte too many
             [(UP, rand(64, 1)), (DOWN, rand(234, 2)), (DOWN, rand(10, 3)), (UP, rand(5, 4))],
             [(DOWN, b"SSH-2.0-OpenSSH_8.9\r\n")],  # the server speaks first
             [(UP, rand(65, 1))],
             [(UP, b"A" * 64), (DOWN, rand(234, 2)), (UP, b"x")]]
    for items in cases:
        s = run(items)
        assert not s.is_mining() and s.gave_up, items
        assert s.summary()["dialect"] is None


def test_may_open_sv2():
    assert may_open_sv2(sv2.encode(SETUP)) and may_open_sv2(rand(64, 9))
    assert not may_open_sv2(rand(63, 9)) and not may_open_sv2(b"x" * 64)
    assert not may_open_sv2(b'{"id":1,"method":"mining.subscribe","params":[]}\n')


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([UP, DOWN]), st.binary(max_size=300)), max_size=12),
       st.booleans())
def test_random_bytes_never_raise(chunks, plain):
    s = Sv2Session()
    if plain:
        s.feed(UP, 0.0, sv2.encode(SETUP))
    for direction, data in chunks:
        s.feed(direction, 1.0, data)
    s.summary()
    assert s.counters["internal_errors"] == 0
