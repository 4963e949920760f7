"""TCP conversations made into captures, cut, reordered and damaged at will: the compiled
readers' tests (test_handoff, test_pagefetch) build their captures with them (a uniquely named
module: `conftest` names clash)."""

from __future__ import annotations

import io

from minewatch.decode.packet import ACK, FIN, PSH, RST, SYN, encode_tcp
from minewatch.decode.pcap import PcapWriter

CLIENT, SERVER = ("10.1.0.5", 40001), ("192.0.2.80", 3333)


def assert_same(a: dict, b: dict) -> None:
    """The same tables, row for row (the order of rows is not part of it)."""
    assert a.keys() == b.keys()
    for name in a:
        rows = lambda t: sorted(map(repr, t.to_pylist()))  # noqa: E731
        assert rows(a[name]) == rows(b[name]), name


# --- packets ------------------------------------------------------------------------------------

FIRST = 16  # bytes at least in the first segment each way


def segments(msgs, rng, rough: bool, merge: bool = True
             ) -> list[tuple[float, bool, int, int, bytes]]:
    """(ts, up, flags, seq offset, payload) per segment: each direction's bytes cut at random
    points (within each message unless `merge`), with retransmissions, overlaps, swaps and
    losses when `rough`."""
    out = []
    for up in (True, False):
        stream, times, ends = b"", [], []
        for ts, u, data in msgs:
            if u == up:
                times += [ts] * len(data)
                stream += data
                ends.append(len(stream))
        pos, ends = 0, ends if not merge else [len(stream)]
        for end in ends:
            while pos < end:
                size = int(rng.choice([1, 7, 60, 150, 300, 300, 1400, 3000]))
                size = max(size, FIRST) if pos == 0 else size  # (classifiers read one packet)
                out.append((times[min(pos + size, end) - 1], up, ACK | PSH, pos,
                            stream[pos:min(pos + size, end)]))
                pos = min(pos + size, end)
    out.sort(key=lambda s: (s[0], s[3]))
    if rough:
        for _ in range(int(rng.integers(1, 6))):
            if not out:
                break
            k = int(rng.integers(len(out)))
            ts, up, flags, off, data = out[k]
            what = rng.random()
            if what < 0.3:  # an exact retransmission, later
                out.insert(k + 1, (ts + 0.2, up, flags, off, data))
            elif what < 0.5 and len(data) > 2:  # an overlapping one
                out.insert(k + 1, (ts + 0.2, up, flags, off + 1, data[1:] + b"x"))
            elif what < 0.7 and k + 1 < len(out):  # two segments swapped
                out[k], out[k + 1] = out[k + 1], out[k]
            elif what < 0.85:  # lost
                del out[k]
            else:  # a pause longer than the reassembler's idle timeout
                out[k:] = [(s[0] + 400.0,) + s[1:] for s in out[k:]]
    return out


def connection(msgs, rough: bool, rng, close: str, merge: bool = True
               ) -> list[tuple[float, bool, int, int, bytes]]:
    """(ts, up, flags, seq, payload) of one connection: handshake, segments, then a FIN each
    way, an RST, or nothing (still open at the end of the capture)."""
    isn = {True: int(rng.integers(1 << 32)), False: int(rng.integers(1 << 32))}
    t0 = msgs[0][0] - 0.1
    out = [(t0, True, SYN, isn[True], b""), (t0 + 0.01, False, SYN | ACK, isn[False], b"")]
    isn = {k: v + 1 for k, v in isn.items()}
    ends = {True: isn[True], False: isn[False]}
    for ts, up, flags, off, data in segments(msgs, rng, rough, merge):
        out.append((ts, up, flags, (isn[up] + off) % (1 << 32), data))
        ends[up] = max(ends[up], isn[up] + off + len(data))
    end = max(f[0] for f in out) + 1
    if close == "fin":
        out += [(end, True, FIN, ends[True] % (1 << 32), b""),
                (end + 0.01, False, FIN, ends[False] % (1 << 32), b"")]
    elif close == "rst":
        out.append((end, False, RST, ends[False] % (1 << 32), b""))
    return out


def capture_bytes(convs: list, rng, close: str, merge: bool = True,
                  server: tuple[str, int] = SERVER) -> bytes:
    """One pcap of the conversations ((messages, rough) each), each on its own client port;
    `merge` lets a segment hold the end of one message and the start of the next (a poller
    over HTTP waits for each answer, so its requests never share a segment)."""
    rows = []
    for n, (msgs, rough) in enumerate(convs):
        client = (CLIENT[0], CLIENT[1] + n)
        rows += [(f[0], n, client, f) for f in connection(msgs, rough, rng, close, merge)]
    rows.sort(key=lambda r: r[:2])
    out = io.BytesIO()
    writer = PcapWriter(out)
    for ts, _, client, (_, up, flags, seq, data) in rows:
        src, dst = (client, server) if up else (server, client)
        flags = flags if flags == SYN else flags | ACK  # the client's SYN names the client
        writer.write(ts, encode_tcp(src[0], dst[0], src[1], dst[1], seq, 0, flags, data))
    return out.getvalue()
