"""Adblock/uBlock filters and WebExtension match patterns: whole-host rules only."""

from intel_helpers import values

from minewatch.intel import adblock

SAMPLE = """[Adblock Plus 2.0]
! Title: test
||coinhive.com^
||coin-hive.com^$third-party
||coinimp.net$third-party
||203.0.113.9^
||pool.example.org:3333^
example.com##.miner-banner
site.net##+js(aopr, miner)
@@||allowed.example^$websocket
||cryptobara.com/client/worker.js
/miner.min.js
/^wss?:\\/\\/.*pool/$websocket
||uptostream.*/assets/
$websocket,domain=x.com
*://*.webmine.pro/*
wss://*.coinpirate.cf/*
*://coinhive.com/lib*
*://*/*cryptonight.wasm
# MinerBlock comment
"""


def test_whole_host_rules_become_indicators():
    parsed = adblock.parse(SAMPLE)
    assert values(parsed, "domain") == {"coinhive.com", "coin-hive.com", "coinimp.net",
                                        "pool.example.org", "webmine.pro", "coinpirate.cf"}
    assert values(parsed, "ip") == {"203.0.113.9"}
    assert [r["port"] for r in parsed.rows if r["value"] == "pool.example.org"] == [3333]


def test_unsupported_rules_are_counted_with_a_reason_and_cosmetics_skipped():
    reasons = dict(adblock.parse(SAMPLE).bad)
    assert sorted(reasons) == [10, 11, 12, 13, 14, 15, 18, 19]
    assert "exception" in reasons[10] and "path rule" in reasons[11]
    assert "URL substring" in reasons[12] and "regular expression" in reasons[13]
    assert "wildcard host" in reasons[14] and "options-only" in reasons[15]
    assert "path rule" in reasons[18] and "path rule" in reasons[19]


def test_nocoin_filter_list(shared_data):
    parsed = adblock.parse_file(shared_data / "intel/hoshsadiq-adblock-nocoin-list/nocoin.txt")
    # grep -E '^\|\|[^/^$*|]+(\^|\^\$[^/]*|\$[^/]*)?$' nocoin.txt | sed -E 's/^\|\|([^^$]+).*/\1/'
    #   | sort -u | wc -l -> 197 whole-host rules, 7 of them IPv4 addresses;
    # the other non-comment, non-blank lines (119) are path/regex/option/exception rules.
    assert (len(parsed.rows), len(parsed.bad)) == (197, 119)
    assert len(values(parsed, "ip")) == 7


def test_nocoin_ublock_list_is_all_scriptlets(shared_data):
    parsed = adblock.parse_file(shared_data / "intel/hoshsadiq-adblock-nocoin-list/nocoin-ublock.txt")
    assert parsed.rows == [] and parsed.bad == []  # 8 `##+js(...)` rules, a header, a comment


def test_keraf_nocoin_and_minerblock_match_patterns(shared_data):
    intel = shared_data / "intel"
    # Whole-host patterns: grep -E '^(\*|wss?|https?)://(\*\.)?[^/*]+/\*?$' FILE, host taken by
    # sed -E 's#^[^/]*://(\*\.)?([^/:]+).*#\2#; s/\.$//' | tr A-Z a-z | sort -u | wc -l.
    # keraf: 41 hosts from 72 such lines of 158 patterns -> 86 path rules.
    keraf = adblock.parse_file(intel / "keraf-NoCoin/blacklist.txt")
    assert (len(keraf.rows), len(keraf.bad)) == (41, 86)
    # MinerBlock: 486 hosts (7 IPv4) from 642 lines of 737 patterns -> 95 path/wildcard rules.
    miner_block = adblock.parse_file(intel / "xd4rker-MinerBlock/filters.txt")
    assert (len(miner_block.rows), len(miner_block.bad)) == (486, 95)
    assert len(values(miner_block, "ip")) == 7
