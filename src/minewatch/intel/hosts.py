"""Hosts files: `0.0.0.0 name [name...]`, the format of blocking lists for /etc/hosts.

The address is the sink the list points names to (0.0.0.0, 127.0.0.1), not intel; each name
after it is a domain indicator. The usual local entries (localhost, broadcasthost) are ignored.
"""

from __future__ import annotations

from minewatch.intel.indicator import Collector, Parsed, address, data_lines, decode_text, domain

CATEGORY = "browser-miner"
_LOCAL = frozenset({"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost",
                    "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes",
                    "ip6-allrouters", "ip6-allhosts", "0.0.0.0"})


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    for number, line in data_lines(decode_text(data)):
        fields = line.split()
        if address(fields[0]) is None or len(fields) < 2:
            out.skip(number, "not `address name`")
            continue
        for name in fields[1:]:
            _add(out, number, name)
    return out.result()


def _add(out: Collector, number: int, name: str) -> None:
    if name.lower() in _LOCAL:
        return
    value = domain(name)
    if value is None:
        out.skip(number, f"not a host name: {name[:60]}")
    else:
        out.add("domain", value, f"line {number}")


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
