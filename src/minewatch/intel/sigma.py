"""Sigma rules (YAML): host names, addresses and ports in a rule's detection selections.

Fields read (case-insensitive, modifiers after `|`): host fields such as DestinationHostname,
query, QueryName, dns.question.name, cs-host, server_name; address fields such as
DestinationIp, dst_ip, id.resp_h (`|cidr` values become networks); port fields such as
DestinationPort, which pair with the selection's hosts and addresses. Selections the
condition negates (`not filter`, `not 1 of exclude_*`) are exceptions and are skipped, as are
`|re` values and values with inner wildcards (reported, with their line).
"""

from __future__ import annotations

import fnmatch
import re

from minewatch.intel.indicator import Collector, Parsed, address, decode_text, domain, network
from minewatch.intel.indicator import port_number
from minewatch.intel.yamltree import YamlError, documents, get, items, line, scalars

CATEGORY = "pool"
HOST_FIELDS = frozenset({"destinationhostname", "destinationhost", "dst_host", "query",
                         "queryname", "dns_query", "dns.query", "dns.question.name", "r-dns",
                         "cs-host", "server_name", "servername", "sni", "ssl.server_name",
                         "destination.domain", "url.domain", "host"})
ADDRESS_FIELDS = frozenset({"destinationip", "dst_ip", "dest_ip", "destination.ip", "id.resp_h",
                            "dst"})
PORT_FIELDS = frozenset({"destinationport", "dst_port", "dest_port", "destination.port",
                         "id.resp_p", "dport"})


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    try:
        docs = documents(decode_text(data))
    except YamlError as exc:
        out.skip(exc.line, str(exc))
        return out.result()
    for doc in docs:
        _rule(out, doc)
    return out.result()


def _rule(out: Collector, doc) -> None:
    detection = get(doc, "detection")
    if detection is None:
        if get(doc, "title") is not None:
            out.skip(line(doc), "rule without detection")
        return
    reference = f"sigma {_scalar(get(doc, 'id')) or _scalar(get(doc, 'title'))}"[:120]
    negated = _negated(_scalar(get(detection, "condition")))
    before = len(out.rows)
    for name, selection in items(detection):
        if name not in ("condition", "timeframe") and not _matches(name, negated):
            for fields in _field_maps(selection):
                _selection(out, fields, f"{reference} {name}")
    if len(out.rows) == before:
        out.skip(line(detection), "no host, address or port field in detection")


def _negated(condition: str) -> list[str]:
    """Selection names (globs) that the condition puts after `not`."""
    return re.findall(r"\bnot\s+(?:(?:1|all|any)\s+of\s+)?([\w*]+)", condition)


def _matches(name: str, globs: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


def _field_maps(selection) -> list:
    """A selection is one field map or a list of them (OR); keyword lists are skipped."""
    if items(selection):
        return [selection]
    return [node for node in getattr(selection, "value", []) if items(node)]


def _selection(out: Collector, fields, reference: str) -> None:
    hosts, ports = [], []
    for key, value in items(fields):
        base, *modifiers = key.lower().split("|")
        if base in PORT_FIELDS:
            ports += [p for s in scalars(value) if (p := port_number(s.value))]
        elif base in HOST_FIELDS or base in ADDRESS_FIELDS:
            hosts += [(*h, line(s)) for s in scalars(value) if (h := _value(out, s, modifiers))]
    for kind, value, number in hosts:
        for port in ports or [0]:
            kind_port = "ip_port" if kind == "ip" and port else kind
            out.add(kind_port, value, f"line {number}, {reference}", port if kind != "cidr" else 0)


def _value(out: Collector, node, modifiers: list[str]) -> tuple[str, str] | None:
    text = node.value.strip()
    if "re" in modifiers:
        out.skip(line(node), f"unsupported: regular expression {text[:60]}")
        return None
    bare = text.strip("*").removeprefix(".")
    if ip := address(bare):
        return ("ip", ip)
    if net := network(bare):
        return ("cidr", net) if "/" in net else ("ip", net)
    if "*" not in bare and (name := domain(bare)):
        return ("domain", name)
    out.skip(line(node), f"not a host name or address: {text[:60]}")
    return None


def _scalar(node) -> str:
    found = scalars(node)
    return found[0].value if found else ""


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
