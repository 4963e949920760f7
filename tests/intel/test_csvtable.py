"""CSV lists: by header, or cell by cell without one."""

from intel_helpers import values

from minewatch.intel import csvtable


def test_header_driven_columns():
    text = ("Host,Port,Coin,Algorithm,TLS,notes\n"
            "pool.example.com,3333,xmr,RandomX,false,x\n"
            "198.51.100.7,14444,,,yes,\n"
            "203.0.113.0/28,,,,,\n"
            "not a host,1,,,,\n")
    parsed = csvtable.parse(text)
    rows = {r["value"]: r for r in parsed.rows}
    pool = rows["pool.example.com"]
    assert (pool["port"], pool["coin"], pool["algorithm"], pool["tls"]) == (3333, "XMR", "randomx", False)
    assert (rows["198.51.100.7"]["kind"], rows["198.51.100.7"]["tls"]) == ("ip_port", True)
    assert rows["203.0.113.0/28"]["kind"] == "cidr"
    assert [line for line, _ in parsed.bad] == [5]


def test_headerless_ip_port_and_keyword_rows():
    parsed = csvtable.parse("198.51.100.7,3333\r\ncoinhive,coinhive.min.js,load.jsecoin.com\r\n"
                            "cryptoloot,CRLT.Anonymous(\r\n\"\"\"https://bitcoin-pay.eu/\"\"\"\r\n")
    assert {(r["kind"], r["value"], r["port"]) for r in parsed.rows} == {
        ("ip_port", "198.51.100.7", 3333), ("domain", "load.jsecoin.com", 0), ("domain", "bitcoin-pay.eu", 0)}
    assert [line for line, _ in parsed.bad] == [3]


def test_nesfit_pool_endpoint_lists(shared_data):
    base = shared_data / "intel/nesfit-pool-endpoints"
    # Every data line is `ip,port`; distinct pairs by sed 's/\r$//' FILE | sort -u | wc -l
    # (miningProps.csv: 990 less its BOM-prefixed `address,port` header).
    expected = {"getblocktemplate_down.csv": 418, "getblocktemplate_listen.csv": 573,
                "miningProps.csv": 989, "stratum_down.csv": 273, "stratum_listen.csv": 150,
                "stratum_up.csv": 566}
    for name, count in expected.items():
        parsed = csvtable.parse_file(base / name)
        assert (len(parsed.rows), parsed.bad) == (count, []), name
        assert {r["kind"] for r in parsed.rows} == {"ip_port"}


def test_sok_keyword_lists(shared_data):
    base = shared_data / "intel/sokcryptojacking-SoK"
    # 14 rows `provider,keyword...`: only load.jsecoin.com, bmst.pw, cdn.minescripts.info and
    # webmine.cz are whole host names (the rest are scripts, code or host/path): 4 rows, 10 not.
    known = csvtable.parse_file(base / "service_provider_keywords.csv", "browser-miner")
    assert values(known) == {"load.jsecoin.com", "bmst.pw", "cdn.minescripts.info", "webmine.cz"}
    assert len(known.bad) == 10
    # 130 one-keyword rows. H = sed 's/\r$//' FILE | grep -E '^\.?[a-z0-9.-]+\.[a-z]{2,}/?$' | grep -vE
    # '\.(js|wasm)$' gives 107 rows naming 93 distinct hosts (sed -E 's#^\.##; s#/$##' | sort -u);
    # with the address 45.32.105.134 and the quoted "https://bitcoin-pay.eu/" that is 95 hosts
    # from 109 rows; the other 21 rows are scripts, host/path keywords or query strings.
    unknown = csvtable.parse_file(base / "unknown_service_provider_keywords.csv")
    assert (len(unknown.rows), len(unknown.bad)) == (95, 21)
    assert values(unknown, "ip") == {"45.32.105.134"}
