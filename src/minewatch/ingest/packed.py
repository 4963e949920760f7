"""Compressed inputs: captures and logs are often shared gzip-, bzip2-, xz- or zstd-compressed,
and Wireshark reads them as they are. They are read here through the standard library's
decompressors (zstd: Python 3.14's `compression.zstd`, from `backports.zstd` before 3.14), as a
stream (nothing is unpacked to disk).

An input's identity is the sha256 of what it holds, not of its packed bytes, so a capture fed
once packed and once not is ingested once (it is unpacked twice for that: once to hash, once
to read; gzip unpacks at a few hundred MB a second). A packed stream cut short (a download that
stopped) reads as a file cut at that point, and says so. Damage inside one ends it when the
decompressor or, at the latest, the packing's checksum finds it (zstd's is optional; the zstd
tool writes it)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import zlib
from typing import BinaryIO

try:
    from compression import zstd  # Python 3.14
except ImportError:
    from backports import zstd

KINDS = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"),
         (b"\x28\xb5\x2f\xfd", "zstd"))
_OPEN = {"gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"), "bzip2": bz2.BZ2File,
         "xz": lzma.LZMAFile, "zstd": zstd.ZstdFile}
# gzip.BadGzipFile is an OSError
_DAMAGE = (EOFError, OSError, lzma.LZMAError, zlib.error, zstd.ZstdError)
CHUNK = 1 << 20


def kind(head: bytes) -> str | None:
    """The compression an input's first bytes show, or None."""
    return next((name for magic, name in KINDS if head.startswith(magic)), None)


class Unpacked(io.RawIOBase):
    """The decompressed stream of a packed file object. Damage (a cut or corrupt stream) ends
    it, with `error` saying why; `seek` rewinds, or reads on to the end."""

    def __init__(self, f: BinaryIO, packing: str) -> None:
        super().__init__()
        self.packing, self.error = packing, None
        self._f, self._inner, self._pos = f, _OPEN[packing](f), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, view) -> int:
        if self.error is not None:
            return 0
        try:  # one step of the decompressor: a longer read would lose what came before damage
            data = self._inner.read1(min(len(view), CHUNK))
        except _DAMAGE as exc:
            self.error = f"the {self.packing} stream is cut short or damaged ({exc})"
            return 0
        view[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END and offset == 0:
            while self.read(CHUNK):
                pass
            return self._pos
        if (whence, offset) != (io.SEEK_SET, 0):
            raise io.UnsupportedOperation("a packed input can only be rewound")
        self._f.seek(0)
        self._inner, self._pos, self.error = _OPEN[self.packing](self._f), 0, None
        return 0


def sha256(f: Unpacked) -> tuple[str, int]:
    """The sha256 of what f holds (as far as it can be read) and its length; f is left at its
    end, with `error` set if damage ended it."""
    h = hashlib.sha256()
    while chunk := f.read(CHUNK):
        h.update(chunk)
    return h.hexdigest(), f.tell()
