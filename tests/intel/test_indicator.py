"""The value rules all importers share."""

from minewatch.intel.indicator import Collector, classify, domain, keyword_domain, network, split_port


def test_domain_normalises_case_dots_wildcards_and_idna():
    assert domain("Pool.Example.COM.") == "pool.example.com"
    assert domain("*.pool.example.com") == "pool.example.com"
    assert domain(".pool.example.com") == "pool.example.com"
    assert domain("myèthérwállet.com").startswith("xn--")
    for bad in ("localhost", "xmr.-eu1.nanopool.org", "a..b.com", "1.2.3.4", "a b.com", "", "x/y.com"):
        assert domain(bad) is None, bad


def test_keyword_domain_refuses_file_names_and_code():
    assert keyword_domain("load.jsecoin.com") == "load.jsecoin.com"
    for bad in ("coinhive.min.js", "cryptonight.wasm", "CRLT.Anonymous(", "deepMiner.Anonymous",
                "_client.start", "miner", " x.com"):
        assert keyword_domain(bad) is None, bad


def test_classify_every_kind():
    assert classify("198.51.100.7") == ("ip", "198.51.100.7", 0)
    assert classify("198.51.100.7:3333") == ("ip_port", "198.51.100.7", 3333)
    assert classify("[2001:db8::1]:3333") == ("ip_port", "2001:db8::1", 3333)
    assert classify("2001:DB8::1") == ("ip", "2001:db8::1", 0)
    assert classify("10.1.2.3/16") == ("cidr", "10.1.0.0/16", 0)
    assert classify("10.1.2.3/32") == ("ip", "10.1.2.3", 0)
    assert classify("hashbag.cc:8688") == ("domain", "hashbag.cc", 8688)
    assert classify("HTTP://Miner.Example.net/x.js") == ("url", "http://miner.example.net/x.js", 0)
    for bad in ("1.2.3.4:0", "1.2.3.4:70000", "not a host", "x.com:abc", "ftp://", "10.0.0.0/33"):
        assert classify(bad) is None, bad


def test_split_port_and_network():
    assert split_port("a.com:1") == ("a.com", 1)
    assert split_port("2001:db8::1") is None
    assert network("1.2.3.4") is None


def test_collector_keeps_the_first_of_each_kind_value_port():
    out = Collector("pool")
    out.add("domain", "a.com", "line 1")
    out.add("domain", "a.com", "line 2")
    out.add("domain", "a.com", "line 3", 3333)
    rows = out.result().rows
    assert [(r["reference"], r["port"]) for r in rows] == [("line 1", 0), ("line 3", 3333)]
    assert rows[0]["category"] == "pool" and rows[0]["tls"] is None and rows[0]["coin"] == ""
