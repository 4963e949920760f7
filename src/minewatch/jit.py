"""Where numba keeps minewatch's compiled kernels: a cache directory per version of the source.

numba's own cache (`cache=True`) is checked against the file of each compiled function only.
A kernel inlines functions and freezes constants from other modules (the rings' layout in
`detect.steady_book`, limits from `detect.stratum`), and a change there alone would leave the
cached machine code of the old layout in use: wrong results, silently. So the cache lives in
a directory named by a hash of every source file of the package, and any change to the source
(an edit, an upgrade, another checkout) compiles afresh, into its own directory.

The hash also takes the package's path and each file's modification time and size: numba
keys its index by the path of the source file and throws a cached kernel away when the
file's stamp differs, so a fresh checkout of the same source at the same path would find a
directory full of kernels numba no longer loads, and compile in the reader's own process
(`cold` would not know). One directory per (path, stamps, content) is exactly as warm as
numba will treat it.

A directory is warm once `ingest.warm` has run through every kernel in it and left the
`WARM_MARK` file: kernels cached by something else (the simulator, one test) do not make it so.

The base is $NUMBA_CACHE_DIR if set, else the user's cache directory ($XDG_CACHE_HOME or
~/.cache) under minewatch/numba. Directories of other versions unused for `STALE_DAYS` are
removed, and all but the `KEEP_RECENT` most recently used. Where no base can be written,
numba falls back to its own places.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
STALE_DAYS = 14
KEEP_RECENT = 8  # cache directories kept, this version's included (other checkouts, versions)
WARM_MARK = "warm"  # written by ingest.warm once every packet kernel is in the directory
BASE_VAR = "MINEWATCH_NUMBA_BASE"  # the base, for child processes (NUMBA_CACHE_DIR is ours)


def source_hash(root: Path = PACKAGE) -> str:
    """A hash of root's path and of every .py file under it (names, stamps and contents)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(str(root.resolve()).encode() + b"\0")
    for path in sorted(root.rglob("*.py")):
        stat = path.stat()
        h.update(f"{path.relative_to(root).as_posix()}\0{stat.st_mtime_ns}\0{stat.st_size}\0"
                 .encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def cache_base(env: dict = os.environ) -> Path:
    if env.get(BASE_VAR):  # (a child of a process that set it: the same base)
        return Path(env[BASE_VAR])
    if env.get("NUMBA_CACHE_DIR"):
        return Path(env["NUMBA_CACHE_DIR"]) / "minewatch"
    home = env.get("XDG_CACHE_HOME") or Path.home() / ".cache"  # (RuntimeError: no home)
    return Path(home) / "minewatch" / "numba"


def configure(root: Path = PACKAGE, env: dict = os.environ) -> Path | None:
    """Point numba at this source's cache directory; the directory, or None when it cannot
    be made. Call it before any kernel is defined (the package's __init__ does)."""
    try:
        base = cache_base(env)
        here = base / source_hash(root)
        here.mkdir(parents=True, exist_ok=True)
        os.utime(here)  # (in use: not stale)
    except (OSError, RuntimeError):
        return None
    _prune(base, here)
    env[BASE_VAR], env["NUMBA_CACHE_DIR"] = str(base), str(here)  # read when numba is imported
    if "numba" in sys.modules:  # (imported before minewatch: tell it now)
        from numba.core import config
        config.CACHE_DIR = str(here)
    return here


def cold(env: dict = os.environ) -> bool:
    """Whether this source's cache directory lacks the packet kernels: the first capture read
    after an install or an edit compiles them (about a minute)."""
    here = env.get("NUMBA_CACHE_DIR")
    return bool(here) and not (Path(here) / WARM_MARK).exists()


def mark_warm(env: dict = os.environ) -> None:
    """Say that every packet kernel is in this source's cache directory (see `cold`)."""
    here = env.get("NUMBA_CACHE_DIR")
    if here:
        try:
            (Path(here) / WARM_MARK).touch()
        except OSError:
            pass  # (the next run warms up again)


def _prune(base: Path, keep: Path) -> None:
    """Remove the directories of other versions unused for STALE_DAYS, and all but the
    KEEP_RECENT most recently used (each edit of a checkout makes one, some 25 MB)."""
    cutoff = time.time() - STALE_DAYS * 86400
    others = []
    for other in base.iterdir():
        try:
            if other != keep and other.is_dir():
                others.append((other.stat().st_mtime, other))
        except OSError:
            continue
    others.sort(reverse=True)
    for k, (used, other) in enumerate(others):
        if used < cutoff or k >= KEEP_RECENT - 1:
            shutil.rmtree(other, ignore_errors=True)
