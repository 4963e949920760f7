"""IP lists: addresses, address:port, CIDR."""

from minewatch.intel import ips


def test_addresses_ports_networks_and_bad_lines():
    text = ("# pools\n198.51.100.7\n198.51.100.8:3333\n198.51.100.9 14444\n203.0.113.0/24\n"
            "[2001:db8::1]:443\npool.example.com\n999.1.1.1\n")
    parsed = ips.parse(text)
    got = {(r["kind"], r["value"], r["port"]) for r in parsed.rows}
    assert got == {("ip", "198.51.100.7", 0), ("ip_port", "198.51.100.8", 3333),
                   ("ip_port", "198.51.100.9", 14444), ("cidr", "203.0.113.0/24", 0),
                   ("ip_port", "2001:db8::1", 443)}
    assert [line for line, _ in parsed.bad] == [7, 8]


def test_coinblocker_mining_server_ips(shared_data):
    parsed = ips.parse_file(shared_data / "intel/CoinBlockerLists-bigred2k-mirror/MiningServerIPList.txt")
    # grep -v '^#' | grep -E '^[0-9]+(\.[0-9]+){3}$' | sort -u | wc -l -> 1026, the README's count;
    # the 7 other lines are `#` comments.
    assert (len(parsed.rows), parsed.bad) == (1026, [])
    assert {r["kind"] for r in parsed.rows} == {"ip"}
