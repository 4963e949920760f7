"""PacketIngest tracks Stratum V2: plaintext sessions with shares, Noise-encrypted ones by shape."""

import io
import json
import random

import numpy as np

from minewatch.decode import stratum_v2 as sv2
from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import PcapWriter, RawPacket
from minewatch.ingest.capture import read_capture
from minewatch.ingest.packets import PacketIngest
from minewatch.sim.packets import Conn, tcp_session

T0 = 1_620_806_400.0
TARGET = 0xFFFF << 208 >> 16  # difficulty 65536
MINER, POOL = "10.30.0.4", "198.51.100.20"


def ingest(packets) -> dict:
    state = PacketIngest("input-2", exporter="test")
    for p in sorted(packets, key=lambda p: p.ts):
        frame = encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
        state.add(RawPacket(p.ts, 1, frame, len(frame)))
    return state.finish()


def compiled(packets) -> dict:
    """The tables of the compiled capture path (read_capture) for the same packets."""
    out = io.BytesIO()
    writer = PcapWriter(out)
    for p in sorted(packets, key=lambda p: p.ts):
        writer.write(p.ts, encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags,
                                      p.payload))
    return read_capture(io.BytesIO(out.getvalue()), "input-2", "test")[0]


def session(msgs, port=34254, cport=41000, seed=1):
    return tcp_session(Conn(MINER, cport, POOL, port), msgs, np.random.default_rng(seed), True,
                       close_at=msgs[-1][0] + 1)


def plaintext(n_shares: int):
    m = [(T0, True, sv2.SetupConnection(0, 2, 2, 1, "pool.example", 34254, "Bitmain", "S19",
                                        "fw", "")),
         (T0 + 0.05, False, sv2.SetupConnectionSuccess(2, 0)),
         (T0 + 0.1, True, sv2.OpenStandardMiningChannel(1, "acct.s19", 1e14, 2**256 - 1)),
         (T0 + 0.15, False, sv2.OpenStandardMiningChannelSuccess(1, 5, TARGET, b"", 0)),
         (T0 + 0.2, False, sv2.NewMiningJob(5, 1, int(T0), 0x20000000, bytes(32)))]
    for k in range(1, n_shares + 1):
        m += [(T0 + k, True, sv2.SubmitSharesStandard(5, k, 1, k, int(T0), 0x20000000)),
              (T0 + k + 0.05, False, sv2.SubmitSharesSuccess(5, k, 1, 65536))]
    return [(ts, up, sv2.encode(msg)) for ts, up, msg in m]


def test_plaintext_sv2_session():
    tables = ingest(session(plaintext(6)))
    (row,) = tables["payload_sessions"].to_pylist()
    assert row["dialect"] == "stratum-v2" and row["tls"] is False
    assert (row["shares"], row["shares_accepted"]) == (6, 6)
    assert row["hashes"] == 6 * 2**256 / TARGET and row["wallet"] == "acct" and row["worker"] == "s19"
    assert (row["client_ip"], row["server_ip"], row["server_port"]) == (MINER, POOL, 34254)
    events = tables["stratum_events"].to_pylist()
    assert len(events) == 5 + 12 and {e["dialect"] for e in events} == {"stratum-v2"}
    assert {e["client_ip"] for e in events} == {MINER}


def test_encrypted_sv2_session():
    rnd = random.Random(3)
    msgs = [(T0, True, rnd.randbytes(64)), (T0 + 0.05, False, rnd.randbytes(234))]
    msgs += [(T0 + 1 + k, k % 2 == 0, rnd.randbytes(rnd.randint(60, 300))) for k in range(20)]
    (row,) = ingest(session(msgs, port=3336))["payload_sessions"].to_pylist()
    assert row["dialect"] == "stratum-v2" and row["tls"] is True and row["hashes"] is None
    assert json.loads(row["evidence"]) == ["Noise NX handshake on port 3336"]


def braiins(seed: int, answer: int = 172):
    """Braiins' earlier encrypted SV2: each Noise message behind a 2-byte little-endian
    length; the 32-byte key, the 172-byte answer, then length-prefixed ciphertexts."""
    rnd = random.Random(seed)

    def wrap(n: int) -> bytes:
        return n.to_bytes(2, "little") + rnd.randbytes(n)

    msgs = [(T0, True, wrap(32)), (T0 + 0.05, False, wrap(answer))]
    return msgs + [(T0 + 1 + k, k % 2 == 0, wrap(rnd.randint(60, 300))) for k in range(20)]


def test_braiins_encrypted_sv2_session_on_both_paths():
    pk = session(braiins(5), port=3336)
    (row,) = ingest(pk)["payload_sessions"].to_pylist()
    assert row["dialect"] == "stratum-v2" and row["tls"] is True and row["hashes"] is None
    assert json.loads(row["evidence"]) == [
        "Noise NX handshake on port 3336 (X25519 keys behind 2-byte lengths, as Braiins Pool's "
        "first Stratum V2)"]
    tables = compiled(pk)
    assert [r["dialect"] for r in tables["payload_sessions"].to_pylist()] == ["stratum-v2"]


def test_a_plaintext_session_seen_from_inside_on_both_paths():
    """No handshake, no SetupConnection, no channel opening: the capture begins at a job."""
    msgs = plaintext(6)[4:]  # NewMiningJob, then six submits and their acknowledgements
    pk = tcp_session(Conn(MINER, 41000, POOL, 34254), msgs, np.random.default_rng(1), False,
                     close_at=None)
    (row,) = ingest(pk)["payload_sessions"].to_pylist()
    assert (row["dialect"], row["tls"], row["shares"], row["shares_accepted"]) == (
        "stratum-v2", False, 6, 6)
    assert "a capture begun inside the session" in row["evidence"]
    tables = compiled(pk)
    (fast,) = tables["payload_sessions"].to_pylist()
    assert (fast["dialect"], fast["shares"], fast["evidence"]) == (
        "stratum-v2", 6, row["evidence"])


def test_binary_look_alikes_are_no_sessions():
    rnd = random.Random(4)
    other = [(T0, True, rnd.randbytes(64)), (T0 + 0.05, False, rnd.randbytes(600)),
             (T0 + 0.1, True, rnd.randbytes(64))]
    text = [(T0, True, b"EHLO mail.example.org\r\n".ljust(64, b" ")),
            (T0 + 0.05, False, rnd.randbytes(234)), (T0 + 0.1, True, b"QUIT\r\n")]
    prefixed = braiins(6)
    prefixed[1] = (T0 + 0.05, False, rnd.randbytes(174))  # no length in front of the answer
    tables = ingest(session(other) + session(text, port=25, cport=41001, seed=2)
                    + session(prefixed, port=3336, cport=41002, seed=3))
    assert tables["payload_sessions"].num_rows == 0
