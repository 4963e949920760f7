"""Owner register: parsing, validation by line, encodings, nesting and vectorised lookup."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pytest

from minewatch.enrich.geo import uint32_to_ipv4
from minewatch.enrich.registry import (
    LOOKUP_COLUMNS,
    REGISTER_COLUMNS,
    OwnerRange,
    OwnerRegister,
    RowError,
    format_prefix,
    parse_prefix,
    write_csv,
)
from minewatch.errors import InputError

REGISTER = """prefix,organisation,owner_type,city,contact
58.192.0.0/16,东南大学,education,南京市,网络中心 025-1
58.192.118.0/24,东南大学附属中大医院,,南京市,信息科
58.192.118.7,东南大学附属中大医院放射科,hospital,南京市,
202.119.32.0-202.119.63.255,南京大学,education,南京市,
10.0.0.0/8,南京市教育局,,南京市,
"""
EMPTY_OWNER = dict.fromkeys(LOOKUP_COLUMNS, "")


def load(text: str, encoding: str = "utf-8") -> tuple[OwnerRegister, list[RowError]]:
    return OwnerRegister.from_csv(io.BytesIO(text.encode(encoding)))


def test_most_specific_range_wins():
    register, errors = load(REGISTER)
    assert errors == []
    rows = register.lookup(["58.192.1.1", "58.192.118.1", "58.192.118.7", "202.119.40.1"])
    assert rows.column("owner_org").to_pylist() == [
        "东南大学", "东南大学附属中大医院", "东南大学附属中大医院放射科", "南京大学"]
    types = rows.column("owner_type").to_pylist()
    assert types == ["education", "hospital", "hospital", "education"]


def test_lookup_columns_and_uncovered_addresses():
    register, _ = load(REGISTER)
    table = register.lookup(["8.8.8.8", "::1", "junk", None, "58.192.0.0", "58.192.255.255"])
    assert table.column_names == list(LOOKUP_COLUMNS)
    rows = table.to_pylist()
    assert rows[:4] == [EMPTY_OWNER] * 4
    assert rows[4]["owner_org"] == rows[5]["owner_org"] == "东南大学"
    assert rows[4] == {"owner_org": "东南大学", "owner_type": "education",
                       "owner_city": "南京市", "owner_contact": "网络中心 025-1"}


def test_range_edges_are_inclusive():
    register, _ = load(REGISTER)
    ips = ["202.119.31.255", "202.119.32.0", "202.119.63.255", "202.119.64.0"]
    assert register.lookup(ips).column("owner_org").to_pylist() == ["", "南京大学", "南京大学", ""]


def test_empty_owner_type_is_classified_from_the_name():
    register, _ = load(REGISTER)
    types = register.lookup(["10.1.1.1", "58.192.118.1"]).column("owner_type").to_pylist()
    assert types == ["government", "hospital"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_are_detected(encoding):
    register, errors = load(REGISTER, encoding)
    assert errors == []
    assert register.lookup(["58.192.1.1"]).column("owner_org").to_pylist() == ["东南大学"]


def test_bad_rows_are_reported_by_line_and_skipped():
    text = (
        "prefix,organisation,owner_type,city,contact\n"
        "58.192.0.0/16,东南大学,education,南京市,\n"  # 2 ok
        "58.192.0.1/16,东南大学,education,,\n"  # 3 host bits set
        "300.1.1.1,某单位,,,\n"  # 4 bad IP
        "1.2.3.9-1.2.3.1,某单位,,,\n"  # 5 reversed range
        "1.2.4.0/24,,enterprise,,\n"  # 6 empty organisation
        "1.2.5.0/24,某公司,factory,,\n"  # 7 unknown type
        "\n"  # 8 blank: skipped silently
        "2001:db8::/32,某单位,,,\n"  # 9 IPv6
        ",某单位,,,\n"  # 10 empty prefix
        "1.2.6.0/24,某网吧,internet_cafe,,\n"  # 11 ok
    )
    register, errors = load(text)
    assert [e.line for e in errors] == [3, 4, 5, 6, 7, 9, 10]
    messages = dict((e.line, e.message) for e in errors)
    assert "reversed" in messages[5]
    assert "organisation" in messages[6]
    assert "factory" in messages[7]
    assert "IPv6" in messages[9]
    assert len(register) == 2


def test_partial_overlap_rejects_the_later_row():
    text = (
        "prefix,organisation,owner_type,city,contact\n"
        "10.0.0.0-10.0.0.200,甲公司,enterprise,,\n"
        "10.0.0.100-10.0.1.50,乙公司,enterprise,,\n"  # 3 partly overlaps line 2
        "10.0.0.0/24,丙公司,enterprise,,\n"  # 4 partly overlaps? no: contains line 2
        "10.0.0.0-10.0.0.200,丁公司,enterprise,,\n"  # 5 repeats line 2
    )
    register, errors = load(text)
    assert [(e.line, "partly" in e.message or "repeats" in e.message) for e in errors] == [
        (3, True), (5, True)]
    orgs = register.lookup(["10.0.0.5", "10.0.0.250", "10.0.1.10"]).column("owner_org")
    assert orgs.to_pylist() == ["甲公司", "丙公司", ""]


def test_partial_overlap_with_an_earlier_starting_but_later_row():
    # the row that starts first in address space is the later one in the file: it is dropped
    text = (
        "prefix,organisation,owner_type,city,contact\n"
        "10.0.0.100-10.0.1.50,乙公司,enterprise,,\n"
        "10.0.0.0-10.0.0.200,甲公司,enterprise,,\n"
    )
    register, errors = load(text)
    assert [e.line for e in errors] == [3]
    assert register.lookup(["10.0.0.150"]).column("owner_org").to_pylist() == ["乙公司"]


def test_chinese_headers_and_type_names():
    text = "IP段,单位名称,单位类型,城市,联系人\n1.2.3.0/24,某某网吧,网吧,苏州市,王先生\n"
    register, errors = load(text, "gbk")
    assert errors == []
    row = register.lookup(["1.2.3.4"]).to_pylist()[0]
    assert row == {"owner_org": "某某网吧", "owner_type": "internet_cafe",
                   "owner_city": "苏州市", "owner_contact": "王先生"}


def test_missing_columns_or_file_raise_input_error(tmp_path):
    with pytest.raises(InputError):
        load("network,name\n1.2.3.0/24,x\n")
    with pytest.raises(InputError):
        OwnerRegister.from_csv(tmp_path / "none.csv")


def test_line_numbers_count_multiline_cells():
    text = (
        "prefix,organisation,owner_type,city,contact\n"
        '1.2.3.0/24,某公司,enterprise,,"line one\nline two"\n'
        "bad,某公司,enterprise,,\n"
    )
    _, errors = load(text)
    assert [e.line for e in errors] == [4]


def test_write_csv_round_trips_in_both_encodings(tmp_path):
    ranges = [
        OwnerRange(int_ip("58.192.0.0"), int_ip("58.192.255.255"), "东南大学", "education",
                   "南京市", "x"),
        OwnerRange(int_ip("1.2.3.4"), int_ip("1.2.3.4"), "某网吧", "internet_cafe"),
        {"prefix": "5.6.7.8-5.6.7.20", "organisation": "某公司", "owner_type": "enterprise"},
    ]
    for encoding in ("utf-8", "gb18030"):
        path = tmp_path / f"register-{encoding}.csv"
        write_csv(path, ranges, encoding=encoding)
        register, errors = OwnerRegister.from_csv(path)
        assert errors == [] and len(register) == 3
        orgs = register.lookup(["58.192.9.9", "1.2.3.4", "5.6.7.10"]).column("owner_org")
        assert orgs.to_pylist() == ["东南大学", "某网吧", "某公司"]
    assert path.read_bytes().decode("gb18030").splitlines()[0] == ",".join(REGISTER_COLUMNS)


def test_lookup_matches_a_brute_force_reference():
    rng = np.random.default_rng(5)
    ranges = _random_nested_ranges(rng)
    register, errors = OwnerRegister.from_ranges(ranges)
    assert errors == []
    probes = rng.integers(0, 2**24, 20_000).astype(np.uint32)
    got = register.owner_rows(probes)
    assert got.tolist() == [_most_specific(ranges, int(p)) for p in probes]
    text = register.lookup(pa.array(uint32_to_ipv4(probes))).column("owner_org").to_pylist()
    assert text == [ranges[i].organisation if i >= 0 else "" for i in got]


def test_empty_register_covers_nothing():
    register, _ = OwnerRegister.from_ranges([])
    assert register.lookup(["1.2.3.4"]).to_pylist() == [EMPTY_OWNER]


@pytest.mark.parametrize(
    "text, first, last",
    [("1.2.3.4", "1.2.3.4", "1.2.3.4"), ("1.2.3.0/24", "1.2.3.0", "1.2.3.255"),
     (" 1.2.3.4 - 1.2.3.9 ", "1.2.3.4", "1.2.3.9"), ("0.0.0.0/0", "0.0.0.0", "255.255.255.255")],
)
def test_parse_prefix(text, first, last):
    assert parse_prefix(text) == (int_ip(first), int_ip(last))


def test_format_prefix():
    assert format_prefix(int_ip("1.2.3.0"), int_ip("1.2.3.255")) == "1.2.3.0/24"
    assert format_prefix(int_ip("1.2.3.4"), int_ip("1.2.3.4")) == "1.2.3.4"
    assert format_prefix(int_ip("1.2.3.4"), int_ip("1.2.3.9")) == "1.2.3.4-1.2.3.9"


def int_ip(text: str) -> int:
    a, b, c, d = (int(x) for x in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _random_nested_ranges(rng) -> list[OwnerRange]:
    """Random CIDR blocks in 0.0.0.0/8 (CIDRs always nest or are disjoint), no duplicates."""
    seen, ranges = set(), []
    for k in range(400):
        length = int(rng.integers(10, 30))
        base = int(rng.integers(0, 2**24)) >> (32 - length) << (32 - length)
        first, last = base, base + 2 ** (32 - length) - 1
        if (first, last) not in seen:
            seen.add((first, last))
            ranges.append(OwnerRange(first, last, f"org{k}", "enterprise", line=k + 2))
    return ranges


def _inside(a: OwnerRange, b: OwnerRange) -> bool:
    return b.first <= a.first and a.last <= b.last


def _most_specific(ranges: list[OwnerRange], ip: int) -> int:
    hits = [(r.size, i) for i, r in enumerate(ranges) if r.first <= ip <= r.last]
    return min(hits)[1] if hits else -1


def test_random_overlaps_leave_only_nesting_ranges():
    rng = np.random.default_rng(11)
    firsts = rng.integers(0, 5_000, 300)
    ranges = [OwnerRange(int(f), int(f + rng.integers(0, 400)), f"o{k}", "unknown", line=k + 2)
              for k, f in enumerate(firsts)]
    register, errors = OwnerRegister.from_ranges(ranges)
    assert len(register) + len(errors) == len(ranges)
    kept = register.ranges
    for a in kept:
        for b in kept:
            overlap = a.first <= b.last and b.first <= a.last
            nested = _inside(a, b) or _inside(b, a)
            assert not overlap or nested
    probes = rng.integers(0, 5_500, 3_000)
    expected = [_most_specific(list(kept), int(p)) for p in probes]
    assert register.owner_rows(probes.astype(np.uint32)).tolist() == expected
