"""IP lists: one address, `address:port` or CIDR network a line, `#` comments.

A second field that is a port (`1.2.3.4 3333`) is read as the port too.
"""

from __future__ import annotations

from minewatch.intel.indicator import (Collector, Parsed, classify, data_lines, decode_text,
                                       port_number)

CATEGORY = "pool"


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    for number, line in data_lines(decode_text(data)):
        fields = line.replace(",", " ").split() or [line]
        found = classify(fields[0])
        if found is None or found[0] not in ("ip", "ip_port", "cidr"):
            out.skip(number, f"not an address or network: {fields[0][:60]}")
            continue
        kind, value, port = found
        if kind == "ip" and len(fields) > 1 and (second := port_number(fields[1])):
            kind, port = "ip_port", second
        out.add(kind, value, f"line {number}", port)
    return out.result()


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
