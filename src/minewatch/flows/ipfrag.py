"""IP fragments gathered into datagrams, as a receiving host would put them together.

A datagram is rebuilt when every byte of it has come, whatever the order. Like Linux since
2018 (and RFC 5722 for IPv6), a fragment that overlaps another without repeating it exactly
spoils its datagram: an evasion trick, never what a sender does. An exact repeat is a mirror
port's second copy (IP does not resend fragments) and is dropped and counted, also when it
comes within DUPLICATE_S after its datagram was rebuilt, as the flow meter treats a TCP
packet's second copy. A datagram not complete `timeout`
seconds of capture time after its first fragment (Linux waits 30 s), or pushed out because
the fragments held would pass `budget` bytes, is given up. Nothing is lost either way: every
outcome hands back the callers' records of the fragments it took, to be metered as what
crossed the link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from minewatch.decode.ipfrag import MAX_DATAGRAM, Fragment, datagram
from minewatch.flows.meter import DUPLICATE_S

TIMEOUT_S = 30.0  # Linux's net.ipv4.ipfrag_time
BUDGET = 64 << 20  # bytes held at most (Linux's ipfrag_high_thresh is 4 MB per namespace; a
# mirror of a whole province's links sees far more at once)
FRAGMENT_COST = 512  # bytes a fragment costs besides its data (its records, its entry), so
# that a flood of tiny fragments is bounded by the budget too
MAX_PIECES = 512  # fragments a datagram may have (a full 64 kB one over Ethernet has 45; more
# is a tiny-fragment attack, and every piece is checked against the others)


class Outcome(NamedTuple):
    """A datagram rebuilt (`packet` its bytes, header first), or given up (`packet` None,
    `why` says why); `records` are the callers' records of the fragments it took, in the
    order they came."""

    packet: bytes | None
    records: list
    why: str = ""


@dataclass
class _Pending:
    since: float  # capture time of the first fragment seen
    pieces: dict[int, bytes] = field(default_factory=dict)  # offset -> data
    records: list = field(default_factory=list)
    first: Fragment | None = None  # the one at offset 0, whose head the datagram takes
    size: int | None = None  # the fragmentable part's length, once the last fragment came
    have: int = 0  # bytes of data held
    cost: int = 0  # what its records count against the budget
    seen: set = field(default_factory=set)  # (offset, more, data) of every fragment taken
    spoiled: str = ""  # why it can no longer be rebuilt (kept until it times out)


@dataclass
class FragmentReassembler:
    """The datagrams being gathered, in the order their first fragments came. Counters:
    `rebuilt`, `given_up` datagrams, `repeats` (fragments dropped as second copies)."""

    timeout: float = TIMEOUT_S
    budget: int = BUDGET
    held: int = 0  # bytes held now: fragment data and FRAGMENT_COST a fragment
    rebuilt: int = 0
    given_up: int = 0
    repeats: int = 0
    _pending: dict[tuple, _Pending] = field(default_factory=dict)
    # datagrams rebuilt within the last DUPLICATE_S: key -> (time, its pieces' fingerprints)
    _done: dict[tuple, tuple[float, frozenset]] = field(default_factory=dict)

    def add(self, ts: float, frag: Fragment, record) -> list[Outcome]:
        """Take one fragment (with the caller's record of it); the outcomes it brings about:
        its datagram rebuilt or spoiled, older ones pushed out by the budget."""
        out = self._make_room(len(frag.data) + FRAGMENT_COST)
        if self._copy_of_done(ts, frag):
            self.repeats += 1
            return out
        p = self._pending.get(frag.key)
        if p is None:
            p = self._pending[frag.key] = _Pending(ts)
        if (frag.offset, frag.more, frag.data) in p.seen:
            self.repeats += 1
            return out  # (its record is not kept: the copy is not metered twice)
        p.seen.add((frag.offset, frag.more, frag.data))
        if not p.spoiled:
            p.spoiled = self._place(p, frag)
        p.records.append(record)
        p.cost += len(frag.data) + FRAGMENT_COST  # (a spoiled datagram's records count too)
        self.held += len(frag.data) + FRAGMENT_COST
        if not p.spoiled and p.size is not None and p.have == p.size and p.first is not None:
            del self._pending[frag.key]
            self.held -= p.cost
            self.rebuilt += 1
            self._done[frag.key] = ts, frozenset((at, hash(d)) for at, d in p.pieces.items())
            data = b"".join(p.pieces[at] for at in sorted(p.pieces))
            out.append(Outcome(datagram(p.first, data), p.records))
        return out

    def expire(self, now: float) -> list[Outcome]:
        """Datagrams begun more than `timeout` before `now`, given up."""
        out = []
        while self._pending:
            key, p = next(iter(self._pending.items()))
            if p.since >= now - self.timeout:
                break  # (first fragments come in time order, give or take a mirror's skew)
            out.append(self._give_up(key, p.spoiled or "timed out"))
        return out

    def flush(self) -> list[Outcome]:
        """Every datagram still pending, given up (the end of the input)."""
        return [self._give_up(key, p.spoiled or "incomplete at the end of the input")
                for key, p in list(self._pending.items())]

    @property
    def oldest(self) -> float | None:
        """Capture time of the oldest pending datagram's first fragment."""
        return next(iter(self._pending.values())).since if self._pending else None

    def _copy_of_done(self, ts: float, frag: Fragment) -> bool:
        """Whether frag repeats a piece of a datagram rebuilt within DUPLICATE_S before ts
        (and forget those rebuilt earlier)."""
        while self._done:
            key, (at, _) = next(iter(self._done.items()))
            if at >= ts - DUPLICATE_S:
                break
            del self._done[key]
        done = self._done.get(frag.key)
        return done is not None and (frag.offset, hash(frag.data)) in done[1]

    def _place(self, p: _Pending, frag: Fragment) -> str:
        """Put frag's data in p; why p is spoiled, or ''."""
        end = frag.offset + len(frag.data)
        if frag.cut:
            return "a fragment cut by the snap length"
        if end + len(frag.head) > MAX_DATAGRAM + (40 if frag.key[0] == 6 else 0):
            return "longer than an IP datagram can be"
        if frag.more and len(frag.data) % 8:
            return "a fragment not a multiple of 8 bytes long before the last"
        if len(p.pieces) >= MAX_PIECES:
            return f"more than {MAX_PIECES} fragments"
        for at, data in p.pieces.items():
            if at < end and frag.offset < at + len(data):
                return "overlapping fragments"
        if (not frag.more and p.size is not None) or (p.size is not None and end > p.size):
            return "fragments past the end of the datagram"
        if not frag.more:
            if any(at + len(d) > end for at, d in p.pieces.items()):
                return "fragments past the end of the datagram"
            p.size = end
        p.pieces[frag.offset] = frag.data
        p.have += len(frag.data)
        if frag.offset == 0:
            p.first = frag
        return ""

    def _make_room(self, size: int) -> list[Outcome]:
        out = []
        while self._pending and self.held + size > self.budget:
            key = next(iter(self._pending))
            out.append(self._give_up(key, "fragment memory full"))
        return out

    def _give_up(self, key: tuple, why: str) -> Outcome:
        p = self._pending.pop(key)
        self.held -= p.cost
        self.given_up += 1
        return Outcome(None, p.records, why)
