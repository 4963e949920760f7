"""Counting once: a connection split across rotated captures is one session with all its bytes
and shares; the same flows from two exporters count once."""

from __future__ import annotations

import json

import pytest

from minewatch.cli.progress import NullProgress
from minewatch.decode.packet import ACK, PSH, encode_tcp
from minewatch.decode.pcap import PcapWriter
from minewatch.engine.local import analyze
from minewatch.store.duck import Store

MINER, POOL = "10.9.8.7", "203.0.113.5"


def _messages() -> list[tuple[float, bool, bytes]]:
    def line(obj) -> bytes:
        return json.dumps(obj).encode() + b"\n"
    t0 = 1.6e9
    msgs = [(t0, True, line({"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.11.1"]})),
            (t0 + 0.1, False, line({"id": 1, "result": [[], "abcd", 4], "error": None})),
            (t0 + 0.2, True, line({"id": 2, "method": "mining.authorize",
                                   "params": ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT.w1", "x"]})),
            (t0 + 0.3, False, line({"id": 2, "result": True, "error": None})),
            (t0 + 0.4, False, line({"id": None, "method": "mining.set_difficulty", "params": [1024]})),
            (t0 + 0.5, False, line({"id": None, "method": "mining.notify",
                                    "params": ["j1", "00" * 32, "aa", "bb", [], "20000000",
                                               "1d00ffff", "5f5e1000", True]}))]
    for i in range(20):
        t = t0 + 10 + 30 * i
        msgs.append((t, True, line({"id": 100 + i, "method": "mining.submit",
                                    "params": ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT.w1", "j1",
                                               "00000001", "5f5e1000", f"{i:08x}"]})))
        msgs.append((t + 0.05, False, line({"id": 100 + i, "result": True, "error": None})))
    return msgs


def _write(path, msgs) -> int:
    seq = {True: 1000, False: 5000}
    total = 0
    with path.open("wb") as f:
        w = PcapWriter(f)
        for ts, up, payload in msgs:
            src, dst, sp, dp = (MINER, POOL, 45000, 3333) if up else (POOL, MINER, 3333, 45000)
            frame = encode_tcp(src, dst, sp, dp, seq[up], seq[not up], ACK | PSH, payload)
            seq[up] += len(payload)
            w.write(ts, frame)
            total += len(frame) - 14 if up else 0
    return total


def test_connection_across_rotated_captures_is_one_session(tmp_path):
    msgs = _messages()
    up_a = _write(tmp_path / "a.pcap", msgs[:20])
    up_b = _write(tmp_path / "b.pcap", msgs[20:])
    whole = tmp_path / "whole"
    whole.mkdir()
    up_all = _write(whole / "all.pcap", msgs)
    assert up_all == up_a + up_b
    analyze([str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")], tmp_path / "r.duckdb", None,
            NullProgress())
    analyze([str(whole / "all.pcap")], tmp_path / "w.duckdb", None, NullProgress())
    with Store(tmp_path / "r.duckdb", read_only=True) as rot, Store(tmp_path / "w.duckdb", read_only=True) as one:
        a = rot.rows("SELECT shares_accepted, shares_unpriced, bytes_up, hashrate_hs FROM sessions")
        b = one.rows("SELECT shares_accepted, shares_unpriced, bytes_up, hashrate_hs FROM sessions")
    assert len(a) == len(b) == 1
    a, b = a[0], b[0]
    assert a["shares_accepted"] == b["shares_accepted"] == 20
    assert a["bytes_up"] == b["bytes_up"] == up_all
    # The second file cannot see the difficulty sent in the first: its shares are unpriced and
    # count at the mean price of the priced ones, which here is the same difficulty.
    assert a["shares_unpriced"] > 0 and b["shares_unpriced"] == 0
    assert a["hashrate_hs"] == pytest.approx(b["hashrate_hs"], rel=0.01)


def test_pieces_of_one_session_keep_their_coins_surest_confidence():
    """A coin one piece took for the first of several may be another piece's for sure (its
    wallet seen there): the merged session keeps the surer; a piece of another coin changes
    nothing."""
    from minewatch.engine.derive import merge_pieces

    base = {"client_ip": MINER, "client_port": 45000, "server_ip": POOL, "server_port": 3333,
            "window_s": 10.0, "evidence": "[]"}
    pieces = [dict(base, ts_start=t, ts_end=t + 10, coin=coin, coin_confidence=c)
              for t, coin, c in ((0.0, "", None), (20.0, "XMR", 0.5), (40.0, "XMR", 0.95),
                                 (60.0, "BTC", 0.99))]
    (merged,) = merge_pieces(pieces)
    assert (merged["coin"], merged["coin_confidence"]) == ("XMR", 0.95)
    (merged,) = merge_pieces(pieces[1:2] + pieces[3:])
    assert (merged["coin"], merged["coin_confidence"]) == ("XMR", 0.5)
