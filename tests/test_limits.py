"""Every DuckDB connection minewatch opens gets the same memory cap."""

import os

import duckdb
import pytest

from minewatch.limits import tune

SETTING = "SELECT current_setting('{}')"


@pytest.mark.skipif("MINEWATCH_DUCKDB_MEMORY" in os.environ, reason="the cap is set by hand")
def test_tune_caps_memory_and_silences_duckdbs_progress_bar():
    con = tune(duckdb.connect())
    assert con.execute(SETTING.format("memory_limit")).fetchone()[0] == "366.2 MiB"  # 384 MB
    assert con.execute(SETTING.format("enable_progress_bar")).fetchone()[0] is False
