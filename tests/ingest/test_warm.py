"""The warm-up compiles every kernel that reading traffic calls, with the same signatures, so
that a capture read after it compiles nothing (and keeps the compiler's memory out of it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from minewatch import jit
from minewatch.ingest import warm

PCAPS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pcaps"

# Every signature a minewatch kernel was called with in this process (from the cache or not).
SIGNATURES = """
import json, sys
from numba.core.registry import CPUDispatcher
def signatures():
    out = {}
    for m in list(sys.modules.values()):
        if not getattr(m, "__name__", "").startswith("minewatch"):
            continue
        for name, obj in vars(m).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == m.__name__:
                called = {str(s) for s in [*obj.stats.cache_hits, *obj.stats.cache_misses]}
                if called:
                    out[m.__name__ + "." + name] = sorted(called)
    return out
"""


def called(code: str) -> dict[str, list[str]]:
    out = subprocess.run([sys.executable, "-c", f"{code}\n{SIGNATURES}\n"
                          "print(json.dumps(signatures()))"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def test_reading_traffic_calls_no_kernel_the_warm_up_did_not(tmp_path):
    from minewatch.cli.progress import NullProgress
    from minewatch.sim.run import simulate

    simulate(tmp_path, 11, "small", NullProgress())
    paths = [tmp_path / "packets.pcap", tmp_path / "ipfix.pcap", *sorted(PCAPS.glob("*.pcap*"))]
    warmed = called("from minewatch.ingest.warm import warm\nwarm()")  # (first: on a cold
    # cache it compiles, and reading then compiles only what it missed, which shows)
    read = called("from minewatch.ingest.capture import read_capture\n"
                  f"for p in {[str(p) for p in paths]!r}:\n"
                  "    with open(p, 'rb') as f:\n"
                  "        read_capture(f, p, p)")
    assert {"minewatch.decode.framescan.walk_pcap", "minewatch.detect.steady.steady_pass",
            "minewatch.detect.steady_book.price"} <= read.keys()  # (the reading did read)
    assert {"minewatch.flows.conntable._rehash", "minewatch.flows.conntable._orphans"} \
        <= warmed.keys()  # (a busier capture grows the table, and sweeps pool sessions)
    missing = {k: sorted(set(v) - set(warmed.get(k, []))) for k, v in read.items()}
    assert {k: v for k, v in missing.items() if v} == {}


def test_the_warm_up_captures_are_both_formats_and_hold_a_pool_session():
    from minewatch.decode.pcap import sniff

    classic, ng = warm.captures()
    assert sniff(classic) == "pcap" and sniff(ng) == "pcapng"
    assert b"mining.submit" in classic and b"mining.submit" in ng


def test_compile_apart_runs_nothing_when_the_cache_is_warm(tmp_path, monkeypatch):
    here = tmp_path / "abc"
    here.mkdir()
    jit.mark_warm({"NUMBA_CACHE_DIR": str(here)})
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    assert warm.compile_apart({"NUMBA_CACHE_DIR": str(here)})


def test_compile_apart_fills_a_cold_cache_in_a_child(tmp_path, monkeypatch):
    """The child's command and environment; a failing child leaves the cache cold (False)."""
    here, seen = tmp_path / "cold", []
    here.mkdir()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(here))

    def child(cmd, **kw):
        seen.append((cmd, kw["env"]["NUMBA_CACHE_DIR"]))
        assert kw["env"]["PYTHONPATH"].split(os.pathsep)[0] == str(jit.PACKAGE.parent)
        jit.mark_warm(kw["env"])

    monkeypatch.setattr(subprocess, "run", child)
    assert warm.compile_apart(env)
    assert seen == [([sys.executable, "-m", "minewatch.ingest.warm"], str(here))]

    def failing(cmd, **kw):
        raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(subprocess, "run", failing)
    (here / jit.WARM_MARK).unlink()
    assert not warm.compile_apart(env) and jit.cold(env)


def test_the_child_marks_the_cache_warm_only_after_the_warm_up(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    seen = []
    monkeypatch.setattr(warm, "warm", lambda: seen.append(jit.cold()))
    warm.main()
    assert seen == [True] and not jit.cold()
