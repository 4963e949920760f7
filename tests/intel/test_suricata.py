"""Suricata rules: host buffers, certificate names and DNS wire names."""

from intel_helpers import values

from minewatch.intel import suricata

RULES = r'''# a comment (rules here are long lines, as in real rule files)
alert dns $HOME_NET any -> any any (msg:"pool lookup"; dns.query; content:".pool.example.com"; endswith; sid:1; rev:1;)
alert tls any any -> any any (msg:"In-Browser miner"; tls.sni; content:"miner.example.net"; sid:2;)
alert http any any -> any any (msg:"old style"; content:"getwork.example.org"; http_host; sid:3;)
#alert dns any any -> any any (msg:"wire"; content:"|04|pool|07|example|03|com|00|"; sid:4;)
alert tls any any -> any any (msg:"cert"; content:"CN=*.cert.example.com"; tls.cert_subject; sid:5;)
alert tcp any any -> any any (msg:"payload only"; content:"|22|mining.notify|22|"; sid:6;)
alert http any any -> any any (msg:"negated"; http.host; content:!".kaspersky.com"; sid:7;)
alert dns any any -> any any (msg:"multi \
line"; dns.query; content:"split.example.com"; sid:8;)
alert tcp any any -> any any this is broken
alert http any any -> any any (msg:"script"; content:"coinhive.min.js"; sid:9;)
'''


def test_host_names_from_every_place_a_rule_keeps_them():
    parsed = suricata.parse(RULES)
    assert values(parsed) == {"pool.example.com", "miner.example.net", "getwork.example.org",
                              "cert.example.com", "split.example.com"}
    refs = {r["value"]: r["reference"] for r in parsed.rows}
    assert refs["pool.example.com"] == "sid:1"  # the wire-format name in sid 4 repeats it
    categories = {r["value"]: r["category"] for r in parsed.rows}
    assert categories["miner.example.net"] == "browser-miner" and categories["split.example.com"] == "pool"


def test_rules_without_hosts_and_broken_rules_are_listed():
    bad = dict(suricata.parse(RULES).bad)
    assert sorted(bad) == [7, 8, 11, 12]
    assert "not a rule" in bad[11] and "sid:6" in bad[7]


def test_wire_format_name_alone():
    rule = 'alert dns any any -> any any (msg:"x"; content:"|06|static|0a|reasedoper|02|pw|00|"; sid:9;)'
    assert values(suricata.parse(rule)) == {"static.reasedoper.pw"}


def test_emerging_threats_rules(shared_data):
    rules = shared_data / "rules"
    # grep -oE '(dns\.query|tls\.sni|tls_sni|http\.host); content:"[^"]+"' and
    # grep -oE 'content:"CN=[^"]+"': 4 dns.query names + monerohash.com (after `bsize:14;`),
    # tls.sni coin-hive.com, certificate names eu.minerpool.pw, cnhv.co (and coin-hive.com
    # again): 8 hosts from 9 of the 29 rules (26 `^alert` + 3 `^#alert`): 20 rules give none.
    coin = suricata.parse_file(rules / "emerging-coinminer.rules")
    assert (len(coin.rows), len(coin.bad)) == (8, 20)
    assert {"herominers.com", "monerohash.com", "eu.minerpool.pw"} <= values(coin)
    # 4 dns.query + tls_sni coinhive.com + http.host nimiq.skypool.org + the DNS wire name
    # static.reasedoper.pw (CN=xn--mymo is a prefix, not a host): 7 from 7 of 28 rules.
    other = suricata.parse_file(rules / "et-open-mining-related-from-other-categories.rules")
    assert (len(other.rows), len(other.bad)) == (7, 21)
    assert "static.reasedoper.pw" in values(other)
