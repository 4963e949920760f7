"""CSV lists, read by their header.

Recognised columns (case-insensitive): the indicator in host, hostname, domain, fqdn, server,
address, ip, url or indicator; then port, coin (currency, ticker), algorithm (algo) and tls
(ssl). Other columns are ignored. A file without such a header (the nesfit `ip,port` lists,
the SoK keyword lists) is read cell by cell: a cell that is an address or plainly a host name is
an indicator, and a port in the cell after an address goes with it. A row that gives nothing is
reported with its line.
"""

from __future__ import annotations

import csv
import io

from minewatch.intel.indicator import (Collector, Parsed, address, classify, decode_text,
                                       keyword_domain, port_number)

CATEGORY = "pool"
VALUE_COLUMNS = ("host", "hostname", "domain", "fqdn", "server", "address", "ip", "ip_address",
                 "url", "indicator")
FACT_COLUMNS = {"port": "port", "dst_port": "port", "coin": "coin", "currency": "coin",
                "ticker": "coin", "algorithm": "algorithm", "algo": "algorithm", "tls": "tls",
                "ssl": "tls"}
_TRUE, _FALSE = {"true", "yes", "1", "tls", "ssl", "y"}, {"false", "no", "0", "n"}


def parse(data: bytes | str, category: str = CATEGORY) -> Parsed:
    out = Collector(category)
    rows = csv.reader(io.StringIO(decode_text(data), newline=""))
    try:
        _rows(out, rows)
    except csv.Error as exc:  # a field over the csv module's limit: the rest is unreadable
        out.skip(rows.line_num, f"not CSV from here on: {str(exc)[:60]}")
    return out.result()


def _rows(out: Collector, rows) -> None:
    header: dict[str, int] | None = None
    first = True
    for row in rows:
        number = rows.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if first and (found := _header(row)):
            header = found
        elif header is not None:
            _headed(out, number, row, header)
        else:
            _headless(out, number, row)
        first = False


def _header(row: list[str]) -> dict[str, int]:
    """Column positions by meaning, when the row names an indicator column; else {}."""
    names = [cell.strip().lower().replace(" ", "_") for cell in row]
    value = next((i for i, n in enumerate(names) if n in VALUE_COLUMNS), None)
    if value is None:
        return {}
    facts = {FACT_COLUMNS[n]: i for i, n in enumerate(names) if n in FACT_COLUMNS}
    return {"value": value, **facts}


def _headed(out: Collector, number: int, row: list[str], header: dict[str, int]) -> None:
    cell = _cell(row, header["value"])
    found = classify(cell)
    if found is None:
        out.skip(number, f"not an indicator: {cell[:60]}")
        return
    kind, value, port = found
    given = port_number(_cell(row, header.get("port")))
    if given and kind in ("ip", "domain"):
        kind, port = ("ip_port" if kind == "ip" else "domain"), given
    out.add(kind, value, f"line {number}", port, coin=_cell(row, header.get("coin")).upper(),
            algorithm=_cell(row, header.get("algorithm")).lower(),
            tls=_tls(_cell(row, header.get("tls"))))


def _headless(out: Collector, number: int, row: list[str]) -> None:
    cells = [cell.strip() for cell in row]
    found = False
    for i, cell in enumerate(cells):
        if ip := address(cell):
            port = port_number(cells[i + 1]) if i + 1 < len(cells) else None
            out.add("ip_port" if port else "ip", ip, f"line {number}", port or 0)
            found = True
        elif name := _keyword_host(cell):
            out.add("domain", name, f"line {number}")
            found = True
    if not found:
        out.skip(number, f"no host or address: {','.join(cells)[:60]}")


def _keyword_host(cell: str) -> str | None:
    """A keyword cell that names a whole host: `host`, `.host`, `host/`, `"https://host/"`."""
    cell = cell.strip('"').partition("://")[2] or cell.strip('"')
    return keyword_domain(cell.removeprefix(".").removesuffix("/"))


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _tls(text: str) -> bool | None:
    text = text.lower()
    return True if text in _TRUE else False if text in _FALSE else None


def parse_stream(fileobj, category: str = CATEGORY) -> Parsed:
    return parse(fileobj.read(), category)


def parse_file(path, category: str = CATEGORY) -> Parsed:
    with open(path, "rb") as f:
        return parse_stream(f, category)
