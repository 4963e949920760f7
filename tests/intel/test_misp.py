"""MISP events: host, address, URL and wallet attributes."""

import json

from minewatch.intel import misp

EVENT = {"Event": {"id": "42", "info": "miner campaign", "Attribute": [
    {"type": "domain", "value": "pool.example.com", "uuid": "a1"},
    {"type": "hostname", "value": "xmr.example.net", "uuid": "a2"},
    {"type": "ip-dst", "value": "198.51.100.7", "uuid": "a3"},
    {"type": "ip-dst|port", "value": "198.51.100.8|14444", "uuid": "a4"},
    {"type": "domain|ip", "value": "both.example.org|2001:db8::5", "uuid": "a5"},
    {"type": "url", "value": "https://miner.example.net/m.js", "uuid": "a6"},
    {"type": "xmr", "value": "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7Sq",
     "uuid": "a7"},
    {"type": "md5", "value": "00", "uuid": "a8"},
    {"type": "md5", "value": "01", "uuid": "a9"},
    {"type": "domain", "value": "deleted.example.com", "deleted": True},
    {"type": "hostname", "value": "not a host", "uuid": "a10"}],
    "Object": [{"name": "domain-ip", "Attribute": [
        {"type": "domain", "value": "obj.example.com", "uuid": "o1"},
        {"type": "ip-dst", "value": "203.0.113.9", "uuid": "o2"},
        {"type": "port", "value": "3333"}]}]}}


def test_attribute_types_become_indicators():
    parsed = misp.parse(json.dumps(EVENT))
    got = {(r["kind"], r["value"], r["port"]) for r in parsed.rows}
    assert got == {("domain", "pool.example.com", 0), ("domain", "xmr.example.net", 0),
                   ("ip", "198.51.100.7", 0), ("ip_port", "198.51.100.8", 14444),
                   ("domain", "both.example.org", 0), ("ip", "2001:db8::5", 0),
                   ("url", "https://miner.example.net/m.js", 0),
                   ("wallet", EVENT["Event"]["Attribute"][6]["value"], 0),
                   ("domain", "obj.example.com", 3333), ("ip_port", "203.0.113.9", 3333)}
    wallet = next(r for r in parsed.rows if r["kind"] == "wallet")
    assert wallet["coin"] == "XMR" and wallet["reference"] == "MISP event 42 attribute a7"


def test_other_types_counted_per_type_and_bad_values_listed():
    bad = [reason for _, reason in misp.parse(json.dumps(EVENT)).bad]
    assert bad == ["not a host, address or URL: not a host in MISP event 42 attribute a10",
                   "skipped 2 attributes of type md5"]


def test_rest_search_answers_and_lists_of_events():
    other = {"Event": {"id": "7", "Attribute": [{"type": "domain", "value": "b.example.com"}]}}
    answer = {"response": [EVENT, other]}
    got = {r["value"] for r in misp.parse(json.dumps(answer)).rows}
    assert {"b.example.com", "pool.example.com"} <= got
    assert len(misp.parse(json.dumps([EVENT])).rows) == 10


def test_a_manifest_or_junk_gives_one_reason():
    assert misp.parse('{"5e2f...": {"info": "x"}}').bad == [(0, "no MISP Event in the file")]
    assert misp.parse(b"\xff\xfe").rows == []
