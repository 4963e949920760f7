"""Falco lists: miner domains paired with miner ports."""

from intel_helpers import values

from minewatch.intel import falco

LISTS = """
- list: miner_ports
  items: [3333, 4444]
- list: miner_domains
  items: ["pool.example.com", "xmr.example.net", "bad..name"]
- list: https_miner_domains
  items: ["pool.example.com"]
- list: pool_ips
  items: [198.51.100.7, "203.0.113.0/24"]
- list: rfc_1918_addresses
  items: ['"10.0.0.0/8"']
- macro: minerpool_other
  condition: (fd.sport in (miner_ports))
"""


def test_domains_pair_with_ports_and_https_lists_mean_tls_443():
    parsed = falco.parse(LISTS)
    got = {(r["kind"], r["value"], r["port"], r["tls"]) for r in parsed.rows}
    assert got == {("domain", "pool.example.com", 3333, None), ("domain", "pool.example.com", 4444, None),
                   ("domain", "xmr.example.net", 3333, None), ("domain", "xmr.example.net", 4444, None),
                   ("domain", "pool.example.com", 443, True),
                   ("ip_port", "198.51.100.7", 3333, None), ("ip_port", "198.51.100.7", 4444, None),
                   ("cidr", "203.0.113.0/24", 0, None)}
    assert [(line, "bad..name" in reason) for line, reason in parsed.bad] == [(5, True)]


def test_falco_sandbox_lists(shared_data):
    parsed = falco.parse_file(shared_data / "rules/falco/falco-sandbox-miner-lists-extract.yaml")
    # sed -n '/- list: miner_domains/,/]/p' | grep -o '"[^"]*"' | sort -u | wc -l -> 63 domains;
    # miner_ports has 29 ports; https_miner_domains 18 names, http_miner_domains 8, all among
    # the 63: 63 * 29 + 18 (port 443) + 8 (port 80) = 1853 rows.
    assert (len(parsed.rows), parsed.bad) == (63 * 29 + 18 + 8, [])
    assert len(values(parsed)) == 63
    assert {r["port"] for r in parsed.rows if r["tls"]} == {443}
