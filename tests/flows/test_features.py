"""Conversation features: hand-computed vectors, the client/server rule, NaN where flow exports
lack the packet sums, and independence from where the meter cut the connection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from minewatch.decode.packet import ACK, PSH, SYN, Segment
from minewatch.flows.features import COUNTS, FEATURES, KEY, conversations, input_schema_hash, matrix
from minewatch.flows.meter import FlowMeter, MeterConfig
from minewatch.schema import to_table

MINER, POOL = ("10.0.0.1", 40000), ("1.2.3.4", 3333)


def rec(src, dst, t0, t1, packets, nbytes, flags=ACK | PSH, proto=6, **sums) -> dict:
    return {"ts_start": t0, "ts_end": t1, "src_ip": src[0], "src_port": src[1], "dst_ip": dst[0],
            "dst_port": dst[1], "proto": proto, "packets": packets, "bytes": nbytes,
            "tcp_flags": flags, "sampling_rate": 1, "source": "pcap", **sums}


# Up: packets of 100 B at t = 100, 104, 110 (gaps 4, 6), two with PSH.
UP = rec(MINER, POOL, 100.0, 110.0, 3, 300, psh_packets=2, bytes_sq=30000, gap_sq=52.0, gap_max=6.0)
# Down: 400 B at 101 and 600 B at 121 (one gap of 20), one with PSH.
DOWN = rec(POOL, MINER, 101.0, 121.0, 2, 1000, psh_packets=1, bytes_sq=520000, gap_sq=400.0, gap_max=20.0)


def only(rows) -> dict:
    table = conversations(to_table("flows", rows))
    assert table.num_rows == 1
    return table.to_pylist()[0]


def test_two_records_give_the_hand_computed_features():
    c = only([UP, DOWN])
    assert (c["client_ip"], c["client_port"], c["server_ip"], c["server_port"]) == (*MINER, *POOL)
    want = {"duration_s": 21.0, "packets_per_min_up": 60 * 3 / 21, "packets_per_min_down": 60 * 2 / 21,
            "bytes_per_s_up": 300 / 21, "bytes_per_s_down": 1000 / 21, "size_mean_up": 100.0,
            "size_mean_down": 500.0, "size_std_up": 0.0, "size_std_down": 100.0,
            "gap_mean_up": 5.0, "gap_mean_down": 20.0, "gap_cv_up": 0.2, "gap_cv_down": 0.0,
            "gap_max_up": 6.0, "gap_max_down": 20.0, "psh_share_up": 2 / 3, "psh_share_down": 0.5,
            "up_byte_share": 300 / 1300, "up_packet_share": 0.6, "udp": 0.0}
    assert set(want) == set(FEATURES)
    for name, value in want.items():
        assert c[name] == pytest.approx(value, abs=1e-9), name
    assert c["records"] == 2 and c["ts_start"] == 100.0 and c["ts_end"] == 121.0
    assert [c[k] for k in COUNTS] == [3, 2, 300, 1000]


def test_columns_are_key_times_records_then_features_in_order():
    table = conversations(to_table("flows", [UP, DOWN]))
    assert table.column_names == [*KEY, "ts_start", "ts_end", "records", *COUNTS, *FEATURES]
    assert matrix(table).shape == (1, len(FEATURES))


def test_gaps_between_records_join_the_direction():
    # The up direction cut in two: 100-110 as above, then 130 and 140 (gap 20 between records).
    later = rec(MINER, POOL, 130.0, 140.0, 2, 200, psh_packets=0, bytes_sq=20000, gap_sq=100.0,
                gap_max=10.0)
    c = only([UP, later, DOWN])
    assert c["gap_mean_up"] == pytest.approx(40 / 4)  # gaps 4, 6, 20, 10
    assert c["gap_cv_up"] == pytest.approx(math.sqrt((16 + 36 + 400 + 100) / 4 - 100) / 10)
    assert c["gap_max_up"] == 20.0
    assert c["records"] == 3 and c["duration_s"] == 40.0


def test_flow_exports_leave_packet_statistics_nan():
    bare = [{k: v for k, v in r.items() if k not in ("psh_packets", "bytes_sq", "gap_sq", "gap_max")}
            for r in (UP, DOWN)]
    c = only(bare)
    for name in ("size_std_up", "size_std_down", "gap_cv_up", "gap_cv_down", "gap_max_up",
                 "gap_max_down", "psh_share_up", "psh_share_down"):
        assert math.isnan(c[name]), name
    assert c["size_mean_down"] == 500.0 and c["gap_mean_up"] == 5.0 and c["bytes_up"] == 300


def test_one_record_without_sums_makes_its_direction_nan():
    bare_later = rec(MINER, POOL, 130.0, 140.0, 2, 200)
    c = only([UP, bare_later, DOWN])
    assert math.isnan(c["size_std_up"]) and math.isnan(c["gap_cv_up"])
    assert c["size_std_down"] == pytest.approx(100.0)


def test_udp_has_no_psh_share():
    c = only([rec(MINER, POOL, 0.0, 1.0, 1, 60, flags=0, proto=17, psh_packets=0, bytes_sq=3600,
                  gap_sq=0.0, gap_max=0.0)])
    assert c["udp"] == 1.0 and math.isnan(c["psh_share_up"]) and c["packets_down"] == 0


def key_of(c: dict) -> tuple:
    return (c["client_ip"], c["client_port"], c["server_ip"], c["server_port"])


def test_the_first_syn_names_the_client_whatever_the_ports():
    a, b = ("10.0.0.1", 80), ("1.2.3.4", 45700)
    c = only([rec(a, b, 0.0, 9.0, 5, 500, flags=SYN | ACK | PSH),
              rec(b, a, 0.02, 9.0, 5, 500, flags=SYN | ACK | PSH)])
    assert key_of(c) == (*a, *b)


def test_an_end_with_more_peers_is_the_server():
    pool = ("9.9.9.9", 45700)
    rows = [rec(("10.0.0.1", 33000), pool, 0.0, 5.0, 2, 100), rec(pool, ("10.0.0.1", 33000), 0.0, 5.0, 2, 100),
            rec(pool, ("10.0.0.2", 34000), 0.0, 5.0, 2, 100)]
    table = conversations(to_table("flows", rows))
    assert {key_of(c)[2:] for c in table.to_pylist()} == {pool}


def test_otherwise_the_lower_port_is_the_server():
    c = only([rec(("1.2.3.4", 3333), ("10.0.0.1", 40000), 0.0, 5.0, 2, 100)])
    assert key_of(c) == (*MINER, *POOL)
    assert c["packets_up"] == 0 and c["packets_down"] == 2 and c["packets_per_min_down"] == 60 * 2 / 5


def segments(rng: np.random.Generator, n: int) -> list[Segment]:
    """A pool-like TCP connection: periodic jobs down, shares up, acks."""
    ts = np.sort(rng.uniform(0, 3000, n))
    up = rng.random(n) < 0.5
    size = rng.integers(40, 900, n)
    flags = np.where(rng.random(n) < 0.6, ACK | PSH, ACK)
    return [Segment(float(t), *(MINER[0], POOL[0]) if u else (POOL[0], MINER[0]), 6,
                    *(MINER[1], POOL[1]) if u else (POOL[1], MINER[1]), int(f), 0, 0, b"", int(s))
            for t, u, s, f in zip(ts, up, size, flags)]


def metered(segs, **config):
    meter = FlowMeter(MeterConfig(**config))
    for s in segs:
        meter.add(s)
    return to_table("flows", meter.flush())


def test_features_do_not_depend_on_where_the_meter_cut():
    segs = segments(np.random.default_rng(3), 400)
    whole = only(metered(segs, idle_timeout=1e9, active_timeout=1e9).to_pylist())
    cut = only(metered(segs, idle_timeout=20.0, active_timeout=120.0).to_pylist())
    assert cut["records"] > 10 and whole["records"] == 2
    for name in FEATURES:
        assert cut[name] == pytest.approx(whole[name], rel=1e-9), name


def test_schema_hash_is_stable_text():
    assert len(input_schema_hash()) == 16 and input_schema_hash() == input_schema_hash()


def test_conversations_in_batches_are_the_whole_table_in_pieces():
    """iter_conversations_in (what analyze scores, a batch at a time) gives the rows of
    conversations_in, in order, in tables of at most batch_rows rows."""
    import duckdb

    import pyarrow as pa

    from minewatch.flows.features import conversations_in, iter_conversations_in

    con = duckdb.connect()
    rows = [rec((f"10.0.0.{i}", 40000 + i), ("203.0.113.7", 443), 100.0 + i, 160.0 + i, 9, 900)
            for i in range(1, 60)]
    con.register("flows_arrow", to_table("flows", rows))
    whole = conversations_in(con, "flows_arrow")
    parts = list(iter_conversations_in(con, "flows_arrow", batch_rows=7))
    assert whole.num_rows == 59 and max(p.num_rows for p in parts) <= 7
    def rows(t):  # NaN (a missing packet statistic) compares equal to itself here
        return [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
                for r in t.to_pylist()]

    assert rows(pa.concat_tables(parts)) == rows(whole)
