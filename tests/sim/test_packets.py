"""The simulator's byte counts are the bytes of the frames it writes (one source of truth)."""

import numpy as np

from minewatch.decode.packet import decode_frame, encode_tcp, encode_udp
from minewatch.sim.packets import Conn, tcp_session, udp_exchange


def test_ip_length_matches_the_written_frame():
    rng = np.random.default_rng(5)
    msgs = [(1.0, True, b"x" * 3000), (1.1, False, b"y" * 10)]
    pkts = tcp_session(Conn("1.1.1.1", 40000, "2.2.2.2", 3333), msgs, rng, True, close_at=2.0)
    pkts += udp_exchange(Conn("1.1.1.1", 5353, "3.3.3.3", 53), 1.0, b"q" * 30, b"a" * 60)
    for p in pkts:
        frame = (encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
                 if p.proto == 6 else encode_udp(p.src, p.dst, p.sport, p.dport, p.payload))
        seg = decode_frame(1, frame, p.ts)
        assert seg.ip_len == p.ip_len
        assert seg.payload == p.payload


def test_payload_is_cut_at_mss_and_sequence_numbers_advance():
    rng = np.random.default_rng(1)
    pkts = tcp_session(Conn("1.1.1.1", 40000, "2.2.2.2", 3333), [(1.0, True, b"z" * 4000)], rng,
                       True, close_at=None, retransmit_p=0.0)
    data = [p for p in pkts if p.payload]
    assert [len(p.payload) for p in data] == [1448, 1448, 1104]
    assert [(b.seq - a.seq) % 2**32 for a, b in zip(data, data[1:])] == [1448, 1448]
