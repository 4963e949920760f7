"""Sigma rules: host, address and port fields of the detection selections."""

from intel_helpers import values

from minewatch.intel import sigma

RULE = """title: test
id: 0000-test
logsource: {category: network_connection}
detection:
    selection:
        DestinationHostname|endswith:
            - '.pool.example.com'
            - 'xmr.example.net' # comment
            - '*.wild.example.org'
        DestinationPort: [3333, 14444]
    selection_ip:
        - DestinationIp|cidr: '203.0.113.0/24'
        - DestinationIp: '198.51.100.7'
    filter:
        DestinationHostname: 'allowed.example.com'
    exclude_answers:
        answers: ['127.0.0.1']
    bad:
        query|re: '.*pool.*'
        QueryName: 'mid*dle.example.com'
    condition: (selection or selection_ip or bad) and not filter and not 1 of exclude_*
---
title: no hosts
detection:
    selection:
        c-useragent|startswith: 'XMRig '
    condition: selection
"""


def test_selections_pair_hosts_with_ports_and_skip_negated_ones():
    parsed = sigma.parse(RULE)
    got = {(r["kind"], r["value"], r["port"]) for r in parsed.rows}
    hosts = {"pool.example.com", "xmr.example.net", "wild.example.org"}
    assert got == ({("domain", h, p) for h in hosts for p in (3333, 14444)}
                   | {("cidr", "203.0.113.0/24", 0), ("ip", "198.51.100.7", 0)})
    assert all("sigma 0000-test" in r["reference"] for r in parsed.rows)


def test_regex_wildcards_and_host_free_rules_are_reported():
    bad = sigma.parse(RULE).bad
    assert [line for line, _ in bad] == [19, 20, 25]
    assert "regular expression" in bad[0][1] and "no host" in bad[2][1]


def test_not_yaml_is_one_bad_line():
    parsed = sigma.parse("detection: [unclosed\n  - x: y")
    assert parsed.rows == [] and len(parsed.bad) == 1


def test_sigma_rules(shared_data):
    base = shared_data / "rules/sigma"
    # grep -cE "^ +- '[^']+'" FILE counts the quoted list items (all distinct): 22, 315, 20, 72;
    # the zeek rule's 2 answers ('127.0.0.1', '0.0.0.0') are in its negated exclude_answers.
    expected = {"net_connection_lnx_crypto_mining_indicators.yml": 22,
                "net_connection_win_domain_crypto_mining_pools.yml": 315,
                "net_dns_pua_cryptocoin_mining_xmr.yml": 20, "zeek_dns_mining_pools.yml": 70}
    for name, count in expected.items():
        parsed = sigma.parse_file(base / name)
        assert (len(parsed.rows), parsed.bad) == (count, []), name
        assert {r["kind"] for r in parsed.rows} == {"domain"}
    assert "mooo.com" in values(sigma.parse_file(base / "zeek_dns_mining_pools.yml"))
    # The user-agent rule has no host field: nothing imported, one line reported.
    ua = sigma.parse_file(base / "proxy_ua_cryptominer.yml")
    assert ua.rows == [] and len(ua.bad) == 1
