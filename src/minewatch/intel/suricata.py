"""Suricata / Snort rules: the host names a rule looks for.

Taken from each rule, enabled or commented out (`#alert ...`, kept by ET for reference):
- `content` in a host buffer: sticky `dns.query`, `dns_query`, `tls.sni`, `tls_sni`,
  `http.host`, or the older modifier `http_host` after the content;
- any other `content` that is a host name and nothing else, after `CN=` or `*.` (certificate
  subjects), or written in DNS wire format (`|06|static|0a|reasedoper|02|pw|00|`).
Negated contents (`content:!"..."`) are exceptions, not intel. A rule whose message mentions a
browser gives browser-miner indicators when the import's category is pool. Rules without any
host name are listed as not used, each with its line.
"""

from __future__ import annotations

import re

from minewatch.intel.indicator import Collector, Parsed, decode_text, domain, keyword_domain

CATEGORY = "pool"
HOST_BUFFERS = frozenset({"dns.query", "dns_query", "tls.sni", "tls_sni", "http.host",
                          "http_host", "http.host.raw", "http_raw_host", "quic.sni"})
_ACTIONS = ("alert", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "pass")
_HEX = re.compile(r"\|([0-9a-fA-F \t]*)\|")


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    for number, rule, enabled in _rules(decode_text(data)):
        options = _options(rule)
        if options is None:
            out.skip(number, "not a rule (no option list)")
            continue
        hosts = _hosts(options)
        reference = f"sid:{options.get('sid', ['?'])[0]}" + ("" if enabled else " (disabled)")
        if not hosts:
            out.skip(number, f"no host name in rule {reference}")
        kind = _category(options, category)
        for host in hosts:
            out.add("domain", host, reference, category=kind)
    return out.result()


def _rules(text: str):
    """(first line number, rule text, enabled) for each rule; `\\` continues a rule."""
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if pending:
            pending += " " + line
        elif line.lstrip("# ").startswith(_ACTIONS):
            pending, start = line, number
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        if pending:
            yield start, pending.lstrip("# "), not pending.startswith("#")
            pending = ""


def _options(rule: str) -> dict[str, list[str]] | None:
    """Options in order as {name: [values]} plus '_contents': [(buffer, content, negated)]."""
    head, paren, body = rule.partition("(")
    if not paren or not body.rstrip().endswith(")"):
        return None
    options: dict = {"_contents": []}
    buffer = ""
    for name, value in _split(body.rstrip()[:-1]):
        if name == "content":
            options["_contents"].append([buffer, value])
        elif not value and name.startswith("http_") and options["_contents"]:
            options["_contents"][-1][0] = name  # old-style modifier: applies to the last content
        elif not value and ("." in name or name.endswith(("_query", "_sni"))):
            buffer = name  # a sticky buffer: applies to the contents after it
        else:
            options.setdefault(name, []).append(value)
    return options


def _split(body: str):
    """(name, value) of each `name:value;` or `name;` option; quotes and `\\;` respected."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in body:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    for part in parts:
        name, _, value = part.strip().partition(":")
        yield name.strip(), value.strip()


def _hosts(options: dict) -> list[str]:
    hosts = []
    for buffer, raw in options["_contents"]:
        if raw.startswith("!"):
            continue
        text = _content(raw)
        host = domain(text) if buffer in HOST_BUFFERS else _named_host(text)
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def _content(raw: str) -> str:
    """A content's bytes as text: quotes removed, `|hex|` runs decoded (latin-1)."""
    raw = raw.strip().removeprefix('"').removesuffix('"')
    return _HEX.sub(_unhex, raw)


def _unhex(match: re.Match) -> str:
    digits = re.sub(r"\s", "", match.group(1))
    return bytes.fromhex(digits).decode("latin-1") if len(digits) % 2 == 0 else match.group(0)


def _named_host(text: str) -> str | None:
    """A host name that is the whole content, or a certificate CN, or a DNS wire-format name."""
    wire = _wire_name(text)
    if wire:
        return wire
    return keyword_domain(text.removeprefix("CN=").removeprefix("*."))


def _wire_name(text: str) -> str | None:
    labels, i = [], 0
    while i < len(text) and 0 < ord(text[i]) < 64:
        size = ord(text[i])
        labels.append(text[i + 1:i + 1 + size])
        i += 1 + size
    complete = i == len(text) - 1 and text[-1:] == "\x00" or i == len(text)
    return keyword_domain(".".join(labels)) if len(labels) > 1 and complete else None


def _category(options: dict, category: str) -> str:
    message = " ".join(options.get("msg", [])).lower()
    return "browser-miner" if category == "pool" and "browser" in message else category


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
