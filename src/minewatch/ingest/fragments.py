"""IP fragments on the compiled capture path: rows the frame parser marked as fragments
(`framescan.FRAGMENT`) go to a `flows.ipfrag.FragmentReassembler`, and what comes of them is
put back into the batch, right after the fragment that brought it about:

- a datagram rebuilt becomes one row, parsed from its bytes like any frame (a tunnel inside
  it is peeled as usual), carrying the IP bytes of all its fragments, so that flows count what
  crossed the link: one packet, the fragments' bytes;
- a datagram given up (timed out, spoiled by overlaps, cut by the snap length, pushed out of
  memory, or pending at the end of the input) becomes one row per fragment, metered with
  the ports the first fragment's transport header shows and no payload to read.

The fragment rows themselves stay in the batch, inert: the meter routes no row that is not
OK, and the capture's frame count is taken before the new rows are added.
"""

from __future__ import annotations

import numpy as np

from minewatch.decode import framescan as fs
from minewatch.decode.ipfrag import RAW_IP, parse_fragment
from minewatch.errors import DecodeError
from minewatch.flows.ipfrag import FragmentReassembler, Outcome


class FragmentRows:
    """The reassembler of one capture and the rows it gives back."""

    def __init__(self, gather: FragmentReassembler | None = None) -> None:
        self.gather = gather or FragmentReassembler()
        self.left = 0  # fragments of datagrams given up, metered without being read

    def merge(self, buf: np.ndarray, rows: np.ndarray, n: int):
        """(buffer, rows, rows filled, indices of the rows added) of the batch rows[:n] with
        what its fragments and the datagrams timed out by its time bring; None when they bring
        nothing."""
        idx = np.flatnonzero(rows["status"][:n] == fs.FRAGMENT)
        end = float(rows["ts"][n - 1]) if n else 0.0
        if not len(idx) and not self._late(end):
            return None
        added = _Added(len(buf))
        kept = rows[idx]  # (one copy of the fragments' rows; records are views into it)
        spans = zip(kept["ts"].tolist(), kept["pl_off"].tolist(), kept["pl_len"].tolist())
        for j, (i, (ts, at, size)) in enumerate(zip(idx.tolist(), spans)):
            added.outcomes(i, self.gather.expire(ts))  # (timed out by this fragment's time)
            try:
                frag = parse_fragment(buf[at:at + size].tobytes())
            except DecodeError:
                frag = None  # (the compiled parser read its header: only a disagreement)
            if frag is None:
                added.outcomes(i + 1, [Outcome(None, [(kept[j], None)])])
            else:
                added.outcomes(i + 1, self.gather.add(ts, frag, (kept[j], frag)))
        if self._late(end):
            added.outcomes(n, self.gather.expire(end))
        self.left += added.left
        return added.into(buf, rows[:n])

    def _late(self, now: float) -> bool:
        """Whether a pending datagram has timed out by `now`."""
        oldest = self.gather.oldest
        return oldest is not None and oldest < now - self.gather.timeout

    def flush(self):
        """(buffer, rows, rows filled, indices of the rows added: all) of every datagram still
        pending, given up; None if there is none."""
        added = _Added(1)
        added.outcomes(0, self.gather.flush())
        self.left += added.left
        return added.into(np.zeros(1, np.uint8), np.zeros(0, fs.PACKET)) if added.rows else None


class _Added:
    """Rows to put into a batch, each at a position (the index of the row it goes before),
    and the bytes of the datagrams rebuilt, to go after the batch's buffer."""

    def __init__(self, base: int) -> None:
        self.base = base  # where the datagrams' bytes will start in the merged buffer
        self.at: list[int] = []
        self.lone: list[tuple[int, np.void, object]] = []  # (index in at, record row, frag)
        self.rebuilt: list[tuple[int, float, int]] = []  # (index in at, time, IP bytes)
        self.packets: list[bytes] = []
        self.left = 0

    @property
    def rows(self) -> int:
        return len(self.at)

    def outcomes(self, position: int, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.packet is None:
                for row, frag in outcome.records:
                    self.lone.append((len(self.at), row, frag))
                    self.at.append(position)
                self.left += len(outcome.records)
            else:
                pieces = sum(int(r["ip_len"]) for r, _ in outcome.records)  # (see carried)
                self.rebuilt.append((len(self.at), float(outcome.records[-1][0]["ts"]), pieces))
                self.packets.append(outcome.packet)
                self.at.append(position)

    def into(self, buf: np.ndarray, rows: np.ndarray):
        new = np.zeros(len(self.at), fs.PACKET)
        if self.lone:
            where = [k for k, _, _ in self.lone]
            new[where] = np.array([row for _, row, _ in self.lone], fs.PACKET)
            for k, _, frag in self.lone:
                _lone(new[k], frag)
        if self.packets:
            buf = np.concatenate([buf, np.frombuffer(b"".join(self.packets), np.uint8)])
            new[[k for k, _, _ in self.rebuilt]] = self._parsed(buf)
        merged = np.insert(rows, self.at, new) if len(rows) else new
        where = np.sort(np.array(self.at, np.int64), kind="stable") + np.arange(len(new))
        return buf, merged, len(merged), where

    def _parsed(self, buf: np.ndarray) -> np.ndarray:
        """The rebuilt datagrams' rows, parsed from buf (whose end holds their bytes)."""
        sizes = np.array([len(p) for p in self.packets], np.int64)
        out = np.zeros(len(sizes), fs.PACKET)
        out["ts"] = [ts for _, ts, _ in self.rebuilt]
        out["off"] = self.base + np.cumsum(sizes) - sizes
        out["caplen"] = out["wirelen"] = sizes
        out["linktype"] = RAW_IP
        fs.parse_frames(buf, out, 0, len(out))
        inner = out["status"] == fs.FRAGMENT  # a fragment inside a rebuilt tunnel: not again
        out["status"][inner], out["pl_len"][inner] = fs.OK, 0
        pieces = np.array([n for _, _, n in self.rebuilt], np.int64)
        out["ip_len"] = np.where(out["ip_len"] == sizes, pieces, out["ip_len"])  # carried()
        return out


def carried(ip_len: int, size: int, pieces: int) -> int:
    """The bytes a rebuilt datagram of `size` bytes counts, read as a packet of `ip_len`: the
    IP bytes of its `pieces` (fragments, each with its own header), which crossed the link as
    that flow's; but only the inner packet's length when it was a tunnel's outer packet (a
    flow counts the packet inside a tunnel, never the tunnel's headers)."""
    return pieces if ip_len == size else ip_len


def _lone(row: np.void, frag) -> None:
    """A fragment given up (row, in place), as a row to meter: its addresses, protocol and IP
    length, the first fragment's ports, no payload."""
    row["status"], row["tls"], row["off"], row["pl_off"], row["pl_len"] = fs.OK, 0, 0, 0, 0
    row["caplen"] = row["wirelen"] = 0  # (its frame was counted, cut or not, where it came)
    if frag is not None:
        row["sport"], row["dport"], row["flags"], row["seq"], row["ack"] = frag.transport()
        row["mark"] = lone_mark(int(row["mark"]), frag)


def lone_mark(mark: int, frag) -> int:
    """A given-up fragment's mark: its place in the datagram in the low bits, so that the
    meter does not take two pieces of one datagram, alike in all else, for a mirror's two
    copies of one packet (the reassembler has dropped the real copies already)."""
    return (mark & ~0xFFFF) | (frag.offset >> 3 & 0xFFFF)
