"""MISP events (JSON): the attributes that name hosts, addresses, URLs and wallets.

Reads an event file of a MISP feed (`{"Event": {...}}`), a list of them, or a REST search
answer (`{"response": [...]}`). Attribute types used: domain, hostname, ip-dst (an address or
a network), ip-dst|port, domain|ip, hostname|port, url, and the wallet types btc, xmr, dash,
eth. Within a MISP object, `port` attributes pair with the object's addresses and hosts.
Deleted attributes are skipped; other types are counted per type, not listed one by one.
"""

from __future__ import annotations

import json
from collections import Counter

from minewatch.intel.indicator import Collector, Parsed, classify, decode_text, port_number

CATEGORY = "pool"
WALLETS = {"btc": "BTC", "xmr": "XMR", "dash": "DASH", "eth": "ETH"}
_HOSTS = {"domain", "hostname", "ip-dst", "url"}
_PAIRS = {"ip-dst|port", "domain|ip", "hostname|port"}


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    try:
        root = json.loads(decode_text(data))
    except (ValueError, RecursionError) as exc:
        out.skip(0, f"not JSON: {str(exc)[:60]}")
        return out.result()
    skipped: Counter = Counter()
    events = _events(root)
    if not events:
        out.skip(0, "no MISP Event in the file")
    for event in events:
        _event(out, event, skipped)
    out.bad += [(0, f"skipped {n} attributes of type {t}") for t, n in sorted(skipped.items())]
    return out.result()


def _events(root) -> list[dict]:
    if isinstance(root, dict):
        root = root.get("response", [root])
    found = [r.get("Event") for r in root if isinstance(r, dict)] if isinstance(root, list) else []
    return [e for e in found if isinstance(e, dict)]


def _event(out: Collector, event: dict, skipped: Counter) -> None:
    name = f"MISP event {str(event.get('id') or event.get('uuid') or '?')[:40]}"
    _attributes(out, _list(event, "Attribute"), name, 0, skipped)
    for obj in _list(event, "Object"):
        attributes = _list(obj, "Attribute")
        ports = [p for a in attributes if a.get("type") == "port"
                 if (p := port_number(str(a.get("value", ""))))]
        rest = [a for a in attributes if a.get("type") != "port"]
        for port in ports or [0]:
            _attributes(out, rest, name, port, skipped)


def _list(parent: dict, key: str) -> list[dict]:
    found = parent.get(key)
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def _attributes(out: Collector, attributes: list[dict], name: str, port: int,
                skipped: Counter) -> None:
    for attr in attributes:
        kind, value = str(attr.get("type", "")), str(attr.get("value", "")).strip()
        reference = f"{name} attribute {str(attr.get('uuid', '?'))[:40]}"
        if attr.get("deleted") in (True, "1", 1):
            continue
        if kind in WALLETS:
            out.add("wallet", value, reference, coin=WALLETS[kind])
        elif kind in _HOSTS or kind in _PAIRS:
            for part in _parts(kind, value, port):
                _value(out, part, reference)
        else:
            skipped[kind[:30]] += 1


def _parts(kind: str, value: str, port: int) -> list[str]:
    """The fields of an attribute value as `classify` reads them (ports joined as host:port)."""
    left, _, right = value.partition("|")
    if kind == "domain|ip":
        return [_join(left, port), _join(right, port)]
    if kind in ("ip-dst|port", "hostname|port"):
        return [_join(left, right)]
    return [value if kind == "url" else _join(value, port)]


def _join(host: str, port: int | str) -> str:
    if not port:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _value(out: Collector, text: str, reference: str) -> None:
    found = classify(text)
    if found is None:
        out.skip(0, f"not a host, address or URL: {text[:60]} in {reference}")
    else:
        out.add(found[0], found[1], reference, found[2])


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
