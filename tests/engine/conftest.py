"""The engine's tests analyse small captures made of simulated packets."""

from __future__ import annotations

import pytest

from minewatch.cli.progress import NullProgress
from minewatch.engine.local import analyze
from minewatch.sim.packets import write_pcap
from minewatch.store.duck import Store


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory):
    """analyzed(packets, name) -> the `sessions` rows of a capture of those packets, as
    `minewatch analyze` derives them."""
    def run(packets, name: str) -> list[dict]:
        path = tmp_path_factory.mktemp(name) / f"{name}.pcap"
        with path.open("wb") as f:
            write_pcap(f, packets)
        db = path.with_suffix(".duckdb")
        analyze([str(path)], db, None, NullProgress())
        with Store(db, read_only=True) as store:
            return store.rows("SELECT * FROM sessions")
    return run
