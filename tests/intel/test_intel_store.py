"""Indicators in the store, and pool detection built from them."""

import csv
import io
import json

import pytest

from minewatch.detect.intel import PoolIntel
from minewatch.intel import csvtable, domains, ips
from minewatch.intel.store import export, import_parsed, indicators, pool_indicators
from minewatch.store.duck import Store


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "intel.duckdb") as s:
        yield s


def test_import_replaces_rows_of_the_same_source(store):
    assert import_parsed(store, domains.parse("a.example.com\nb.example.com\n"), "feed-a", now=1.0) == 2
    import_parsed(store, domains.parse("z.example.com\n"), "feed-b", now=1.0)
    import_parsed(store, domains.parse("a.example.com\nc.example.com\n"), "feed-a", now=2.0)
    rows = indicators(store)
    assert [(r["source"], r["value"]) for r in rows] == [
        ("feed-a", "a.example.com"), ("feed-a", "c.example.com"), ("feed-b", "z.example.com")]
    assert {r["imported_at"] for r in rows if r["source"] == "feed-a"} == {2.0}
    import_parsed(store, domains.parse("a.example.com\nc.example.com\n"), "feed-a", now=3.0)
    assert len(indicators(store)) == 3  # idempotent


def test_source_names_with_quotes_are_safe(store):
    import_parsed(store, domains.parse("a.example.com\n"), "it's; DROP TABLE x", now=1.0)
    import_parsed(store, domains.parse("b.example.com\n"), "it's; DROP TABLE x", now=1.0)
    assert [r["value"] for r in indicators(store)] == ["b.example.com"]


def test_filters_and_exports(store):
    import_parsed(store, ips.parse("198.51.100.7\n198.51.100.8:3333\n"), "ips", now=1.0)
    import_parsed(store, domains.parse("a.example.com\n", "browser-miner"), "names", now=1.0)
    assert [r["value"] for r in indicators(store, kind="ip_port")] == ["198.51.100.8"]
    assert [r["value"] for r in indicators(store, category="browser-miner")] == ["a.example.com"]
    rows = indicators(store)
    assert export(rows, "hosts").splitlines()[1:] == ["0.0.0.0 a.example.com"]
    assert [r["value"] for r in json.loads(export(rows, "json"))] == [r["value"] for r in rows]
    table = list(csv.DictReader(io.StringIO(export(rows, "csv"))))
    assert [t["port"] for t in table] == [str(r["port"]) for r in rows]


def test_pool_indicators_keep_pool_and_proxy_categories(store):
    import_parsed(store, domains.parse("a.example.com\n", "browser-miner"), "b", now=1.0)
    import_parsed(store, domains.parse("p.example.com\n", "proxy"), "p", now=1.0)
    import_parsed(store, csvtable.parse("url\nhttp://x.example.com/m.js\n"), "u", now=1.0)
    assert [r["value"] for r in pool_indicators(store)] == ["p.example.com"]


def test_from_store_adds_domains_and_addresses_and_keeps_builtin(store):
    text = ("host,port,coin,algorithm\nnewpool.example.com,4444,XMR,randomx\n"
            "btc.f2pool.com,9999,LTC,scrypt\n198.51.100.8,3333,,\n")
    import_parsed(store, csvtable.parse(text), "feed", now=1.0)
    import_parsed(store, ips.parse("198.51.100.7\n203.0.113.0/30\n10.0.0.0/8\n"), "ips", now=1.0)
    intel = PoolIntel.from_store(store)
    new = intel.match("eu.newpool.example.com")
    assert (new.coin, new.algorithm, new.ports, new.origin) == ("XMR", "randomx", frozenset({4444}), "intel")
    assert intel.match("btc.f2pool.com") == PoolIntel.builtin().match("btc.f2pool.com")
    assert set(intel.addresses) == {"198.51.100.7", "198.51.100.8", "203.0.113.0", "203.0.113.1",
                                    "203.0.113.2", "203.0.113.3"}  # a /8 is too large to list
    eps = intel.endpoints([{"query": "newpool.example.com", "answer": "198.51.100.7"}], [])
    assert eps["198.51.100.7"].via == "dns-intel"  # a name's answer wins over the bare address
    assert eps["198.51.100.8"].via == "ip-intel" and "feed" in eps["198.51.100.8"].evidence
    sources = {r["source"] for r in intel.table().to_pylist()}
    assert {"builtin", "feed", "ips"} <= sources


def test_ip_intel_endpoints_serve_listed_ports_or_quiet_high_ports():
    intel = PoolIntel([])
    intel.add_indicators([
        {"kind": "ip_port", "value": "198.51.100.8", "port": 3333, "coin": "", "algorithm": "",
         "tls": None, "source": "s"},
        {"kind": "ip", "value": "198.51.100.7", "port": 0, "coin": "", "algorithm": "",
         "tls": None, "source": "s"}])
    listed, bare = intel.endpoints([], [])["198.51.100.8"], intel.endpoints([], [])["198.51.100.7"]
    assert listed.serves(3333, False) and not listed.serves(4444, False)
    assert bare.serves(4444, False) and not bare.serves(4444, True)  # TLS with SNI: shared host
    assert not bare.serves(443, False) and not bare.serves(80, False) and not bare.serves(22, False)


def test_builtin_behaviour_unchanged():
    intel = PoolIntel.builtin()
    assert intel.addresses == {}
    assert {r["source"] for r in intel.table().to_pylist()} == {"builtin"}


def test_all_sample_lists_import(shared_data, store):
    from minewatch.intel.formats import parse_file

    total = 0
    for path in sorted((shared_data / "intel").rglob("*")):
        if path.suffix in (".txt", ".csv") and "LICENSE" not in path.name:
            total += import_parsed(store, parse_file(path)[2], str(path), now=1.0)
    assert total == len(indicators(store)) > 10000
    assert len(PoolIntel.from_store(store).addresses) > 1000
