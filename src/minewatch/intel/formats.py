"""The importers by name, and a guess of a list's format and category from its content."""

from __future__ import annotations

import json
import re
from pathlib import Path

from minewatch.intel import (adblock, csvtable, domains, falco, hosts, ips, misp, sigma, stix,
                             suricata)
from minewatch.intel.indicator import Parsed, address, classify, decode_text, host_value

FORMATS = {"hosts": hosts, "adblock": adblock, "domains": domains, "ips": ips, "csv": csvtable,
           "suricata": suricata, "sigma": sigma, "falco": falco, "stix": stix, "misp": misp}
_RULE = re.compile(r"^#?\s*(alert|drop|reject|pass)\s+\S+\s.*\(.*\b(msg|sid)\s*:", re.I)
_FALCO = re.compile(r"^- (list|macro|rule|required_engine_version):", re.M)
_ADBLOCK = re.compile(r"^(\|\||@@|\|https?:|\*://|wss?://|/.*/\$?)|\^(\$|$)|##|#@#")
_LISTS = ("hosts", "adblock", "domains", "ips", "csv")  # formats whose header may say "browser"
_SAMPLE = 500  # lines looked at to guess a line-based format


def parse_file(path: str | Path, fmt: str = "auto", category: str | None = None
               ) -> tuple[str, str, Parsed]:
    """(format, category, parsed) of one list file; 'auto' guesses the format, category None
    the usual category. Raises OSError when the file cannot be read, ValueError when 'auto'
    finds no format."""
    text = decode_text(Path(path).read_bytes())
    if fmt == "auto":
        fmt = sniff(text, str(path))
        if fmt is None:
            raise ValueError("unrecognised list format (give --format)")
    category = category or default_category(fmt, text, str(path))
    return fmt, category, FORMATS[fmt].parse(text, category)


def sniff(text: str, name: str = "") -> str | None:
    """The format of a list's text (file name as a last hint), or None when nothing fits."""
    root = _json(text)
    if root is not None:
        return _json_format(root)
    if re.search(r"^detection:", text, re.M) and re.search(r"^(logsource|title):", text, re.M):
        return "sigma"
    if _FALCO.search(text):
        return "falco"
    return _by_name(name) or _line_format(text)


def _json(text: str):
    """The parsed JSON document when the text is one, else None."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _json_format(root) -> str | None:
    first = root[0] if isinstance(root, list) and root else root
    if not isinstance(first, dict):
        return None
    if first.get("type") in ("bundle", "indicator") or "objects" in first:
        return "stix"
    return "misp" if "Event" in first or "response" in first else None


def _line_format(text: str) -> str | None:
    lines = [ln.strip() for ln in text.splitlines()[:_SAMPLE * 4] if ln.strip()][:_SAMPLE]
    if lines and lines[0].startswith(("[Adblock", "[uBlock", "[AdGuard")):
        return "adblock"
    rules, data = sum(bool(_RULE.match(ln)) for ln in lines), sum(ln[0] != "#" for ln in lines)
    if data and rules * 2 >= data:
        return "suricata"
    votes: dict[str, int] = {}
    for ln in lines:
        if not ln.startswith(("#", "!")):
            kind = _line_kind(ln)
            votes[kind] = votes.get(kind, 0) + 1
    votes.pop("", None)
    return max(votes, key=votes.get) if votes else None


def _line_kind(line: str) -> str:
    """The format one data line most looks like ('' for none)."""
    fields = line.split()
    if _ADBLOCK.search(line):
        return "adblock"
    if len(fields) > 1 and address(fields[0]) and host_value(fields[1]):
        return "hosts"
    if "," in line:
        return "csv"
    found = classify(fields[0])
    if found is not None and found[0] in ("ip", "ip_port", "cidr"):
        return "ips"
    return "domains" if host_value(fields[0]) else ""


def _by_name(name: str) -> str | None:
    suffix = Path(name).suffix.lower()
    return {".rules": "suricata", ".csv": "csv"}.get(suffix)


def default_category(fmt: str, text: str, name: str = "") -> str:
    """browser-miner when the list says it is about browsers (its name or leading comments),
    else the format's usual category (adblock lists: browser-miner; others: pool)."""
    head = "\n".join(ln for ln in text.splitlines()[:30] if ln.lstrip().startswith(("#", "!")))
    hinted = "browser" in Path(name).name.lower() or "browser" in head.lower()
    return "browser-miner" if hinted and fmt in _LISTS else FORMATS[fmt].CATEGORY
