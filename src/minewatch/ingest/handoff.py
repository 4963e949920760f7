"""Pool sessions moved to compiled code and back: the glue between `PacketIngest`'s Python
sessions and `detect.steady`, which reads a settled session's jobs, difficulties, shares and
replies without a Python object per message.

`SteadyReader` owns the compiled states. The capture reader hands it each session that
becomes ready (`StratumSession.steady_ready`), with the slot of its connection, as soon as the
packet that settled it is read; `hand_off` moves the session's book (`StratumSession.hand_over`)
and the reassembler's position into a state and routes the connection to it. `run` reads the
routed packets of a batch (before Python reads its own, and again after it for sessions moved
during the batch), holds their events until a block is worth building (`_flush`), records
where each connection was last active (`touches`, which the capture reader replays among the
packets Python reads), and gives every state that handed back, or whose connection a sweep or
the reassembler ended, its book back (`take_back`), with the reassembler moved past the bytes
read in compiled code. Python then reads on from the first byte it must see.
"""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from minewatch import memory
from minewatch.decode import jsonscan as js
from minewatch.decode.framescan import PACKET
from minewatch.decode.jsonrpc import MAX_LINE
from minewatch.decode.stratum_v1 import GetVersion
from minewatch.detect import steady
from minewatch.detect import steady_book as bk
from minewatch.detect.bounded import JobWindow
from minewatch.detect.coins import split_login
from minewatch.detect.steady_http import key
from minewatch.detect.stratum import SteadyBook, StratumSession, hashes_per_share
from minewatch.detect.sv2 import Sv2Session
from minewatch.flows import conntable as ct
from minewatch.flows.tcp import ConnKey

EVENT_ROWS = 1 << 16  # events held in compiled code (when full, a session hands back)
ARENA = 1 << 22  # bytes of their ids, job ids and logins
_MOD = 1 << 32


def fits(text: str, limit: int) -> bool:
    """Whether compiled code can hold and match a text (an id or a job id) as Python does."""
    return len(text) <= limit and text.isascii() and text.isprintable() \
        and '"' not in text and "\\" not in text


class Prices:
    """The prices compiled code refers to, by id: one id per price (Python's value), and the
    texts a pool may write a difficulty in, each verified to read back as that value.
    Compiled code interns new texts itself where it is sure of them (`steady_book.intern`);
    `drain` takes them in after each pass."""

    def __init__(self, capacity: int = 1 << 10):
        self.values: list = []
        self._ids: dict = {}
        self._texts: list[tuple[int, bytes, int]] = []  # (kind, text, id)
        self._allocate(capacity)

    def id(self, price) -> int:
        """The id of a price (None: -1), interning it and its texts on first sight."""
        if price is None:
            return -1
        pid = self._ids.get(price)
        if pid is None:
            pid = self._new(price)
            kind = bk.KINDS.get(price[0], 0)
            for text in price_texts(price):
                self._add(kind, text.encode(), pid)
        return pid

    def value(self, pid: int):
        return None if pid < 0 else self.values[pid]

    def drain(self) -> None:
        """The prices compiled code interned in the last pass, in the order of their ids, with
        the texts Python would have given them."""
        entries = int(self.table[3][0])
        if entries == len(self._texts):
            return
        _, meta, texts, _ = self.table
        new = []
        for e in range(len(self._texts), entries):
            kind, n, pid = meta[e].tolist()
            raw = texts[e, :n].tobytes()
            self._texts.append((kind, raw, pid))
            if pid == len(self.values):
                price = _read_price(kind, raw.decode("ascii"))
                assert price not in self._ids, f"{price} interned twice"  # (intern's promise)
                new.append((kind, self._new(price), price))
        for kind, pid, price in new:
            for text in price_texts(price):
                data = np.frombuffer(text.encode(), np.uint8)
                if bk.price(self.table, kind, data, 0, len(data)) < 0:
                    self._add(kind, text.encode(), pid)

    def _new(self, price) -> int:
        pid = self._ids[price] = len(self.values)
        self.values.append(price)
        self.table[3][1] = len(self.values)
        return pid

    def _add(self, kind: int, text: bytes, pid: int) -> None:
        if 2 * (len(self._texts) + 1) > len(self.table[1]):
            self._allocate(2 * len(self.table[1]))
        self._texts.append((kind, text, pid))
        self._put(len(self._texts) - 1, (kind, text, pid))

    def _allocate(self, capacity: int) -> None:
        self.table = bk.prices_table(capacity)
        for entry, text in enumerate(self._texts):
            self._put(entry, text)
        self.table[3][1] = len(self.values)

    def _put(self, entry: int, text: tuple[int, bytes, int]) -> None:
        slots, meta, texts, top = self.table
        kind, raw, pid = text
        data = np.frombuffer(raw, np.uint8)
        meta[entry] = kind, len(raw), pid
        texts[entry, :len(raw)] = data
        where = bk.price_slot(self.table, kind, data, 0, len(data))
        if where < 0:
            slots[-where - 1] = entry
        top[0] = entry + 1


def _read_price(kind: int, text: str):
    """The price Python reads from a text compiled code interned (see steady_book.intern)."""
    if kind == bk.DIFF:
        return ("diff", float(text))  # (SetDifficulty's float(number(json)))
    return ("t256", text)


def price_texts(price) -> set[str]:
    """The texts compiled code may meet a price in: a target as sent; a difficulty as
    Python, JavaScript or Go print it, each kept only if it reads back as exactly D."""
    kind, value = price
    if kind in ("t256", "cn") and isinstance(value, str) and fits(value, bk.PRICE_LEN):
        return {value}  # (a target is read as sent)
    if kind != "diff" or not isinstance(value, float):
        return set()
    texts = {repr(value), np.format_float_positional(value, trim="-")}
    if value.is_integer() and abs(value) < 1e17:
        texts.add(str(int(value)))
    for text in list(texts):
        texts.add(text.replace("e-0", "e-").replace("e+0", "e+"))
        texts.add(text.replace("e+", "e"))
    return {t for t in texts if len(t) <= bk.PRICE_LEN and _reads_as(t, value)}


def _reads_as(text: str, value: float) -> bool:
    try:
        read = json.loads(text)
    except ValueError:
        return False
    return type(read) in (int, float) and float(read) == value


@dataclass(slots=True)
class _Owner:
    """A state's session: whose it is, what it started from, where the streams were."""

    key: ConnKey
    session: StratumSession | Sv2Session
    book: SteadyBook
    seq: tuple[int, int]  # up, down: 32-bit positions at the hand-off
    others: dict  # pending requests that were no share: id text -> Python's entry
    # what each event row of the session shares while compiled code reads it (the session
    # does not change meanwhile): client ip and port, server ip and port, dialect, and the
    # multiplier of its difficulties (StratumSession._multiplier)
    columns: tuple = ()


class SteadyReader:
    """The compiled steady states of one capture's pool sessions (see the module docstring)."""

    def __init__(self, input_id: str, capacity: int = 64):
        self.input_id = input_id
        self.prices = Prices()
        self.owners: dict[int, _Owner] = {}
        self.by_key: dict[ConnKey, int] = {}
        self.st = np.zeros(0, bk.STATE)
        self._free_rows: list[int] = []  # rows of st free for a state, the next one last
        self._grow(capacity)
        self.events = memory.zeros(EVENT_ROWS, bk.EVENT)
        self.arena = memory.zeros(ARENA, np.uint8)
        self.count = np.zeros(2, np.int64)  # events and arena bytes held (see _flush)
        self.handed = self.returned = 0  # hand-offs and hand-backs so far
        self.messages = 0  # messages read in compiled code
        # (row, key, ts) of each connection's last packet read in this batch, in row order:
        # the caller replays them among the packets Python reads, so that the reassembler's
        # connections stay in the order of their activity (its idle sweep relies on it)
        self.touches: list[tuple[int, ConnKey, float]] = []
        self.why: Counter = Counter()  # hand-backs by reason (bk.WHY; "" for the end)
        self._converted: dict = {}  # (multiplier, price id) -> hashes per share
        self._retired: dict[int, _Owner] = {}  # owners of events held, by their own numbers

    # --- moving sessions --------------------------------------------------------------------

    def hand_off(self, key: ConnKey, session: StratumSession | Sv2Session, slot: int,
                 env) -> bool:
        """Move a ready session to compiled code, its connection routed there from now on;
        env = (connection table, PacketIngest). False when the reassembler is not settled."""
        table, dpi = env
        conn = dpi.tcp.open_connection(key)
        if conn is None or not (conn.up.settled and conn.down.settled) \
                or table.slots["dpi"][slot] != ct.CANDIDATE \
                or not all(_id_text(i) is not None for i in session.awaiting()):
            return False
        f = self._allocate()
        book, complete = session.hand_over(lambda t: fits(t, bk.ID_LEN), bk.PENDING // 2)
        s = self.st[f]
        s["live"], s["dialect"], s["priced"] = bk.LIVE, bk.DIALECTS[book.dialect], book.priced
        s["c_hi"], s["c_lo"] = _address(key.client_ip)
        s["c_port"] = key.client_port
        self.handed += 1
        s["ticket"] = self.handed % (1 << 32)
        s["seq_up"], s["seq_dn"] = conn.up.position % _MOD, conn.down.position % _MOD
        s["next_price"], s["last_price"] = self.prices.id(book.next_price), \
            self.prices.id(book.last_price)
        s["repriced_last"], s["ts_first"], s["ts_last"] = -1, np.inf, -np.inf
        s["pkt_last"], s["pend_lost"] = conn.last_ts, not complete
        s["worker_set"], s["rate_told"], s["reported"] = book.worker_set, book.rate_told, np.nan
        s["shape"] = bk.SHAPES.index(book.shape) if book.shape in bk.SHAPES else 0
        s["algo_len"] = len(book.algo) if fits(book.algo, bk.ALGO_LEN) else -1
        self._put_text(f, bk.ALGO_TEXT, book.algo.encode() if s["algo_len"] >= 0 else b"")
        if book.http is not None:
            self._seed_http(f, book.http)
        others = self._seed(f, book)
        for d, name in enumerate(("up", "down")):  # the start of a line the framer held
            held = book.carry[name]
            self._put_text(f, bk.CARRIED + d * bk.CARRY, held)
            s["carry_up" if d == 0 else "carry_dn"] = len(held)
        table.steady(slot, f, int(s["ticket"]))
        self.owners[f] = _Owner(key, session, book, (int(s["seq_up"]), int(s["seq_dn"])), others,
                                (key.client_ip, key.client_port, key.server_ip, key.server_port,
                                 getattr(session, "dialect", None), _multiplier(session)))
        self.by_key[key] = f
        return True

    def _seed(self, f: int, book: SteadyBook) -> dict:
        """The book's job window and its pending requests into state f's rings."""
        s, ri = self.st[f], self.rg[1]
        texts = [job.encode("utf-8", "surrogatepass") for _, job, _ in book.jobs]
        jobs = (np.array([len(t) for t in texts], np.int64),
                np.array([n % bk.JOBS for n, _, _ in book.jobs], np.int64),
                np.array([self.prices.id(p) for _, _, p in book.jobs], np.int64))
        data = np.frombuffer(b"".join(texts) or b"\0", np.uint8)
        s["jobs_unheld"] = bk.seed_jobs(self.rg, f, data, jobs)
        s["jobs_n"] = s["jobs_seeded"] = book.jobs_count
        others = {}
        for k, (msg_id, entry) in enumerate(book.pending):
            text = msg_id.encode()
            self._put_text(f, bk.PEND_ID + k * bk.ID_LEN, text)
            share = entry[0] == "share"
            ri[f, [bk.PEND_SIZE + k, bk.PEND_HASH + k, bk.PEND_ORDER + k, bk.PEND_KIND + k,
                   bk.PEND_VALUE + k]] = (len(text), _key(text), k + 1, _kind(entry),
                                          self.prices.id(entry[1]) if share else -1)
            if not share:
                others[msg_id] = entry
        s["pend_n"] = len(book.pending)
        return others

    def _seed_http(self, f: int, http: tuple) -> None:
        """The request head and Server header Python knows (as keys) and the ids awaiting a
        response into state f."""
        last_head, server, awaiting = http
        s, ri = self.st[f], self.rg[1]
        s["head_key"] = 0 if last_head is None else _head_key(last_head)
        s["server_key"] = _head_key((server,))
        for k, msg_id in enumerate(awaiting):
            kind, text = _id_text(msg_id)
            ri[f, bk.FIFO_KIND + k], ri[f, bk.FIFO_SIZE + k] = kind, len(text)
            self._put_text(f, bk.FIFO_ID + k * bk.ID_LEN, text)
        s["fifo_head"], s["fifo_n"] = 0, len(awaiting)

    def _awaiting(self, f: int) -> list:
        """The ids of state f's requests awaiting a response, as Python's values."""
        s, ri, out = self.st[f], self.rg[1], []
        for j in range(int(s["fifo_n"])):
            k = (int(s["fifo_head"]) + j) % bk.HTTP_IDS
            text = self._text(f, bk.FIFO_ID + k * bk.ID_LEN, ri[f, bk.FIFO_SIZE + k])
            kind = ri[f, bk.FIFO_KIND + k]
            out.append(None if kind == js.ABSENT else int(text) if kind == js.INT else text)
        return out

    def take_back(self, f: int, dpi, final: bool = False) -> None:
        """Give state f's book back to its session and the reassembler its position. `final`:
        the input has ended, and the jobs and pending requests, which only later messages
        would need, stay here."""
        o, s = self.owners.pop(f), self.st[f].copy()
        self._retire(f, o)
        del self.by_key[o.key]
        book, value = o.book, self.prices.value
        book.shares, book.accepted = int(s["shares"]), int(s["accepted"])
        book.rejected, book.unmatched = int(s["rejected"]), int(s["unmatched"])
        book.stale, book.invalid = int(s["stale"]), int(s["invalid"])
        ri = self.rg[1][f]
        paid = zip(ri[bk.PAID_PRICE:bk.PAID_PRICE + bk.PAID].tolist(),
                   ri[bk.PAID_COUNT:bk.PAID_COUNT + bk.PAID].tolist())
        book.paid = {value(p): n for p, n in paid if n}
        book.jobs_count = int(s["jobs_n"])
        book.jobs = [] if final else self._jobs(f, int(s["jobs_seeded"]), book.jobs_count)
        book.pending = [] if final else self._pending(f, o.others)
        book.next_price, book.last_price = value(s["next_price"]), value(s["last_price"])
        book.repriced = (int(s["repriced"]), value(s["repriced_last"]))
        book.ts = (float(s["ts_first"]), float(s["ts_last"])) if s["ts_first"] <= s["ts_last"] \
            else None
        book.lines = {"up": int(s["lines_up"]), "down": int(s["lines_dn"])}
        book.bytes = {"up": int(s["bytes_up"]), "down": int(s["bytes_dn"])}
        book.carry = {"up": self._raw(f, bk.CARRIED, s["carry_up"]),
                      "down": self._raw(f, bk.CARRIED + bk.CARRY, s["carry_dn"])}
        book.reported = None if np.isnan(s["reported"]) else float(s["reported"])
        if book.http is not None:
            book.http = (book.http[0], book.http[1], self._awaiting(f))
        o.session.take_back(book)
        conn = dpi.tcp.open_connection(o.key)
        if conn is not None:
            conn.up.read_elsewhere((int(s["seq_up"]) - o.seq[0]) % _MOD)
            conn.down.read_elsewhere((int(s["seq_dn"]) - o.seq[1]) % _MOD)
        self._free(f)
        self.returned += 1
        self.why[bk.WHY[s["why"]]] += 1

    def _jobs(self, f: int, since: int, n: int) -> list:
        """The jobs announced in compiled code (since the hand-off's `since`) that state f's
        ring holds, as JobWindow.window lists them (Python has the others)."""
        numbers = np.arange(max(since, n - bk.JOBS), n)
        if not len(numbers):
            return []
        slots, ri, size = numbers % bk.JOBS, self.rg[1][f], bk.JOB_LEN
        row = self.rg[0][f, bk.JOB_TEXT:bk.JOB_TEXT + bk.JOBS * size].tobytes()
        value = self.prices.value
        return [(k, row[j * size:j * size + length].decode("ascii"), value(p)) for k, j, length, p
                in zip(numbers.tolist(), slots.tolist(), ri[bk.JOB_SIZE + slots].tolist(),
                       ri[bk.JOB_PRICE + slots].tolist())]

    def _pending(self, f: int, others: dict) -> list:
        ri, out = self.rg[1][f], []
        for k in np.argsort(ri[bk.PEND_ORDER:bk.PEND_ORDER + bk.PENDING], kind="stable").tolist():
            n = int(ri[bk.PEND_SIZE + k])
            if n < 0:
                continue
            msg_id = self._text(f, bk.PEND_ID + k * bk.ID_LEN, n)
            kind, value = ri[bk.PEND_KIND + k], int(ri[bk.PEND_VALUE + k])
            if kind == bk.SHARE:
                out.append((msg_id, ("share", self.prices.value(value))))
            elif kind == bk.PLAIN and value >= 0:  # a request compiled code remembered
                out.append((msg_id, (bk.METHODS[value],)))
            else:
                out.append((msg_id, others[msg_id]))
        return out

    # --- each batch -------------------------------------------------------------------------

    def run(self, buf: np.ndarray, rows: np.ndarray, r: ct.Routes, env) -> None:
        """Read this batch's packets routed to compiled states (before Python reads its own);
        env = (connection table, PacketIngest)."""
        table, dpi = env
        self.touches = []
        if r.to_steady == 0 or (r.to_steady < 0 and not (r.route == ct.TO_STEADY).any()):
            return  # (with no owner left, all go to DPI)
        returned, n_returned = np.zeros(len(self.st), np.int64), np.zeros(1, np.int64)
        held = int(self.count[0])
        steady.steady_pass(buf, rows, (r.route, r.slot, (ct.TO_STEADY, ct.DPI, ct.NONE,
                                                         ct.CANDIDATE)),
                           (table.slots, self.st, self.rg, self.prices.table),
                           (self.events, self.arena, self.count, returned, n_returned))
        self.prices.drain()
        self.messages += int(self.count[0]) - held
        if self.count[0] >= EVENT_ROWS // 4 or self.count[1] >= ARENA // 4:
            self._flush(dpi)  # (room for the next pass's events)
        touched = np.flatnonzero(self.st["touched"])
        self.touches = sorted(zip(self.st["last_row"][touched].tolist(),
                                  [self.owners[f].key for f in touched.tolist()],
                                  self.st["pkt_last"][touched].tolist()))
        self.st["touched"][touched] = 0
        for f in returned[:n_returned[0]].tolist():
            self.take_back(f, dpi)

    def closing(self, key: ConnKey, dpi) -> None:
        """Python's reassembler is ending key's connection (idle): its book comes back first.
        The connection table's slot still names the state; steady_pass sees it is not its."""
        f = self.by_key.get(key)
        if f is not None:
            self.take_back(f, dpi)

    def warm(self) -> None:
        """Load (or compile) the compiled reader, as a first batch and hand-off would, on no
        packets."""
        self.prices.id(("diff", 1.0))
        _key(b"1"), _head_key(("x", None))
        none = np.zeros(0, np.int64)
        bk.seed_jobs(self.rg, 0, np.frombuffer(b"\0", np.uint8), (none, none, none))  # (_seed's)
        rows, route = np.zeros(0, PACKET), np.zeros(0, np.uint8)
        steady.steady_pass(np.zeros(1, np.uint8), rows, (route, np.zeros(0, np.int64), (
            ct.TO_STEADY, ct.DPI, ct.NONE, ct.CANDIDATE)), (np.zeros(1, ct.SLOT), self.st, self.rg,
                                                            self.prices.table),
                           (self.events, self.arena, np.zeros(2, np.int64),
                            np.zeros(1, np.int64), np.zeros(1, np.int64)))

    def orphans(self, table: ct.ConnTable, dpi) -> None:
        """Give back the states whose connection slots a sweep freed."""
        for f, ticket in table.orphans():
            if f in self.owners and self.st[f]["ticket"] == ticket:
                self.take_back(f, dpi)

    def finish(self, dpi) -> None:
        """Every session's book back to Python (the end of the input)."""
        for f in list(self.owners):
            self.take_back(f, dpi, final=True)
        self._flush(dpi)

    def _flush(self, dpi) -> None:
        """The events held to Arrow rows. They are gathered over batches: building a block
        costs per session in it, whatever its number of events."""
        if self.count[0]:
            dpi.events.add_table(self._event_table(int(self.count[0])))
        self.count[:] = 0
        self._retired.clear()

    def _retire(self, f: int, owner: _Owner) -> None:
        """State f is given back: the events it left name its owner by a number of their
        own (negative), as row f may serve another session before they are flushed."""
        held = self.events["state"][:int(self.count[0])]
        mine = held == f
        if mine.any():
            number = -1 - len(self._retired)
            held[mine] = number
            self._retired[number] = owner

    # --- events -----------------------------------------------------------------------------

    def _event_table(self, n: int) -> pa.Table:
        """The compiled event rows as stratum_events columns (what `StratumSession._emit`
        writes for the same messages)."""
        e = self.events[:n]
        states, where = np.unique(e["state"], return_inverse=True)
        owners = [self._retired[f] if f < 0 else self.owners[f] for f in states.tolist()]
        index = pa.array(where)
        client_ip, client_port, server_ip, server_port, dialect, mults = (
            pa.array(column).take(index) for column in zip(*(o.columns for o in owners)))
        return pa.table({
            "ts": e["ts"],
            "client_ip": client_ip, "client_port": client_port,
            "server_ip": server_ip, "server_port": server_port, "dialect": dialect,
            "direction": _words(e["direction"], ["up", "down"]),
            "method": _words(e["method"], list(bk.METHODS)),
            "msg_id": self._texts(e["id_off"], e["id_len"]),
            "job_id": self._texts(e["job_off"], e["job_len"]),
            "difficulty": self._difficulty(e["price"], mults),
            "accepted": pa.array(e["accepted"] == 1, mask=e["accepted"] < 0),
            "wallet": pa.nulls(n, pa.string()),
            "worker": _workers(self._texts(e["login_off"], e["login_len"]), e["rig"] == 1),
            "agent": pa.nulls(n, pa.string()),
            "algorithm_hint": self._hints(e["hint"], owners, where),
            "input_id": pa.array([self.input_id]).take(pa.array(np.zeros(n, np.int64))),
        })

    @staticmethod
    def _hints(hint: np.ndarray, owners: list, where: np.ndarray) -> pa.Array:
        """Each event's algorithm hint: a job shape, or its session's CryptoNote algo."""
        shapes = _words(hint, [None, *bk.SHAPES[1:], None])
        if not (hint == bk.ALGO).any():
            return shapes
        algos = pa.array([o.book.algo or None for o in owners], pa.string()).take(pa.array(where))
        return pc.if_else(pa.array(hint == bk.ALGO), algos, shapes.cast(pa.string()))

    def _texts(self, off: np.ndarray, length: np.ndarray) -> pa.Array:
        """Strings of the arena at (off, length); length -1 is null."""
        size = np.maximum(length, 0).astype(np.int64)
        ends = np.cumsum(size)
        gather = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(off - (ends - size),
                                                                          size)
        offsets = np.concatenate([[0], ends]).astype(np.int32)
        valid = np.packbits(length >= 0, bitorder="little")
        return pa.Array.from_buffers(pa.string(), len(off), [
            pa.py_buffer(valid), pa.py_buffer(offsets), pa.py_buffer(self.arena[gather])])

    def _difficulty(self, price: np.ndarray, mults: pa.Array) -> pa.Array:
        """Hashes per share of each event's price, as its session converts it (the price and
        the session's multiplier decide it; each pair is converted once a capture)."""
        codes = mults.dictionary_encode()
        kinds = codes.dictionary.to_pylist()
        ids = len(self.prices.values) + 1
        pair = codes.indices.to_numpy().astype(np.int64) * ids + (price.astype(np.int64) + 1)
        pairs, back = np.unique(pair, return_inverse=True)
        values = [self._hps(kinds[p // ids], p % ids - 1) for p in pairs.tolist()]
        return pa.array(values, pa.float64()).take(pa.array(back))

    def _hps(self, mult, pid: int) -> float | None:
        key = (mult, pid)
        if key not in self._converted:
            self._converted[key] = hashes_per_share(self.prices.value(pid), mult)
        return self._converted[key]

    # --- states -----------------------------------------------------------------------------

    def _put_text(self, f: int, at: int, text: bytes) -> None:
        self.rg[0][f, at:at + len(text)] = np.frombuffer(text, np.uint8)

    def _raw(self, f: int, at: int, n: int) -> bytes:
        return self.rg[0][f, at:at + n].tobytes()

    def _text(self, f: int, at: int, n: int) -> str:
        return self._raw(f, at, int(n)).decode("ascii")

    def _allocate(self) -> int:
        if not self._free_rows:
            self._grow(2 * len(self.st))
        f = self._free_rows.pop()
        self.st[f] = np.zeros(1, bk.STATE)[0]
        return f

    def _free(self, f: int) -> None:
        self.st[f]["live"] = bk.FREE
        self.rg[1][f] = bk.FRESH
        self._free_rows.append(f)

    def _grow(self, capacity: int) -> None:
        st, rg = np.zeros(capacity, bk.STATE), bk.rings(capacity)
        old = len(self.st)
        if old:
            st[:old] = self.st
            for new, was in zip(rg, self.rg):
                new[:old] = was
        self.st, self.rg = st, rg
        self._free_rows += range(capacity - 1, old - 1, -1)  # (the lowest row first)


def _multiplier(session) -> float:
    """How the session scales its difficulties into hashes (1 for a session with none)."""
    return session._multiplier() if isinstance(session, StratumSession) else 1


def _key(text: bytes) -> int:
    """bk.key of a text (how the rings compare ids and job ids)."""
    return int(bk.key(np.frombuffer(text, np.uint8), 0, len(text)))


def _id_text(msg_id) -> tuple[int, bytes] | None:
    """(jsonscan type, text) of an HTTP request id compiled code can hold; None if it can't."""
    if msg_id is None:
        return js.ABSENT, b""
    if type(msg_id) is int:
        text = str(msg_id).encode()
        return (js.INT, text) if len(text) <= bk.ID_LEN else None
    if isinstance(msg_id, str) and fits(msg_id, bk.ID_LEN):
        return js.STRING, msg_id.encode()
    return None


def _head_key(values: tuple) -> int:
    """steady_http.key of header values (None: absent), computed on their latin-1 bytes."""
    data, spans = bytearray(), np.full((len(values), 2), -1, np.int64)
    for j, value in enumerate(values):
        if value is not None:
            raw = value.encode("latin-1")
            spans[j] = len(data), len(data) + len(raw)
            data += raw
    return int(key(np.frombuffer(bytes(data) or b"\0", np.uint8), spans))


def _kind(entry: tuple) -> int:
    """What a pending request of Python's is to compiled code: a share, a request whose
    reply tells nothing, or one whose reply Python must read (client.get_version's names the
    miner software)."""
    if entry[0] == "share":
        return bk.SHARE
    return bk.OTHER if entry[0] == GetVersion.METHOD else bk.PLAIN


def _address(text: str) -> tuple[int, int]:
    """(high, low 64 bits) of an address as the frame parser writes it."""
    value = int(ipaddress.ip_address(text))
    return value >> 64, value & ((1 << 64) - 1)


def _words(codes: np.ndarray, words: list[str]) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(words))


@lru_cache(maxsize=1 << 14)
def _worker(login: str) -> str | None:
    """split_login's worker (a login recurs in every flush of its session's events)."""
    return split_login(login)[1]


def _workers(logins: pa.Array, rig: np.ndarray) -> pa.Array:
    """The worker of each submit's login, as StratumSession._share names it; where `rig`,
    the text is ETHProxy's worker name itself."""
    coded = logins.dictionary_encode()
    names = [_worker(v) if v else None for v in coded.dictionary.to_pylist()]
    split = pa.array(names, pa.string()).take(coded.indices)
    return pc.if_else(pa.array(rig), logins, split) if rig.any() else split


assert bk.JOBS == JobWindow().size  # the ring is the window, slot for slot
assert bk.CARRY < MAX_LINE  # a longer unfinished line is the Python framer's to drop
