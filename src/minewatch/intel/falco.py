"""Falco rule files (YAML): the `list` items that name mining pools and their ports.

Lists are read when their name speaks of mining (miner, mining, pool, crypto, coin): names
with `domain` or `host` give domains, `port` gives ports, `ip` or `addr` gives addresses. As in
Falco's own macros, a domain of a plain list pairs with every port of the port lists (one row
per pair), `https_` lists mean port 443 over TLS and `http_` lists port 80.
"""

from __future__ import annotations

import re

from minewatch.intel.indicator import Collector, Parsed, classify, decode_text, domain, port_number
from yaml.nodes import SequenceNode

from minewatch.intel.yamltree import YamlError, documents, get, line, scalars

CATEGORY = "pool"
_MINING = re.compile(r"miner|mining|pool|crypto|coin")


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    try:
        docs = documents(decode_text(data))
    except YamlError as exc:
        out.skip(exc.line, str(exc))
        return out.result()
    lists = [(name, node) for doc in docs for name, node in _lists(doc)]
    ports = sorted({p for name, node in lists if "port" in name
                    for s in scalars(node) if (p := port_number(s.value))})
    for name, node in lists:
        if "port" not in name:
            _names(out, name, node, ports)
    return out.result()


def _lists(doc):
    """(name, items node) of each `- list:` entry whose name speaks of mining."""
    for entry in doc.value if isinstance(doc, SequenceNode) else []:
        name = (scalars(get(entry, "list")) or [None])[0]
        if name is not None and _MINING.search(name.value.lower()):
            yield name.value.lower(), get(entry, "items")


def _names(out: Collector, name: str, node, ports: list[int]) -> None:
    pairs, tls = _pairing(name, ports)
    for item in scalars(node):
        found = _item(item.value, "domain" in name or "host" in name)
        if found is None:
            out.skip(line(item), f"not a host name or address: {item.value[:60]}")
            continue
        kind, value = found
        for port in pairs:
            out.add("ip_port" if kind == "ip" and port else kind, value,
                    f"line {line(item)}, falco list {name}", port if kind != "cidr" else 0, tls=tls)


def _pairing(name: str, ports: list[int]) -> tuple[list[int], bool | None]:
    """The ports a list's names are used with, and whether that is TLS."""
    if name.startswith("https_"):
        return [443], True
    if name.startswith("http_"):
        return [80], False
    return ports or [0], None


def _item(text: str, is_domain: bool) -> tuple[str, str] | None:
    if is_domain:
        return ("domain", value) if (value := domain(text)) else None
    found = classify(text)
    return found[:2] if found is not None and found[0] in ("ip", "cidr", "domain") else None


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
