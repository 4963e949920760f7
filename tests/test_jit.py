"""The compiled kernels' cache follows the whole source: a change anywhere compiles afresh."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from minewatch import jit


def package(tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    (root / "detect").mkdir(parents=True)
    (root / "detect" / "book.py").write_text("JOBS = 64\n")
    (root / "detect" / "kernel.py").write_text("from .book import JOBS\n")
    return root


def test_a_change_in_any_module_names_another_cache(tmp_path):
    root = package(tmp_path)
    first = jit.source_hash(root)
    assert jit.source_hash(root) == first
    (root / "detect" / "book.py").write_text("JOBS = 128\n")  # not the kernel's own file
    second = jit.source_hash(root)
    (root / "detect" / "new.py").write_text("")
    assert len({first, second, jit.source_hash(root)}) == 3


def test_a_new_stamp_or_place_names_another_cache(tmp_path):
    """numba drops a cached kernel whose source file's stamp or path differs: so does the
    directory's name (a fresh checkout of the same source is a cold cache)."""
    root = package(tmp_path)
    first = jit.source_hash(root)
    book = root / "detect" / "book.py"
    os.utime(book, ns=(book.stat().st_atime_ns, book.stat().st_mtime_ns + 10**9))
    second = jit.source_hash(root)
    copy = tmp_path / "elsewhere"
    shutil.copytree(root, copy)
    for a, b in zip(sorted(root.rglob("*.py")), sorted(copy.rglob("*.py"))):
        os.utime(b, ns=(a.stat().st_atime_ns, a.stat().st_mtime_ns))
    assert len({first, second, jit.source_hash(copy)}) == 3


def test_configure_points_numba_below_the_base_and_children_share_it(tmp_path):
    root, env = package(tmp_path), {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    here = jit.configure(root, env)
    assert here == tmp_path / "xdg" / "minewatch" / "numba" / jit.source_hash(root)
    assert here.is_dir() and env["NUMBA_CACHE_DIR"] == str(here)
    assert jit.configure(root, env) == here  # a child process inherits env: the same place
    user = {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}
    assert jit.configure(root, user).parent == tmp_path / "mine" / "minewatch"


def test_stale_versions_are_removed_and_the_current_one_kept(tmp_path):
    root, env = package(tmp_path), {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    base = jit.cache_base(env)
    old, recent = base / "0123456789abcdef", base / "fedcba9876543210"
    for d in (old, recent):
        d.mkdir(parents=True)
    long_ago = time.time() - (jit.STALE_DAYS + 1) * 86400
    os.utime(old, (long_ago, long_ago))
    here = jit.configure(root, env)
    assert not old.exists() and recent.is_dir() and here.is_dir()


def test_only_the_most_recently_used_versions_are_kept(tmp_path):
    root, env = package(tmp_path), {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    base = jit.cache_base(env)
    now = time.time()
    others = [base / f"{k:016x}" for k in range(jit.KEEP_RECENT + 3)]
    for k, d in enumerate(others):  # (the first the most recently used)
        d.mkdir(parents=True)
        os.utime(d, (now - 60 * k, now - 60 * k))
    here = jit.configure(root, env)
    assert sorted(p for p in base.iterdir()) == sorted(others[:jit.KEEP_RECENT - 1] + [here])


def test_an_unwritable_base_leaves_numba_as_it_was(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"XDG_CACHE_HOME": str(blocker)}
    assert jit.configure(package(tmp_path), env) is None
    assert "NUMBA_CACHE_DIR" not in env


def test_importing_minewatch_sets_numba_cache_dir(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", jit.BASE_VAR)} | {"XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", "import minewatch.decode.jsonscan; from numba.core import config;"
                               " print(config.CACHE_DIR)"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(out) == tmp_path / "minewatch" / "numba" / jit.source_hash()


def test_no_home_leaves_numba_as_it_was(tmp_path, monkeypatch):
    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    env: dict = {}
    assert jit.configure(package(tmp_path), env) is None and env == {}


def test_cold_until_the_warm_up_marks_it(tmp_path):
    """Kernels some other run cached (the simulator's, one test's) are not all of them."""
    here = tmp_path / "abc"
    (here / "decode_1").mkdir(parents=True)
    env = {"NUMBA_CACHE_DIR": str(here)}
    (here / "decode_1" / "framescan.walk_pcap-65.py311.nbi").write_bytes(b"")
    assert jit.cold(env)
    jit.mark_warm(env)
    assert not jit.cold(env)
    assert not jit.cold({})  # numba's own places: nothing to say
    jit.mark_warm({})  # (nothing to mark)
