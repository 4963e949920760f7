"""Turn dialogues into TCP/UDP packets as a probe at the network border would capture them.

A packet here is a `SimPacket`: enough to write the frame (encoders of decode/packet.py) and to
meter it into the exporter's flow records, from one source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from minewatch.decode.packet import ACK, FIN, PSH, SYN, encode_tcp, encode_udp
from minewatch.decode.pcap import PcapWriter

MSS = 1448
IP_TCP_HEADERS = 40  # IPv4 20 + TCP 20: encode_tcp writes no TCP options
IP_UDP_HEADERS = 28


@dataclass(frozen=True, slots=True)
class SimPacket:
    ts: float
    src: str
    dst: str
    sport: int
    dport: int
    proto: int
    flags: int
    seq: int
    ack: int
    payload: bytes

    @property
    def ip_len(self) -> int:
        return len(self.payload) + (IP_TCP_HEADERS if self.proto == 6 else IP_UDP_HEADERS)

    @property
    def mark(self) -> int:
        """Segment.mark of the frame decode.packet encodes: identification and checksum 0."""
        return 0


@dataclass(frozen=True, slots=True)
class Conn:
    client: str
    cport: int
    server: str
    sport: int


def tcp_session(c: Conn, msgs: list[tuple[float, bool, bytes]], rng: np.random.Generator,
                handshake: bool, close_at: float | None, rtt: float = 0.045,
                retransmit_p: float = 0.003) -> list[SimPacket]:
    """Packets of one TCP connection carrying `msgs` (ts, up, payload), sorted by time."""
    seq = {True: int(rng.integers(0, 2**32)), False: int(rng.integers(0, 2**32))}
    out: list[SimPacket] = []

    def pkt(ts: float, up: bool, flags: int, payload: bytes = b"") -> None:
        src, dst, sp, dp = (c.client, c.server, c.cport, c.sport) if up else \
            (c.server, c.client, c.sport, c.cport)
        out.append(SimPacket(ts, src, dst, sp, dp, 6, flags, seq[up] % 2**32,
                             seq[not up] % 2**32, payload))

    if handshake and msgs:
        t = msgs[0][0] - rtt - 0.002
        pkt(t, True, SYN)
        seq[True] += 1
        pkt(t + rtt / 2, False, SYN | ACK)
        seq[False] += 1
        pkt(t + rtt, True, ACK)
    for ts, up, payload in msgs:
        for i in range(0, len(payload), MSS):
            chunk = payload[i:i + MSS]
            pkt(ts, up, ACK | PSH, chunk)
            if rng.random() < retransmit_p:  # a lost-ACK retransmission: same bytes again
                out.append(_replace_ts(out[-1], ts + 0.2))
            seq[up] += len(chunk)
        pkt(ts + rtt / 2 if up else ts + 0.0002, not up, ACK)
    if close_at is not None:
        pkt(close_at, True, FIN | ACK)
        seq[True] += 1
        pkt(close_at + rtt / 2, False, FIN | ACK)
        seq[False] += 1
        pkt(close_at + rtt, True, ACK)
    out.sort(key=lambda p: p.ts)
    return out


def _replace_ts(p: SimPacket, ts: float) -> SimPacket:
    return SimPacket(ts, p.src, p.dst, p.sport, p.dport, p.proto, p.flags, p.seq, p.ack, p.payload)


def udp_exchange(c: Conn, ts: float, query: bytes, answer: bytes, rtt: float = 0.004) -> list[SimPacket]:
    """A UDP request and its answer (DNS)."""
    return [SimPacket(ts, c.client, c.server, c.cport, c.sport, 17, 0, 0, 0, query),
            SimPacket(ts + rtt, c.server, c.client, c.sport, c.cport, 17, 0, 0, 0, answer)]


def merge(streams: list[list[SimPacket]]) -> Iterator[SimPacket]:
    """All packets of all connections in time order."""
    import heapq

    return heapq.merge(*streams, key=lambda p: p.ts)


def frame(p: SimPacket) -> bytes:
    """The Ethernet frame of a simulated TCP or UDP packet."""
    if p.proto == 6:
        return encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
    return encode_udp(p.src, p.dst, p.sport, p.dport, p.payload)


def write_pcap(f, packets) -> None:
    """Packets, in time order, as a classic pcap to the binary file f."""
    w = PcapWriter(f)
    for p in sorted(packets, key=lambda p: p.ts):
        w.write(p.ts, frame(p))
