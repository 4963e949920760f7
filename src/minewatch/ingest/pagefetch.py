"""Page fetches read in compiled code from their first packet, and taken over by Python when
it must read them: the glue between `detect.pages` and `PacketIngest`.

`PageReader` owns the compiled states and their buffers. `run` reads a batch's packets routed
to it (before Python reads its own); a state Python must take over is left ADOPTED, naming the
row of the packet it could not read, and `adopt` (called by the capture reader just before
Python reads that row) builds what Python would hold by then: the connection in the
reassembler (unless an idle sweep would have ended it), and for a page fetch under way its
record and a `BrowserScan` fed the same chunks. `release` frees the adopted states after the
batch, `orphans` those whose connections a sweep of the connection table ended, and the
tables grow between batches when they run low (a connection that finds no room is Python's).

A page fetch that ends, or is given up, in compiled code leaves nothing in Python: its browser
scan would have reported nothing (detect.pages), and an idle sweep of Python's reassembler
would have ended it without a word. One `marked` (its bytes hold an indicator) is Python's to
end; where it ends without a packet (an idle sweep, the end of the input), its browser scan's
rows are made from the bytes kept, as Python would make them then (`merge_entities` joins rows
alike in whatever order connections end).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from minewatch.detect import pages as pg
from minewatch.detect.browser import builtin_intel
from minewatch.flows import conntable as ct
from minewatch.flows.tcp import ConnKey
from minewatch.ingest import packets

# page fetches under way in compiled code at most (80 kB of buffers each, allocated at once:
# the system backs them only where written, 2 MB at a time (memory.zeros), and growing by
# copies made each capture pay for page faults as it went)
MAX_BUFFERS = 1024
_CODES = (ct.TO_PAGE, ct.DPI, ct.NONE, ct.CANDIDATE, ct.IGNORED, ct.PAGE)


class PageReader:
    """The compiled page fetches of one capture (see the module docstring)."""

    def __init__(self, capacity: int = 256, buffers: int = MAX_BUFFERS) -> None:
        self.st = np.zeros(capacity, pg.STATE)
        self.bufs = pg.buffers(buffers)
        self.free = (np.arange(capacity - 1, -1, -1, dtype=np.int64),
                     np.array([capacity], np.int64),
                     np.arange(buffers - 1, -1, -1, dtype=np.int64),
                     np.array([buffers], np.int64), np.zeros(1, np.int64))
        self.needles = pg.needle_table(pg.browser_needles(builtin_intel()))
        self.adopts: dict[int, int] = {}  # batch row -> state Python takes over there
        self.moved = 0  # packets read here in the last batch
        self.packets = self.adopted = 0  # packets read here, states taken over, so far

    def run(self, buf: np.ndarray, rows: np.ndarray, r: ct.Routes, table: ct.ConnTable) -> None:
        """Read this batch's packets routed to page states (before Python reads its own)."""
        self.adopts, self.moved = {}, 0
        if r.to_page == 0 or (r.to_page < 0 and not (r.route == ct.TO_PAGE).any()):
            return
        adopted, n_adopted, moved = np.empty(len(self.st), np.int64), np.zeros(1, np.int64), \
            np.zeros(1, np.int64)
        pg.page_pass(buf, rows, (r.route, r.slot, _CODES),
                     (table.slots, self.st, self.bufs, self.needles, self.free),
                     (adopted, n_adopted, moved))
        states = adopted[:n_adopted[0]]
        self.adopts = dict(zip(self.st["row"][states].tolist(), states.tolist()))
        self.moved = int(moved[0])
        self.packets += self.moved
        self.adopted += len(states)

    def adopt(self, f: int, dpi: packets.PacketIngest, text: Callable, now: float) -> None:
        """Python takes state f over, before it reads the packet at `now` (see the module)."""
        s = self.st[f]
        if not s["opened"]:
            return  # (no packet of it opened a connection: Python opens it with this one)
        key = self._key(f, text)
        streams = [(bool(s["anchored"][d]), int(s["next"][d]), int(s["delivered"][d]),
                    int(s["fin_at"][d]) if s["fin_at"][d] >= 0 else None) for d in (0, 1)]
        isn = int(s["isn"]) if s["has_isn"] else None
        conn = dpi.tcp.adopt(key, isn, float(s["last_ts"]), streams, bool(s["closed"]), now)
        if not s["classified"] or s["closed"]:
            return
        if conn is None:  # an idle sweep would have ended it
            self._rows(f, dpi, key)
            return
        up, down = self._kept(f)
        dpi.adopt_page(key, float(s["first_ts"]), (int(s["chunks"]), int(s["seen"])), up, down)

    def finish(self, dpi: packets.PacketIngest, text: Callable) -> None:
        """The end of the input: the rows of the marked page fetches still open."""
        for f in np.flatnonzero((self.st["live"] == pg.OPEN) & (self.st["marked"] == 1)):
            self._rows(int(f), dpi, self._key(int(f), text))

    def _key(self, f: int, text: Callable) -> ConnKey:
        s = self.st[f]
        ver = int(s["ver"])
        return ConnKey(text(ver, int(s["c_hi"]), int(s["c_lo"])), int(s["c_port"]),
                       text(ver, int(s["s_hi"]), int(s["s_lo"])), int(s["s_port"]))

    def _rows(self, f: int, dpi: packets.PacketIngest, key: ConnKey) -> None:
        """State f's connection ends where Python would not see it end: what its browser scan
        reports, if it is a marked page fetch (any other reports nothing)."""
        s = self.st[f]
        if s["marked"] and s["classified"] and not s["closed"]:
            up, down = self._kept(f)
            dpi.page_rows(key, float(s["first_ts"]), up, down)

    def _kept(self, f: int) -> tuple[list[tuple[float, bytes]], bytes]:
        """The client's chunks (time, bytes) and the server's bytes kept for state f."""
        s = self.st[f]
        b, n_up = int(s["buf"]), int(s["n_up"])
        ends = self.bufs[3][b, :n_up].tolist()
        kept = self.bufs[0][b]
        up = [(ts, kept[start:end].tobytes()) for ts, start, end
              in zip(self.bufs[2][b, :n_up].tolist(), [0] + ends[:-1], ends)]
        return up, self.bufs[1][b, :int(s["fed"][pg.DOWN])].tobytes()

    def release(self) -> None:
        """Free the states Python took over in this batch; make room for the next."""
        for f in self.adopts.values():
            self._free(f)
        self.adopts = {}
        self._grow()

    def orphans(self, table: ct.ConnTable, dpi: packets.PacketIngest, text: Callable) -> None:
        """Free the states of connections a sweep of the connection table ended (silent for
        its conn_timeout, Python's idle timeout: a marked one's rows are made now)."""
        for f, ticket in table.page_orphans():
            if self.st["live"][f] == pg.OPEN and self.st["ticket"][f] == ticket:
                if self.st["opened"][f]:
                    self._rows(f, dpi, self._key(f, text))
                self._free(f)

    def _free(self, f: int) -> None:
        pg.free_state(self.st, f, self.free)

    def _grow(self) -> None:
        """Double the states when a quarter is left."""
        rows, n_rows, buf_rows, n_bufs, ticket = self.free
        if n_rows[0] * 4 >= len(self.st):
            return
        old = len(self.st)
        st = np.zeros(2 * old, pg.STATE)
        st[:old] = self.st
        self.st = st
        rows = np.concatenate([np.arange(2 * old - 1, old - 1, -1), rows[:n_rows[0]],
                               np.zeros(old, np.int64)])
        self.free = (rows, np.array([old + n_rows[0]], np.int64), buf_rows, n_bufs, ticket)


assert (pg.GIVE_UP_CHUNKS, pg.GIVE_UP_BYTES) == (packets.GIVE_UP_CHUNKS, packets.GIVE_UP_BYTES)
