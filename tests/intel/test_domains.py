"""Plain domain lists (CoinBlocker) and nDPI host-category files."""

from intel_helpers import values

from minewatch.intel import domains


def test_names_ports_addresses_and_bad_lines():
    text = ("# comment\n\nPool.Example.com\nhashbag.cc:8688\n198.51.100.7\nxmr.-eu1.nanopool.org\n"
            "cnhv.co\t99\n")
    parsed = domains.parse(text)
    assert values(parsed) == {"pool.example.com", "hashbag.cc", "198.51.100.7", "cnhv.co"}
    assert [r["port"] for r in parsed.rows if r["value"] == "hashbag.cc"] == [8688]
    assert [line for line, _ in parsed.bad] == [6]


def test_coinblocker_lists(shared_data):
    base = shared_data / "intel/CoinBlockerLists-bigred2k-mirror"
    # list.txt: 5837 non-blank lines, all distinct after lower-casing (tr A-Z a-z | sort -u);
    # one is not a host name (xmr.-eu1.nanopool.org: grep -E '\.-|-\.' finds only it).
    parsed = domains.parse_file(base / "list.txt")
    assert (len(parsed.rows), len(parsed.bad)) == (5836, 1)
    assert parsed.bad[0][0] == 5568
    # list_browser.txt 1705 and list_optional.txt 296 distinct non-blank lines (sort -u | wc -l).
    assert len(domains.parse_file(base / "list_browser.txt").rows) == 1705
    optional = domains.parse_file(base / "list_optional.txt")
    assert (len(optional.rows), optional.bad) == (296, [])


def test_ndpi_host_category_file(shared_data):
    parsed = domains.parse_file(shared_data / "intel/ndpi-mining_hosts.txt")
    # 246 data lines `host<TAB>99`, 245 distinct hosts (awk '{print $1}' | sort -u | wc -l).
    assert (len(parsed.rows), parsed.bad) == (245, [])
    assert "coinhive.com" in values(parsed)
