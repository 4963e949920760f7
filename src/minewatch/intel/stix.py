"""STIX 2.x bundles: the indicators' patterns.

From each indicator's STIX pattern, the `=` comparisons on `domain-name:value`,
`ipv4-addr:value` / `ipv6-addr:value` (an address or a network), `url:value`, and
`network-traffic:dst_ref.value` with `network-traffic:dst_port` in the same observation
(an address and port). `LIKE`, `MATCHES` and other object types are unsupported and reported.
Indicators whose pattern is Snort/Suricata or Sigma are read by those importers. Revoked
indicators are skipped. JSON has no useful line numbers: reports give line 0 and the STIX id.
"""

from __future__ import annotations

import json
import re

from minewatch.intel import sigma, suricata
from minewatch.intel.indicator import Collector, Parsed, classify, decode_text, port_number

CATEGORY = "pool"
_OBSERVATION = re.compile(r"\[([^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*)\]")
_COMPARISON = re.compile(r"([a-z0-9-]+):([\w.\[\]*'-]+)\s+"
                         r"(=|!=|LIKE|MATCHES|IN|ISSUBSET|ISSUPERSET|<=|>=|<|>)\s+"
                         r"('(?:[^'\\]|\\.)*'|-?\d+|\([^)]*\))")
_VALUE_PATHS = {("domain-name", "value"), ("ipv4-addr", "value"), ("ipv6-addr", "value"),
                ("url", "value"), ("network-traffic", "dst_ref.value")}
_OTHER_PATTERNS = {"snort": suricata, "suricata": suricata, "sigma": sigma}


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    try:
        root = json.loads(decode_text(data))
    except (ValueError, RecursionError) as exc:
        out.skip(0, f"not JSON: {str(exc)[:60]}")
        return out.result()
    for obj in _objects(root):
        if obj.get("type") == "indicator":
            _indicator(out, obj)
    return out.result()


def _objects(root) -> list[dict]:
    if isinstance(root, dict):
        found = root.get("objects", [root])
    else:
        found = root if isinstance(root, list) else []
    return [o for o in found if isinstance(o, dict)] if isinstance(found, list) else []


def _indicator(out: Collector, obj: dict) -> None:
    ident, pattern = str(obj.get("id", "?"))[:80], obj.get("pattern")
    if obj.get("revoked") is True:
        out.skip(0, f"revoked: {ident}")
    elif not isinstance(pattern, str):
        out.skip(0, f"no pattern: {ident}")
    elif (kind := str(obj.get("pattern_type", "stix")).lower()) in _OTHER_PATTERNS:
        _foreign(out, _OTHER_PATTERNS[kind].parse(pattern, out.category), ident)
    elif kind != "stix":
        out.skip(0, f"unsupported: pattern type {kind[:20]} in {ident}")
    elif not _pattern(out, pattern, ident):
        out.skip(0, f"unsupported: no domain, address or URL equality in {ident}")


def _foreign(out: Collector, parsed: Parsed, ident: str) -> None:
    for row in parsed.rows:
        out.add(row["kind"], row["value"], ident, row["port"], category=row["category"],
                tls=row["tls"])
    out.bad += [(0, f"{reason} in {ident}") for _, reason in parsed.bad]


def _pattern(out: Collector, pattern: str, ident: str) -> bool:
    """Add the pattern's indicators; whether it compared any value we read (valid or not)."""
    found = False
    for observation in _OBSERVATION.findall(pattern):
        values, port = [], 0
        for obj, path, op, literal in _COMPARISON.findall(observation):
            if (obj, path) in _VALUE_PATHS and op == "=":
                values.append(literal)
            elif (obj, path) == ("network-traffic", "dst_port") and op == "=":
                port = port_number(literal) or 0
        for literal in values:
            _value(out, _unquote(literal), port, ident)
        found = found or bool(values)
    return found


def _value(out: Collector, text: str, port: int, ident: str) -> None:
    found = classify(text)
    if found is None:
        out.skip(0, f"not a host, address or URL: {text[:60]} in {ident}")
        return
    kind, value, given = found
    if kind == "ip" and port:
        kind = "ip_port"
    out.add(kind, value, ident, port or given)


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1]) if literal.startswith("'") else literal


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
