"""Many inputs in one `analyze`: what outlives each input is frozen while the next is read, so
that releasing memory between inputs walks only the new objects (engine.local.analyze)."""

from __future__ import annotations

import gc

from minewatch.cli.progress import NullProgress
from minewatch.engine import local
from minewatch.ingest import warm


def test_inputs_are_read_with_what_earlier_ones_left_frozen(tmp_path, monkeypatch):
    paths = []
    for k, data in enumerate(warm.captures()):  # (a classic pcap and a pcapng)
        paths.append(tmp_path / f"part{k}.pcap")
        paths[-1].write_bytes(data)
    before, seen = gc.get_freeze_count(), []
    release = local.release_memory

    def watched() -> None:
        seen.append(gc.get_freeze_count())
        release()

    monkeypatch.setattr(local, "release_memory", watched)
    result = local.analyze([str(p) for p in paths], tmp_path / "mw.duckdb", None, NullProgress())
    assert [r.status for r in result.inputs] == ["ok", "ok"] and result.sessions >= 1
    # the first release runs with the objects made before the inputs frozen, the second with
    # what the first input left too; the last, before deriving, with nothing frozen
    assert len(seen) == 3 and seen[0] > before and seen[1] > seen[0] and seen[2] == before
    assert gc.get_freeze_count() == before
