"""Pool intelligence: names to pools, DNS answers and SNI to pool endpoints."""

from minewatch.detect.intel import PoolIntel


def test_builtin_list_names_its_sources_and_parses():
    intel = PoolIntel.builtin()
    hosts = [p for p in intel.pools.values() if not p.domain]
    assert len(hosts) >= 40
    assert all(p.source and p.coin and p.algorithm and p.ports for p in hosts)
    domains = [p for p in intel.pools.values() if p.domain]
    assert len(domains) >= 15 and all(p.source and not p.ports for p in domains)


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


def test_a_name_under_an_operators_domain_is_that_pool_on_high_ports_only():
    """xmr-us-east1.nanopool.org is in no list of hosts; its operator's domain is. The same
    domain holds the web site and its API (api.nanopool.org on 443): no port 443 there."""
    intel = PoolIntel.builtin()
    pool = intel.match("xmr-us-east1.nanopool.org")
    assert (pool.host, pool.coin, pool.algorithm) == ("xmr-us-east1.nanopool.org", "XMR", "randomx")
    assert intel.match("us2.ethermine.org").coin == "ETH"  # the domain's own coin
    assert intel.match("eu1-etc.ethermine.org").coin == "ETC"  # unless the name says another
    assert intel.match("eth-eu1.nanopool.org").host == "eth-eu1.nanopool.org"  # a listed host
    assert not intel.match("eth-eu1.nanopool.org").domain
    eps = intel.endpoints([{"query": "xmr-us-east1.nanopool.org", "answer": "1.2.3.4"},
                           {"query": "api.nanopool.org", "answer": "5.6.7.8"}],
                          [{"server_ip": "5.6.7.8", "server_port": 443, "sni": "api.nanopool.org"},
                           {"server_ip": "9.9.9.9", "server_port": 443, "sni": "www.f2pool.com"},
                           {"server_ip": "9.9.9.9", "server_port": 443, "sni": "eth.f2pool.com"}])
    assert eps["1.2.3.4"].serves(14444, False) and eps["1.2.3.4"].serves(14433, True)
    assert not eps["5.6.7.8"].serves(443, True) and not eps["5.6.7.8"].serves(80, False)
    assert eps["9.9.9.9"].host == "eth.f2pool.com"  # a listed host's over the web site's
    assert eps["9.9.9.9"].serves(443, True)


def test_a_name_that_names_an_algorithm_is_a_pool_on_its_own_tls_port_too():
    """NiceHash's TLS stratum is on 443 (kawpow.auto.nicehash.com:443); its web site and API
    are under the same domain, and named after no algorithm. A connection counts when its own
    server name is the pool's, which names an algorithm; a coin's name is not enough
    (xmr.nanopool.org is the operator's dashboard, on 443)."""
    intel = PoolIntel.builtin()
    pool = intel.match("kawpow.auto.nicehash.com")
    assert (pool.domain, pool.coin, pool.algorithm) == (True, "", "kawpow")
    assert intel.match("randomxmonero.eu.nicehash.com").algorithm == "randomx"
    assert intel.match("zelhash.auto.nicehash.com").algorithm == "equihash125_4"
    eps = intel.endpoints([], [
        {"server_ip": "1.1.1.1", "server_port": 443, "sni": "kawpow.auto.nicehash.com"},
        {"server_ip": "2.2.2.2", "server_port": 443, "sni": "api2.nicehash.com"},
        {"server_ip": "3.3.3.3", "server_port": 443, "sni": "xmr.nanopool.org"}])
    assert eps["1.1.1.1"].serves(443, "kawpow.auto.nicehash.com")
    assert not eps["1.1.1.1"].serves(443, "www.nicehash.com")  # the web site at that address
    assert not eps["1.1.1.1"].serves(443, None) and eps["1.1.1.1"].serves(9200, None)
    assert not eps["2.2.2.2"].serves(443, "api2.nicehash.com")
    assert not eps["3.3.3.3"].serves(443, "xmr.nanopool.org")
