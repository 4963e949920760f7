"""STIX 2.1 bundles: indicator patterns."""

import json

from minewatch.intel import stix


def _bundle(*indicators: dict) -> str:
    objects = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{i}",
                "pattern_type": "stix", **ind} for i, ind in enumerate(indicators)]
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects})


def test_equality_comparisons_of_hosts_addresses_and_urls():
    text = _bundle(
        {"pattern": "[domain-name:value = 'Pool.Example.com'] OR [ipv4-addr:value = '198.51.100.7']"},
        {"pattern": "[ipv6-addr:value = '2001:db8::/64']"},
        {"pattern": "[url:value = 'http://miner.example.net/lib/x.js']"},
        {"pattern": "[network-traffic:dst_ref.type = 'ipv4-addr' AND "
                    "network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 3333]"},
        {"pattern": "[domain-name:value = 'it\\'s.example.com']"})
    parsed = stix.parse(text)
    got = {(r["kind"], r["value"], r["port"], r["reference"]) for r in parsed.rows}
    assert got == {("domain", "pool.example.com", 0, "indicator--0"),
                   ("ip", "198.51.100.7", 0, "indicator--0"),
                   ("cidr", "2001:db8::/64", 0, "indicator--1"),
                   ("url", "http://miner.example.net/lib/x.js", 0, "indicator--2"),
                   ("ip_port", "203.0.113.5", 3333, "indicator--3")}
    assert [reason for _, reason in parsed.bad] == [
        "not a host, address or URL: it's.example.com in indicator--4"]


def test_unsupported_patterns_revoked_and_foreign_pattern_types():
    text = _bundle({"pattern": "[domain-name:value LIKE '%.pool.net']"},
                   {"pattern": "[file:hashes.'SHA-256' = 'ab']"},
                   {"pattern": "[domain-name:value = 'x.example.com']", "revoked": True},
                   {"pattern_type": "snort",
                    "pattern": 'alert dns any any -> any any (msg:"x"; dns.query; '
                               'content:"s.example.com"; sid:1;)'},
                   {"pattern_type": "yara", "pattern": "rule x {}"},
                   {"name": "no pattern"})
    parsed = stix.parse(text)
    assert [(r["value"], r["reference"]) for r in parsed.rows] == [("s.example.com", "indicator--3")]
    assert len(parsed.bad) == 5 and all(line == 0 for line, _ in parsed.bad)


def test_not_json_and_other_json_are_harmless():
    assert stix.parse(b"{not json").rows == []
    assert len(stix.parse(b"{not json").bad) == 1
    assert stix.parse("[1, 2, {\"type\": \"malware\"}]").rows == []
