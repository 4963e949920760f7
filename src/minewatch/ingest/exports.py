"""NetFlow v5/v9 and IPFIX datagrams found inside a packet capture (a collector's capture)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from minewatch import schema
from minewatch.decode import ipfix, netflow_v5, netflow_v9
from minewatch.decode.netflow_v9 import TemplateCache
from minewatch.decode.runs import Runs
from minewatch.errors import DecodeError

EXPORT_PORTS = frozenset({2055, 2056, 4739, 4740, 9995, 9996, 6343})


def looks_like_export(seg) -> bool:
    """An exporter datagram: IPFIX carries its own exact length; v5/v9 need a collector port."""
    p = seg.payload
    if len(p) < 20:
        return False
    version = int.from_bytes(p[:2], "big")
    if version == 10:
        return int.from_bytes(p[2:4], "big") == len(p)
    if version == 5:
        return len(p) == 24 + 48 * int.from_bytes(p[2:4], "big")
    return version == 9 and seg.dport in EXPORT_PORTS


BATCH = 4096  # datagrams decoded into one Arrow table at a time (vectorised, bounded memory)


@dataclass(slots=True)
class ExportDecoder:
    """Template state per exporter; a `flows` table out; malformed datagrams counted."""
    input_id: str
    cache: TemplateCache = field(default_factory=TemplateCache)
    datagrams: int = 0
    skipped: int = 0
    records: int = 0
    _pending: dict = field(default_factory=dict)  # module -> datagrams not yet tabled
    _tables: list = field(default_factory=list)
    _runs: Runs = field(default_factory=Runs)  # same-shape datagrams, decoded a batch at a time

    def add(self, seg) -> None:
        self.add_payload(seg.payload, seg.src)

    def add_payload(self, payload: bytes, exporter: str) -> None:
        self.datagrams += 1
        if self._runs.take(payload, exporter, self.cache):
            if self._runs.kept >= BATCH:
                self._table_runs()
            return
        version = int.from_bytes(payload[:2], "big")
        module = {10: ipfix, 9: netflow_v9, 5: netflow_v5}.get(version)
        if module is None:
            self.skipped += 1
            return
        try:
            dgram = module.parse_datagram(payload, exporter, self.cache)
        except DecodeError:
            self.skipped += 1
            return
        self._runs.learn(payload, dgram, self.cache)
        batch = self._pending.setdefault(module, [])
        batch.append(dgram)
        if len(batch) >= BATCH:
            self._table(module)

    def _table(self, module) -> None:
        self._keep(module.to_flow_table(self._pending.pop(module, []), self.input_id))

    def _table_runs(self) -> None:
        for table in self._runs.tables(self.input_id):
            self._keep(table)

    def _keep(self, table: pa.Table) -> None:
        self.records += table.num_rows
        self._tables.append(table)

    def table(self) -> pa.Table:
        self._table_runs()
        for module in list(self._pending):
            self._table(module)
        return pa.concat_tables(self._tables) if self._tables else schema.empty_table("flows")
