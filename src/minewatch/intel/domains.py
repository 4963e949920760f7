"""Plain domain lists: one host name a line, `#` comments.

Extra fields after the name are ignored, so nDPI's host-category files (`host<TAB>99`) read
too. A `name:port` line keeps its port; an address is taken as an IP indicator.
"""

from __future__ import annotations

from minewatch.intel.indicator import Collector, Parsed, data_lines, decode_text, host_value

CATEGORY = "pool"


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    for number, line in data_lines(decode_text(data)):
        name = line.split()[0]
        found = host_value(name)
        if found is None:
            out.skip(number, f"not a host name: {name[:60]}")
        else:
            out.add(found[0], found[1], f"line {number}", found[2])
    return out.result()


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
