"""Adblock Plus / uBlock Origin filter lists, and WebExtension match patterns.

Only rules that block a whole host become indicators: `||host^`, `||host^$options`, `||host`,
`|https://host^`, and match patterns such as `*://*.host/*` or `wss://host/*` (the keraf NoCoin
and MinerBlock lists). Comments (`!`, `#`), the `[Adblock Plus 2.0]` header and cosmetic rules
(`##`, `#@#`, `#?#`, `##+js(...)`) are skipped silently. Rules narrower or wider than a host
(`/regex/`, path rules such as `||host/lib/x.js` or `/miner.js`, wildcard hosts, exceptions `@@`)
are reported as unsupported, each with its line.
"""

from __future__ import annotations

import re

from minewatch.intel.indicator import Collector, Parsed, address, decode_text, domain, split_port

CATEGORY = "browser-miner"
_COSMETIC = re.compile(r"#[@?$%]?#|#@[$?%]#")
_PATTERN = re.compile(r"^(\*|https?|wss?)://([^/]*)(/.*)?$")
_WHOLE_PATH = ("", "/", "/*")


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    for number, line in enumerate(decode_text(data).splitlines(), 1):
        line = line.strip()
        if _ignored(line):
            continue
        reason = _rule(out, number, line)
        if reason:
            out.skip(number, f"unsupported: {reason}: {line[:60]}")
    return out.result()


def _ignored(line: str) -> bool:
    """Blank lines, comments, the list header and cosmetic (element-hiding, scriptlet) rules."""
    return (not line or line.startswith(("!", "[")) or (line.startswith("#") and not
            line.startswith("##")) or _COSMETIC.search(line) is not None)


def _rule(out: Collector, number: int, line: str) -> str:
    """Add the rule's indicator; return why it gives none ('' when it did)."""
    if line.startswith("@@"):
        return "exception rule"
    if len(line) > 1 and line.startswith("/") and line.rstrip().partition("$")[0].endswith("/"):
        return "regular expression"
    if line.startswith("||"):
        return _host_rule(out, number, line[2:])
    if line.startswith("$"):
        return "options-only rule"
    match = _PATTERN.match(line.removeprefix("|"))
    if match:
        return _pattern(out, number, match)
    return "URL substring rule"


def _host_rule(out: Collector, number: int, body: str) -> str:
    rule, _, options = body.partition("$")
    host = re.split(r"[\^/|]", rule, maxsplit=1)[0]
    rest = rule[len(host):]
    if "badfilter" in options.split(","):
        return "badfilter rule"
    if "*" in host:
        return "wildcard host"
    if rest not in ("", "^", "^|"):
        return "path rule"
    return _host(out, number, host)


def _pattern(out: Collector, number: int, match: re.Match) -> str:
    host, path = match.group(2), (match.group(3) or "").removesuffix("^")
    if path not in _WHOLE_PATH and not (path == "" and host.endswith("^")):
        return "path rule"
    return _host(out, number, host.removesuffix("^"))


def _host(out: Collector, number: int, host: str) -> str:
    split = split_port(host)
    name, port = split if split else (host, 0)
    if name == "*" or "*" in name.removeprefix("*."):
        return "wildcard host"
    if ip := address(name):
        out.add("ip_port" if port else "ip", ip, f"line {number}", port)
    elif value := domain(name):
        out.add("domain", value, f"line {number}", port)
    else:
        return "not a host name"
    return ""


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
