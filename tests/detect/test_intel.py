"""Pool intelligence: names to pools, DNS answers and SNI to pool endpoints."""

from minewatch.detect.intel import PoolIntel


def test_builtin_list_names_its_sources_and_parses():
    intel = PoolIntel.builtin()
    assert len(intel.pools) >= 40
    assert all(p.source and p.coin and p.algorithm and p.ports for p in intel.pools.values())


def test_match_walks_up_to_a_listed_parent_but_not_to_the_tld():
    intel = PoolIntel.builtin()
    assert intel.match("pool.supportxmr.com.").coin == "XMR"
    assert intel.match("x.litecoinpool.org").coin == "LTC"
    assert intel.match("www.example.com") is None
    assert intel.match("com") is None


def test_endpoints_from_dns_and_sni():
    intel = PoolIntel.builtin()
    eps = intel.endpoints([{"query": "btc.f2pool.com", "answer": "1.2.3.4"},
                           {"query": "www.baidu.com", "answer": "5.6.7.8"}],
                          [{"server_ip": "9.9.9.9", "server_port": 443, "sni": "pool.hashvault.pro"}])
    assert set(eps) == {"1.2.3.4", "9.9.9.9"}
    assert eps["1.2.3.4"].via == "dns-intel" and eps["9.9.9.9"].via == "sni"
    assert eps["1.2.3.4"].serves(3333, False)
    assert not eps["1.2.3.4"].serves(80, False)  # the pool's web site may share the address
    assert eps["9.9.9.9"].serves(443, True)
