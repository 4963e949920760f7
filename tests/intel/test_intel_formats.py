"""Guessing a list's format and category from its content."""

import json

import pytest

from minewatch.intel import formats

SMALL = {
    "hosts": "# x\n0.0.0.0 a.example.com\n0.0.0.0 b.example.com\n",
    "adblock": "! comment\n||a.example.com^\n||b.example.com^$third-party\n",
    "domains": "a.example.com\nb.example.com\n",
    "ips": "198.51.100.7\n198.51.100.8:3333\n203.0.113.0/24\n",
    "csv": "host,port\na.example.com,3333\n",
    "suricata": 'alert dns any any -> any any (msg:"x"; dns.query; content:"a.example.com"; sid:1;)',
    "sigma": ("title: x\nlogsource: {category: dns}\ndetection:\n  sel: {query: a.example.com}\n"
              "  condition: sel\n"),
    "falco": "- list: miner_domains\n  items: [a.example.com]\n",
    "stix": json.dumps({"type": "bundle", "objects": []}),
    "misp": json.dumps({"Event": {"Attribute": []}}),
}


@pytest.mark.parametrize("fmt", sorted(SMALL))
def test_small_inputs_are_recognised(fmt):
    assert formats.sniff(SMALL[fmt]) == fmt


def test_unknown_text_and_json_are_not_guessed():
    assert formats.sniff("hello, world\n" * 3) == "csv"  # commas: read as CSV, rows reported
    assert formats.sniff("just some words\n") is None
    assert formats.sniff('{"payout_addresses": {}}') is None
    assert formats.sniff("", "x.rules") == "suricata"


def test_parse_file_guesses_and_reports(tmp_path):
    (tmp_path / "browser_list.txt").write_text(SMALL["domains"])
    fmt, category, parsed = formats.parse_file(tmp_path / "browser_list.txt")
    assert (fmt, category, len(parsed.rows)) == ("domains", "browser-miner", 2)
    fmt, category, _ = formats.parse_file(tmp_path / "browser_list.txt", "domains", "proxy")
    assert (fmt, category) == ("domains", "proxy")
    (tmp_path / "words.txt").write_text("just some words\n")
    with pytest.raises(ValueError):
        formats.parse_file(tmp_path / "words.txt")


def test_every_sample_list_is_recognised(shared_data):
    expected = {
        "intel/CoinBlockerLists-bigred2k-mirror/MiningServerIPList.txt": ("ips", "pool"),
        "intel/CoinBlockerLists-bigred2k-mirror/list.txt": ("domains", "pool"),
        "intel/CoinBlockerLists-bigred2k-mirror/list_browser.txt": ("domains", "browser-miner"),
        "intel/CoinBlockerLists-bigred2k-mirror/list_optional.txt": ("domains", "pool"),
        "intel/hoshsadiq-adblock-nocoin-list/hosts.txt": ("hosts", "browser-miner"),
        "intel/hoshsadiq-adblock-nocoin-list/nocoin.txt": ("adblock", "browser-miner"),
        "intel/hoshsadiq-adblock-nocoin-list/nocoin-ublock.txt": ("adblock", "browser-miner"),
        "intel/keraf-NoCoin/blacklist.txt": ("adblock", "browser-miner"),
        "intel/xd4rker-MinerBlock/filters.txt": ("adblock", "browser-miner"),
        "intel/ndpi-mining_hosts.txt": ("domains", "browser-miner"),
        "intel/nesfit-pool-endpoints/stratum_up.csv": ("csv", "pool"),
        "intel/nesfit-pool-endpoints/miningProps.csv": ("csv", "pool"),
        "intel/sokcryptojacking-SoK/unknown_service_provider_keywords.csv": ("csv", "pool"),
        "rules/emerging-coinminer.rules": ("suricata", "pool"),
        "rules/et-open-mining-related-from-other-categories.rules": ("suricata", "pool"),
        "rules/sigma/zeek_dns_mining_pools.yml": ("sigma", "pool"),
        "rules/falco/falco-sandbox-miner-lists-extract.yaml": ("falco", "pool"),
    }
    for name, want in expected.items():
        fmt, category, _ = formats.parse_file(shared_data / name)
        assert (fmt, category) == want, name
