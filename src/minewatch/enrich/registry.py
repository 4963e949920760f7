"""The owner register: which organisation holds an address range, its type, city and contact.

A register is a CSV kept by the network operator (often exported from a spreadsheet, so UTF-8
with or without BOM, or GBK/GB18030) with columns ``prefix, organisation, owner_type, city,
contact``. ``prefix`` is a CIDR (58.192.0.0/16), a single address, or a range 'a.b.c.d-e.f.g.h'.

The same columns may come as an .xlsx workbook (first sheet, header in row 1; line numbers are
spreadsheet rows); `OwnerRegister.from_file` tells the two apart by content, not by name.

Ranges may nest (a university's /16 and one faculty's /24 inside it); the most specific range
wins. Ranges that partly overlap cannot both be right, so the later row is rejected. Lookups are
vectorised: at load time the nested ranges are flattened into non-overlapping intervals, each
with its most specific owner, and `lookup` is one ``numpy.searchsorted``.

In the database a register is the ``owner_register`` table (`to_table` / `from_table`), kept
as a whole: an import replaces it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from minewatch import schema
from minewatch.enrich.geo import parse_ipv4
from minewatch.enrich.owner_type import OWNER_TYPES, classify
from minewatch.errors import InputError

REGISTER_COLUMNS = ("prefix", "organisation", "owner_type", "city", "contact")
LOOKUP_COLUMNS = ("owner_org", "owner_type", "owner_city", "owner_contact")
# Header spellings met in practice (English variants and the usual Chinese spreadsheet titles).
HEADER_ALIASES = {
    "ip": "prefix", "ip段": "prefix", "网段": "prefix", "地址段": "prefix", "cidr": "prefix",
    "organization": "organisation", "org": "organisation", "单位": "organisation",
    "单位名称": "organisation", "机构": "organisation", "type": "owner_type",
    "类型": "owner_type", "单位类型": "owner_type", "城市": "city", "地市": "city",
    "联系人": "contact", "联系方式": "contact",
}
# Owner types written in Chinese in a register.
TYPE_ALIASES = {
    "政府": "government", "党政机关": "government", "教育": "education", "学校": "education",
    "高校": "education", "企业": "enterprise", "公司": "enterprise", "医院": "hospital",
    "医疗": "hospital", "数据中心": "idc", "机房": "idc", "网吧": "internet_cafe",
    "家庭": "residential", "住宅": "residential", "居民": "residential", "未知": "unknown",
}
_UTF8_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx is a zip of XML parts
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass(frozen=True, slots=True)
class RowError:
    """A register row that was rejected, by its (1-based, header = 1) line number."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class OwnerRange:
    """Addresses `first`..`last` (inclusive, as uint32 values) held by one organisation."""

    first: int
    last: int
    organisation: str
    owner_type: str
    city: str = ""
    contact: str = ""
    prefix: str = ""  # as written in the register
    line: int = 0  # register line, 0 when built in code
    source: str = ""  # file the row came from

    @property
    def size(self) -> int:
        """Number of addresses in the range."""
        return self.last - self.first + 1


def parse_prefix(text: str) -> tuple[int, int]:
    """(first, last) address of a CIDR, single address or 'a-b' range; ValueError if bad."""
    text = text.strip()
    if "-" in text:
        first, last = (_ipv4(part) for part in text.split("-", 1))
        if first > last:
            raise ValueError(f"reversed range {text!r}")
        return first, last
    if "/" in text:
        network = _ipv4_network(text)
        return int(network.network_address), int(network.broadcast_address)
    address = _ipv4(text)
    return address, address


def _ipv4(text: str) -> int:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise ValueError(f"bad IP address {text.strip()!r}") from None
    if address.version != 4:
        raise ValueError(f"IPv6 is not supported in the register yet: {text.strip()!r}")
    return int(address)


def _ipv4_network(text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(text)
    except ValueError as exc:
        raise ValueError(f"bad CIDR {text!r}: {exc}") from None
    if network.version != 4:
        raise ValueError(f"IPv6 is not supported in the register yet: {text!r}")
    return network


def format_prefix(first: int, last: int) -> str:
    """Shortest text for a range: an address, a CIDR when it is one, else 'a-b'."""
    if first == last:
        return str(ipaddress.IPv4Address(first))
    nets = list(ipaddress.summarize_address_range(
        ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)))
    if len(nets) == 1:
        return str(nets[0])
    return f"{ipaddress.IPv4Address(first)}-{ipaddress.IPv4Address(last)}"


class OwnerRegister:
    """Nested owner ranges, flattened for vectorised lookup (most specific range wins)."""

    def __init__(self, ranges: Iterable[OwnerRange]) -> None:
        """`ranges` must only nest, never partly overlap; `from_ranges` checks that."""
        self.ranges = tuple(ranges)
        self._bounds, self._owner = _flatten(self.ranges)
        self._owners = _owner_table(self.ranges)

    def __len__(self) -> int:
        return len(self.ranges)

    def __repr__(self) -> str:
        return f"OwnerRegister({len(self.ranges)} ranges)"

    @classmethod
    def from_ranges(cls, ranges: Iterable[OwnerRange]) -> tuple[OwnerRegister, list[RowError]]:
        """Register of the ranges that nest; the later of two partly overlapping rows is dropped."""
        kept, errors = _nested_only(list(ranges))
        return cls(kept), errors

    @classmethod
    def from_csv(cls, source) -> tuple[OwnerRegister, list[RowError]]:
        """Read a register CSV (path, or binary/text file object); bad rows come back as errors.

        Raises InputError only when the file cannot be read or lacks prefix/organisation columns.
        """
        text, errors = decode_register(_read_source(source))
        return cls._from_rows(csv_rows(text), errors)

    @classmethod
    def from_xlsx(cls, source) -> tuple[OwnerRegister, list[RowError]]:
        """Read the first sheet of an .xlsx register (path, bytes or binary file object).

        Line numbers are spreadsheet rows (header = 1). Raises InputError when the workbook
        cannot be opened or lacks prefix/organisation columns.
        """
        data = source if isinstance(source, bytes) else _read_source(source)
        return cls._from_rows(xlsx_rows(data), [])

    @classmethod
    def from_file(cls, path) -> tuple[OwnerRegister, list[RowError]]:
        """A register from a CSV or .xlsx file, told apart by content; rows remember the file."""
        data = _read_source(path)
        if isinstance(data, bytes) and data.startswith(_OLE2_MAGIC):
            raise InputError(f"{path}: legacy .xls workbook; save it as .xlsx or CSV")
        is_xlsx = isinstance(data, bytes) and data.startswith(_ZIP_MAGIC)
        register, errors = cls.from_xlsx(data) if is_xlsx else cls.from_csv(io.BytesIO(data))
        name = str(path)
        return cls(dataclasses.replace(r, source=name) for r in register.ranges), errors

    @classmethod
    def _from_rows(cls, rows: Iterator[tuple[int, list[str]]],
                   errors: list[RowError]) -> tuple[OwnerRegister, list[RowError]]:
        ranges, row_errors = _parse_rows(rows)
        register, overlap_errors = cls.from_ranges(ranges)
        return register, sorted(errors + row_errors + overlap_errors, key=lambda e: e.line)

    @classmethod
    def from_table(cls, table: pa.Table) -> OwnerRegister:
        """The register stored in the ``owner_register`` table; InputError if it is not one."""
        missing = set(schema.column_names("owner_register")) - set(table.column_names)
        if missing:
            raise InputError(f"not an owner_register table: lacks {', '.join(sorted(missing))}")
        ranges = [_stored_range(row) for row in table.to_pylist()]
        register, errors = cls.from_ranges(ranges)
        if errors:
            raise InputError(f"stored owner register is inconsistent: line {errors[0].line}: "
                             f"{errors[0].message}")
        return register

    def to_table(self) -> pa.Table:
        """The ranges as rows of the ``owner_register`` table (register order)."""
        rows = [{"prefix": r.prefix or format_prefix(r.first, r.last), "first_ip": r.first,
                 "last_ip": r.last, "organisation": r.organisation, "owner_type": r.owner_type,
                 "city": r.city, "contact": r.contact, "source": r.source, "line": r.line}
                for r in self.ranges]
        return schema.to_table("owner_register", rows)

    def owner_rows(self, ips) -> np.ndarray:
        """Index into `ranges` of the most specific range holding each address, -1 if none."""
        values, valid = parse_ipv4(ips)
        if not self.ranges:
            return np.full(len(values), -1, np.int64)
        idx = np.searchsorted(self._bounds, values.astype(np.int64), side="right") - 1
        owner = self._owner[np.clip(idx, 0, None)]
        return np.where(valid & (idx >= 0), owner, -1)

    def lookup(self, ips) -> pa.Table:
        """owner_org, owner_type, owner_city, owner_contact per address ('' when not covered)."""
        rows = self.owner_rows(ips)
        rows = np.where(rows < 0, len(self.ranges), rows)  # last row of _owners is empty
        return self._owners.take(pa.array(rows, pa.int64()))


def _read_source(source) -> bytes | str:
    if hasattr(source, "read"):
        return source.read()
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read owner register {source}: {exc}") from exc


def decode_register(data: bytes | str) -> tuple[str, list[RowError]]:
    """Text of a register: UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), []
    data = data.removeprefix(_UTF8_BOM)
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), []
        except UnicodeDecodeError:
            continue
    message = "neither UTF-8 nor GB18030; undecodable bytes replaced"
    return data.decode("gb18030", errors="replace"), [RowError(1, message)]


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) per CSV record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    for cells in reader:
        yield line + 1, cells
        line = reader.line_num


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, cells as text) for the first sheet of an .xlsx workbook."""
    import openpyxl  # only registers sent as spreadsheets need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
    # openpyxl reports a damaged workbook with whatever its zip/XML layers raise.
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot open the register workbook: {_first_line(exc)}") from None
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_cell_text(v) for v in values]
    except Exception as exc:  # noqa: BLE001  (a damaged sheet part, as above)
        raise InputError(f"cannot read the register sheet: {_first_line(exc)}") from None
    finally:
        book.close()


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV export would hold (12.0 -> '12', dates ISO)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _parse_rows(rows: Iterator[tuple[int, list[str]]]) -> tuple[list[OwnerRange], list[RowError]]:
    """Owner ranges of the data rows after the header; a bad row becomes a RowError."""
    columns = _header_columns(next(rows, (1, []))[1])
    ranges, errors = [], []
    for line, cells in rows:
        row = {name: cells[i].strip() for name, i in columns.items() if i < len(cells)}
        if not any(row.values()) or row.get("prefix", "").startswith("#"):
            continue
        try:
            ranges.append(_owner_range(row, line))
        except ValueError as exc:
            errors.append(RowError(line, str(exc)))
    return ranges, errors


def _header_columns(header: list[str]) -> dict[str, int]:
    """Position of each known column; InputError without prefix and organisation."""
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    columns = {}
    for i, name in enumerate(names):
        columns.setdefault(HEADER_ALIASES.get(name, name), i)
    missing = [c for c in ("prefix", "organisation") if c not in columns]
    if missing:
        raise InputError(f"owner register lacks column(s) {', '.join(missing)}; header {header}")
    return {c: i for c, i in columns.items() if c in REGISTER_COLUMNS}


def _owner_range(row: Mapping[str, str], line: int) -> OwnerRange:
    prefix = row.get("prefix", "")
    if not prefix:
        raise ValueError("empty prefix")
    first, last = parse_prefix(prefix)
    organisation = row.get("organisation", "")
    if not organisation:
        raise ValueError("empty organisation")
    owner_type = normalise_owner_type(row.get("owner_type", "")) or classify(organisation)[0]
    city, contact = row.get("city", ""), row.get("contact", "")
    return OwnerRange(first, last, organisation, owner_type, city, contact, prefix, line)


def _stored_range(row: Mapping) -> OwnerRange:
    """An OwnerRange from an ``owner_register`` row (already validated when imported)."""
    text = {k: row.get(k) or "" for k in ("prefix", "organisation", "owner_type", "city",
                                         "contact", "source")}
    return OwnerRange(int(row["first_ip"]), int(row["last_ip"]), text["organisation"],
                      text["owner_type"] or "unknown", text["city"], text["contact"],
                      text["prefix"], int(row.get("line") or 0), text["source"])


def normalise_owner_type(text: str) -> str:
    """A register's owner_type as one of OWNER_TYPES ('' if empty); ValueError if unknown."""
    text = text.strip()
    key = TYPE_ALIASES.get(text, text.lower().replace("-", "_").replace(" ", "_"))
    if key and key not in OWNER_TYPES:
        raise ValueError(f"unknown owner_type {text!r}; expected one of {', '.join(OWNER_TYPES)}")
    return key


def _nested_only(ranges: list[OwnerRange]) -> tuple[list[OwnerRange], list[RowError]]:
    """Drop rows that partly overlap or repeat another row; the later row is the one dropped.

    One sweep in address order (first ascending, widest first) with a stack of the open ranges:
    in a set that only nests, each range lies inside the innermost open one or after it.
    """
    order = sorted(range(len(ranges)), key=lambda i: _sweep_key(ranges[i], i))
    dropped: dict[int, RowError] = {}
    open_: list[int] = []
    for i in order:
        if _settle(ranges, open_, i, dropped):
            open_.append(i)
    kept = [r for i, r in enumerate(ranges) if i not in dropped]
    return kept, list(dropped.values())


def _sweep_key(r: OwnerRange, i: int) -> tuple[int, int, int, int]:
    """Address order, widest first; among equal ranges the earlier row first."""
    return r.first, -r.last, r.line, i


def _settle(
    ranges: list[OwnerRange], open_: list[int], i: int, dropped: dict[int, RowError]
) -> bool:
    """True when range `i` nests in (or follows) the open ranges; records each clash's loser."""
    r = ranges[i]
    while open_:
        j = open_[-1]
        top = ranges[j]
        if top.last < r.first:
            open_.pop()  # ended before r starts: no longer open
            continue
        if r.last <= top.last and (r.first, r.last) != (top.first, top.last):
            return True
        loser, winner = (i, j) if (r.line, i) > (top.line, j) else (j, i)
        dropped[loser] = _clash_error(ranges[loser], ranges[winner])
        if loser == i:
            return False
        open_.pop()  # the open range lost; check r against the next enclosing one
    return True


def _clash_error(loser: OwnerRange, winner: OwnerRange) -> RowError:
    text = loser.prefix or format_prefix(loser.first, loser.last)
    other = winner.prefix or format_prefix(winner.first, winner.last)
    where = f"{other} (line {winner.line})"
    if (loser.first, loser.last) == (winner.first, winner.last):
        return RowError(loser.line, f"{text} repeats {where}")
    why = "ranges may nest, not partly overlap"
    return RowError(loser.line, f"{text} partly overlaps {where}; {why}")


def _flatten(ranges: tuple[OwnerRange, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Interval starts (int64, ascending) and, per interval, the most specific owner or -1."""
    firsts = np.array([r.first for r in ranges], np.int64)
    ends = np.array([r.last for r in ranges], np.int64) + 1
    bounds = np.unique(np.concatenate([firsts, ends]))
    owner = np.full(len(bounds), -1, np.int64)
    lo, hi = np.searchsorted(bounds, firsts), np.searchsorted(bounds, ends)
    # Paint widest first so that every narrower (nested) range overwrites its parent.
    for i in np.argsort(firsts - ends, kind="stable"):
        owner[lo[i] : hi[i]] = i
    return bounds, owner


def _owner_table(ranges: tuple[OwnerRange, ...]) -> pa.Table:
    """Lookup columns, one row per range plus a final empty row for 'not covered'."""
    fields = ("organisation", "owner_type", "city", "contact")
    columns = {
        name: pa.array([getattr(r, f) for r in ranges] + [""], pa.string())
        for name, f in zip(LOOKUP_COLUMNS, fields, strict=True)
    }
    return pa.table(columns)


def write_csv(path_or_fileobj, rows: Iterable[OwnerRange | Mapping[str, str]],
              encoding: str = "utf-8") -> None:
    """Write a register (REGISTER_COLUMNS header) from ranges or mappings of those columns.

    `encoding` may be 'gb18030' (or 'utf-8-sig') to produce the files operators really send.
    """
    lines = [REGISTER_COLUMNS, *(_register_cells(row) for row in rows)]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(lines)
    data = buffer.getvalue().encode(encoding)
    if hasattr(path_or_fileobj, "write"):
        path_or_fileobj.write(data)
    else:
        Path(path_or_fileobj).write_bytes(data)


def _register_cells(row: OwnerRange | Mapping[str, str]) -> tuple[str, ...]:
    if isinstance(row, OwnerRange):
        prefix = row.prefix or format_prefix(row.first, row.last)
        return prefix, row.organisation, row.owner_type, row.city, row.contact
    return tuple(str(row.get(column, "") or "") for column in REGISTER_COLUMNS)
