"""Hosts files: `0.0.0.0 name` lines."""

import io

from intel_helpers import values

from minewatch.intel import hosts


def test_names_after_the_sink_address_are_domains():
    text = ("# a list\n127.0.0.1 localhost\n0.0.0.0 Coin-Hive.com # inline\n"
            "0.0.0.0 a.example.net b.example.net\nnot-a-hosts-line\n0.0.0.0 bad..name\n")
    parsed = hosts.parse(text.encode())
    assert values(parsed) == {"coin-hive.com", "a.example.net", "b.example.net"}
    assert [line for line, _ in parsed.bad] == [5, 6]
    assert {r["kind"] for r in parsed.rows} == {"domain"}


def test_layered_entry_points_agree(tmp_path):
    data = b"0.0.0.0 x.example.org\n"
    (tmp_path / "h.txt").write_bytes(data)
    assert hosts.parse(data) == hosts.parse_stream(io.BytesIO(data)) == hosts.parse_file(tmp_path / "h.txt")


def test_nocoin_hosts_file(shared_data):
    parsed = hosts.parse_file(shared_data / "intel/hoshsadiq-adblock-nocoin-list/hosts.txt", "browser-miner")
    # grep -E '^0\.0\.0\.0 ' hosts.txt | awk '{print $2}' | sort -u | wc -l  -> 313; every other
    # line is a comment or blank.
    assert len(parsed.rows) == 313 and parsed.bad == []
    assert {r["category"] for r in parsed.rows} == {"browser-miner"}
