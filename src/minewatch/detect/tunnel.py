"""A pool session reached through a proxy: both sides' preambles (`decode.proxy`) read and
taken off, so that the pool dialect after them is read as if the miner had dialled the pool.
"""

from __future__ import annotations

from minewatch.decode import proxy
from minewatch.errors import DecodeError, NeedMoreData

DIRECTIONS = ("up", "down")


class ProxyTunnel:
    """Holds each side's bytes until its preamble is over, then passes them on.

    `feed` returns (direction, bytes) pieces to read on, in order: nothing while a preamble
    may still be coming; the bytes after it once it is read; every byte held, unchanged, once
    the client's first bytes prove not to be a proxy request (nothing is lost either way)."""

    def __init__(self) -> None:
        self.request: proxy.ProxyRequest | None = None
        self.granted: bool | None = None  # the proxy's answer, once read
        self.proxied: bool | None = None  # None until the client's first bytes tell
        self._held = {d: bytearray() for d in DIRECTIONS}
        self._open: set[str] = set()  # directions past their preamble

    @property
    def settled(self) -> bool:
        """Both sides are past their preambles: every later byte passes straight through."""
        return len(self._open) == 2

    def feed(self, direction: str, data: bytes) -> list[tuple[str, bytes]]:
        if direction in self._open:
            return [(direction, data)] if data else []
        self._held[direction] += data
        if self.proxied is None:
            self._read_request()
        if self.proxied and "down" not in self._open:
            self._read_reply()
        return self._release()

    def _read_request(self) -> None:
        try:
            self.request, n = proxy.parse_request(bytes(self._held["up"]))
        except NeedMoreData:
            if len(self._held["down"]) > proxy.MAX_HEAD:  # the other side talks on: no proxy
                self._pass_through()
            return
        except DecodeError:
            self._pass_through()
            return
        self.proxied = True
        del self._held["up"][:n]
        self._open.add("up")

    def _read_reply(self) -> None:
        try:
            self.granted, n = proxy.reply_length(self.request, bytes(self._held["down"]))
        except NeedMoreData:
            return
        except DecodeError:
            n = 0  # no proxy answer after all: the server's bytes are its own
        del self._held["down"][:n]
        self._open.add("down")

    def _pass_through(self) -> None:
        self.proxied = False
        self._open.update(DIRECTIONS)

    def _release(self) -> list[tuple[str, bytes]]:
        out = []
        for d in DIRECTIONS:
            if d in self._open and self._held[d]:
                out.append((d, bytes(self._held[d])))
                self._held[d].clear()
        return out
