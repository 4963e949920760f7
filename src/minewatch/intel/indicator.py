"""Indicator rows and the value rules every importer shares.

An importer turns one list into rows of the `intel_indicators` table (without `source` and
`imported_at`, which the store sets) and a list of (line, reason) for what it could not use.
Values are normalised here once: domains lower-case, IDNA (punycode), no trailing dot; IP text
as `ipaddress` writes it; networks as CIDR text.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

KINDS = ("domain", "ip", "ip_port", "cidr", "url", "wallet")
CATEGORIES = ("pool", "browser-miner", "cryptojacking", "proxy", "other")

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Endings of file names that look like host names in keyword lists (coinhive.min.js).
_FILE_ENDINGS = frozenset({"js", "wasm", "php", "html", "htm", "css", "json", "txt", "xml", "exe",
                           "asp", "aspx", "cfm", "jsp", "cgi", "png", "jpg", "gif", "svg", "min"})


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one list gave: indicator rows, and (line, reason) for every line not used."""
    rows: list[dict]
    bad: list[tuple[int, str]]


@dataclass(slots=True)
class Collector:
    """Gathers one parse's rows (first of each kind/value/port wins) and bad lines."""
    category: str
    rows: dict[tuple, dict] = field(default_factory=dict)
    bad: list[tuple[int, str]] = field(default_factory=list)

    def add(self, kind: str, value: str, reference: str, port: int = 0, **facts) -> None:
        row = {"kind": kind, "value": value, "port": port, "coin": facts.get("coin", ""),
               "algorithm": facts.get("algorithm", ""), "tls": facts.get("tls"),
               "category": facts.get("category", self.category), "source": "",
               "reference": reference, "imported_at": None}
        self.rows.setdefault((kind, value, port), row)

    def add_value(self, text: str, reference: str, **facts) -> bool:
        """Add `text` as whatever indicator it is (see `classify`); False when it is none."""
        found = classify(text)
        if found is None:
            return False
        kind, value, port = found
        self.add(kind, value, reference, facts.pop("port", 0) or port, **facts)
        return True

    def skip(self, line: int, reason: str) -> None:
        self.bad.append((line, reason))

    def result(self) -> Parsed:
        return Parsed(list(self.rows.values()), self.bad)


def decode_text(data: bytes | str) -> str:
    """Text of a list: UTF-8 (a BOM dropped), undecodable bytes replaced, never raising."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return data.removeprefix("\ufeff")


def domain(text: str) -> str | None:
    """A host name normalised (lower case, punycode, no trailing dot, no leading `*.`), or None."""
    name = text.strip().lower().rstrip(".")
    name = name.removeprefix("*.").removeprefix(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        return None
    return name if any(c.isalpha() for c in labels[-1]) else None


def keyword_domain(text: str) -> str | None:
    """A host name found alone in free text (rule contents, keyword lists), or None.

    Stricter than `domain`: the last label must be a plausible top-level domain, so file names
    (miner.min.js) and code (CRLT.Anonymous) are not taken for hosts."""
    if not text or text != text.strip() or "_" in text or any(c.isupper() for c in text):
        return None
    name = domain(text)
    if name is None:
        return None
    tld = name.rsplit(".", 1)[1]
    return name if _TLD.match(tld) and tld not in _FILE_ENDINGS else None


def address(text: str) -> str | None:
    """An IPv4/IPv6 address as text, or None."""
    try:
        return str(ipaddress.ip_address(text.strip().strip("[]")))
    except ValueError:
        return None


def network(text: str) -> str | None:
    """A CIDR network as text (host bits cleared), or None; a single-address network is an IP."""
    if "/" not in text:
        return None
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def port_number(text: str) -> int | None:
    text = str(text).strip()
    if not text.isdigit() or len(text) > 5:
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def split_port(text: str) -> tuple[str, int] | None:
    """`host:port`, `1.2.3.4:3333` or `[2001:db8::1]:3333` split; None without a valid port."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port = port_number(rest[1:]) if sep and rest.startswith(":") else None
    else:
        host, sep, rest = text.rpartition(":")
        port = port_number(rest) if sep and ":" not in host else None
    return (host, port) if port is not None else None


def classify(text: str) -> tuple[str, str, int] | None:
    """(kind, value, port) of one field: an IP, ip:port, CIDR, host, host:port or URL."""
    text = text.strip()
    if ip := address(text):
        return ("ip", ip, 0)
    if net := network(text):
        return ("cidr", net, 0) if "/" in net else ("ip", net, 0)
    if "://" in text:
        return _url(text)
    split = split_port(text)
    if split is not None:
        host, port = split
        if ip := address(host):
            return ("ip_port", ip, port)
        return ("domain", name, port) if (name := domain(host)) else None
    return ("domain", name, 0) if (name := domain(text)) else None


def _url(text: str) -> tuple[str, str, int] | None:
    scheme, _, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    host = host.rpartition("@")[2]
    split = split_port(host)
    bare = split[0] if split else host
    name = address(bare) or domain(bare)
    if not scheme.isalnum() or name is None or " " in path:
        return None
    return ("url", f"{scheme.lower()}://{host.lower()}{slash}{path}", 0)


def host_value(text: str) -> tuple[str, str, int] | None:
    """(kind, value, port) for a field that names a host or address (no URL, no network)."""
    found = classify(text)
    return found if found is not None and found[0] in ("domain", "ip", "ip_port") else None


def data_lines(text: str):
    """(line number, content) of each line that is not blank or a `#` comment; inline ` #`
    comments are cut off."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.partition(" #")[0].partition("\t#")[0].strip()
        if line and not line.startswith("#"):
            yield number, line
