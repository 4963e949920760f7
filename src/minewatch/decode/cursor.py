"""Bounds-checked reading of one message's bytes, shared by the binary decoders."""

from __future__ import annotations

from minewatch.errors import DecodeError


class Cursor:
    """Reads a message front to back; running off its end is malformed input (DecodeError)."""

    __slots__ = ("data", "pos")
    OVERRUN = "field runs past the end of its message"  # subclasses name their format

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DecodeError(self.OVERRUN)
        self.pos += n
        return self.data[self.pos - n:self.pos]

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)
