"""One TCP connection speaking Stratum V2: plaintext messages priced into hashes, or the Noise
NX handshake of an encrypted one.

`Sv2Session` has StratumSession's interface (feed, is_mining, summary, take_events, counters).
It first sniffs the connection: a plaintext SetupConnection from the client makes it "plain";
a first client flight of exactly 64 random bytes answered by exactly 234 random bytes makes it
"noise" (see `decode.stratum_v2.looks_like_sv2_noise`), and so does the length-prefixed
handshake of Braiins' earlier Stratum V2 (`looks_like_braiins_noise`); whole mining-protocol
frames from either side first make it "plain" too (a capture begun inside the session);
anything else makes it "other" and `gave_up` tells the caller to stop feeding it.

Hash accounting (plaintext): each channel has a target (OpenStandard/ExtendedMiningChannel
.Success, then SetTarget). A job is priced at the target in force when it arrives; a future job
(no min_ntime) takes a later SetTarget too, as the spec says. A submit is priced by its job, else
by its channel's target. SubmitShares.Success acknowledges a batch: its count of submits is
taken from that channel's pending submits up to last_sequence_number, oldest first; submits the
capture missed are priced at the channel's target. Hashes per share = 2**256 / target.

Encrypted sessions carry no shares: they are reported with tls = True and no hashrate.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict

from minewatch import schema
from minewatch.decode import stratum_v2 as sv2
from minewatch.detect.bounded import add_fact, remember
from minewatch.detect.coins import (coin_confidence, host_coins, identify_address, pick_coin,
                                    split_login)
from minewatch.detect.stratum import SteadyBook
from minewatch.errors import DecodeError
from minewatch.estimate.hashrate import hps_from_target256

DIALECT = "stratum-v2"
ALGORITHM = "sha256d"  # SV2 jobs are Bitcoin block headers (spec 5.1)
EVENT_COLUMNS = schema.column_names("stratum_events")
STALE_WORDS = ("stale", "job", "expired", "duplicate")


def hps_from_target(target: int | None) -> float | None:
    """Hashes one share at an SV2 target (an integer; on the wire a little-endian U256) stands
    for: 2**256 / target. None when unknown or zero."""
    if not target:
        return None
    try:
        return hps_from_target256(f"{target:064x}")
    except (DecodeError, ValueError, OverflowError):
        return None


def may_open_sv2(first_up: bytes) -> bool:
    """Whether a connection whose client sent `first_up` first is worth an Sv2Session: a
    plaintext SetupConnection, or a 64-byte random-looking chunk (a Noise NX ephemeral key),
    or Braiins' length-prefixed 32-byte one."""
    if sv2.looks_like_setup_connection(first_up) or sv2.opens_braiins_noise(first_up):
        return True
    return (len(first_up) == sv2.NOISE_INITIATOR_SIZE
            and sv2.looks_like_key_material(first_up))


class Sv2Session:
    """The SV2 conversation of one connection; `client`/`server` are (ip, port) or None."""

    def __init__(self, client: tuple[str, int] | None = None,
                 server: tuple[str, int] | None = None, input_id: str | None = None) -> None:
        self.client, self.server, self.input_id = client, server, input_id
        self.events, self.counters = [], Counter()
        self.mode = ""  # "" while sniffing, then plain | noise | other
        self.wallet = self.worker = self.agent = self.pool_host = None
        self.shares = self.accepted = self.rejected = 0
        self.reported_hashrate_hs: float | None = None
        self.ts_start = self.ts_end = None
        self._flights = {"up": bytearray(), "down": bytearray()}  # handshake, while sniffing
        self._framers = {"up": sv2.Sv2Framer(), "down": sv2.Sv2Framer()}
        self._lost: set[str] = set()  # directions a capture gap cut (see gap)
        self._mining = False
        self._coins: tuple[str, ...] = ()
        self._opening: OrderedDict[int, str] = OrderedDict()  # request_id -> user_identity
        self._targets: dict[int, int] = {}  # channel -> target in force
        self._jobs: OrderedDict[tuple[int, int], list] = OrderedDict()  # -> [target, future]
        self._submits: OrderedDict[tuple[int, int], int | None] = OrderedDict()  # -> target
        self._paid: Counter = Counter()  # target (or None) -> accepted shares
        self._evidence: list[str] = []
        self._row: dict | None = None

    # --- input --------------------------------------------------------------------------------

    @property
    def gave_up(self) -> bool:
        """The connection is not SV2: feeding it more is wasted work."""
        return self.mode == "other"

    @property
    def encrypted(self) -> bool:
        return self.mode == "noise"

    def feed(self, direction: str, ts: float, data: bytes) -> None:
        """Take the next bytes of one direction ('up' = miner to pool). Never raises on data."""
        if direction not in self._framers:
            self.counters["bad_direction"] += 1
            return
        self.ts_start = ts if self.ts_start is None else min(self.ts_start, ts)
        self.ts_end = ts if self.ts_end is None else max(self.ts_end, ts)
        if direction in self._lost:
            return
        try:
            if not self.mode:
                data = self._sniff(direction, data)
            if self.mode == "plain":
                for frame in self._framers[direction].feed(data):
                    self._frame(direction, ts, frame)
            elif self.mode == "noise":
                self.counters[f"encrypted_bytes_{direction}"] += len(data)
        except Exception as exc:  # a bug must not stop the capture; the tests assert none
            self.counters["internal_errors"] += 1
            self.counters[f"internal:{type(exc).__name__}"] += 1

    def gap(self, direction: str) -> None:
        """The capture lost bytes of one direction: plaintext frames cannot be found again in
        it (no marker starts a frame), so that direction is read no further. Encrypted
        sessions only count bytes, and go on."""
        if direction in self._framers and self.mode != "noise":
            self.counters["gaps"] += 1
            self._lost.add(direction)

    # --- an encrypted session's steady state in compiled code (ingest.handoff) ---------------

    def steady_ready(self) -> bool:
        """Whether detect.steady can go on for this session: once it is known to be encrypted,
        all that is left to do is count its bytes."""
        return self.mode == "noise"

    def awaiting(self) -> tuple:
        return ()

    def hand_over(self, fits, limit: int) -> tuple[SteadyBook, bool]:
        """The book compiled code counts on from (see StratumSession.hand_over)."""
        book = SteadyBook(None, None, False, False, False, "", "", [], [])
        book.dialect, book.carry = "stratum-v2+noise", {"up": b"", "down": b""}
        return book, True

    def take_back(self, book: SteadyBook) -> None:
        """What compiled code counted: the bytes each way and when they came."""
        for direction, n in book.bytes.items():
            if n:
                self.counters[f"encrypted_bytes_{direction}"] += n
        if book.ts is not None:
            self.ts_start = book.ts[0] if self.ts_start is None else min(self.ts_start,
                                                                         book.ts[0])
            self.ts_end = book.ts[1] if self.ts_end is None else max(self.ts_end, book.ts[1])

    def take_events(self) -> list[dict]:
        """The event rows so far, handed over once (for long sessions)."""
        out, self.events = self.events, []
        return out

    def _sniff(self, direction: str, data: bytes) -> bytes:
        """Decide plain / noise / other; returns the bytes still to read as plaintext frames."""
        up, down = self._flights["up"], self._flights["down"]
        if not up and not down and sv2.looks_like_mining_frames(data):
            self.mode, self._flights = "plain", {}
            self._fact("Stratum V2 mining frames with no SetupConnection before them (a "
                       "capture begun inside the session)")
            return bytes(data)
        if direction == "down" and not up:
            self.mode = "other"  # the server spoke first: not SV2
        elif direction == "up" and not down:
            up += data
            if sv2.looks_like_setup_connection(bytes(up)):
                self.mode, self._flights = "plain", {}
                return bytes(up)
            if len(up) > sv2.NOISE_INITIATOR_SIZE:
                self.mode = "other"
        elif direction == "down":
            down += data
            if not sv2.noise_flights_fit(len(up), len(down)):
                self.mode = "other"
        else:
            self._decide_noise()
            self.counters["encrypted_bytes_up"] += len(data) * (self.mode == "noise")
        return b""

    def _decide_noise(self) -> None:
        up, down = bytes(self._flights["up"]), bytes(self._flights["down"])
        self._flights = {}
        port = self.server[1] if self.server else "?"
        if sv2.looks_like_sv2_noise(up, down):
            self.mode = "noise"
            self._fact(f"Noise NX handshake on port {port}")
        elif sv2.looks_like_braiins_noise(up, down):
            self.mode = "noise"
            self._fact(f"Noise NX handshake on port {port} (X25519 keys behind 2-byte lengths, "
                       "as Braiins Pool's first Stratum V2)")
        else:
            self.mode = "other"

    # --- plaintext messages -------------------------------------------------------------------

    def _frame(self, direction: str, ts: float, frame: sv2.Frame) -> None:
        try:
            msg = sv2.decode(frame)
        except DecodeError:
            self.counters["decode_errors"] += 1
            return
        handler = HANDLERS.get(type(msg))
        if handler is None:
            self.counters["other_messages"] += 1
            return
        fields = handler(self, msg) or {}
        if self._row is None:  # (the columns every event of the session shares)
            self._row = dict.fromkeys(EVENT_COLUMNS) | self._endpoints() | {"dialect": DIALECT}
        row = self._row | fields
        row.update(ts=ts, direction=direction, method=sv2.message_name(msg))
        self.events.append(row)

    def _fact(self, text: str) -> None:
        add_fact(self._evidence, text)

    def _track(self, table: OrderedDict, key, value) -> None:
        remember(table, key, value)

    def _on_setup(self, m: sv2.SetupConnection) -> dict:
        self._mining = self._mining or m.protocol == 0
        self.agent = " ".join(x for x in (m.vendor, m.hardware_version, m.firmware) if x) or None
        if m.endpoint_host and not m.endpoint_host.replace(".", "").isdigit():
            self.pool_host = self.pool_host or m.endpoint_host
        self._fact(f"SetupConnection ({sv2.PROTOCOLS.get(m.protocol, m.protocol)} protocol, "
                   f"v{m.min_version}-{m.max_version}) from {self.agent or '?'}")
        return {"agent": self.agent}

    def _on_open(self, m) -> dict:
        self._mining = True
        self._track(self._opening, m.request_id, m.user_identity)
        wallet, worker = split_login(m.user_identity)
        self.wallet, self.worker = wallet or self.wallet, worker or self.worker
        coins, fmt = identify_address(wallet)
        self._coins = coins or self._coins
        self._fact(f"channel opened for {wallet[:24]}" + (f" ({fmt})" if fmt else ""))
        if m.nominal_hash_rate > 0:
            self.reported_hashrate_hs = float(m.nominal_hash_rate)
        return {"msg_id": str(m.request_id), "wallet": self.wallet, "worker": worker}

    def _on_opened(self, m) -> dict:
        self._mining = True
        self._opening.pop(m.request_id, None)
        self._targets[m.channel_id] = m.target
        return {"msg_id": str(m.request_id), "difficulty": hps_from_target(m.target)}

    def _on_set_target(self, m: sv2.SetTarget) -> dict:
        self._mining = True
        self._targets[m.channel_id] = m.maximum_target
        for (channel, _), job in self._jobs.items():
            if channel == m.channel_id and job[1]:
                job[0] = m.maximum_target  # future jobs take the target in force when they start
        hps = hps_from_target(m.maximum_target)
        self._fact(f"SetTarget: {hps:.4g} hashes per share" if hps else "SetTarget 0")
        return {"difficulty": hps}

    def _on_job(self, m: sv2.NewMiningJob) -> dict:
        self._mining = True
        target = self._targets.get(m.channel_id)
        self._track(self._jobs, (m.channel_id, m.job_id), [target, m.min_ntime is None])
        return {"job_id": str(m.job_id), "difficulty": hps_from_target(target)}

    def _on_submit(self, m) -> dict:
        self._mining = True
        self.shares += 1
        job = self._jobs.get((m.channel_id, m.job_id))
        target = job[0] if job and job[0] else self._targets.get(m.channel_id)
        self._track(self._submits, (m.channel_id, m.sequence_number), target)
        return {"job_id": str(m.job_id), "msg_id": str(m.sequence_number),
                "difficulty": hps_from_target(target)}

    def _on_success(self, m: sv2.SubmitSharesSuccess) -> dict:
        pending = [k for k in self._submits
                   if k[0] == m.channel_id and k[1] <= m.last_sequence_number]
        count = m.new_submits_accepted_count
        for key in pending[:count]:
            self._paid[self._submits.pop(key)] += 1
        missed = max(count - len(pending), 0)  # submitted before the capture began
        if missed:
            self._paid[self._targets.get(m.channel_id)] += missed
        self.accepted += count
        self.shares += missed
        return {"msg_id": str(m.last_sequence_number), "accepted": True}

    def _on_reject(self, m: sv2.SubmitSharesError) -> dict:
        target = self._submits.pop((m.channel_id, m.sequence_number), None)
        self.rejected += 1
        stale = any(w in m.error_code.lower() for w in STALE_WORDS)
        self.counters["rejected_stale" if stale else "rejected_invalid"] += 1
        return {"msg_id": str(m.sequence_number), "accepted": False,
                "difficulty": hps_from_target(target)}

    def _on_error(self, m) -> dict:
        self._fact(f"{sv2.message_name(m)}: {m.error_code[:40]}")
        return {}

    # --- results ------------------------------------------------------------------------------

    def is_mining(self) -> bool:
        """True for an encrypted SV2 handshake, or once a mining-protocol message was seen."""
        if not self.mode and self._flights.get("down"):
            self._decide_noise()  # closed right after the handshake
        return self.mode == "noise" or (self.mode == "plain" and self._mining)

    def hashes(self) -> tuple[float | None, float | None]:
        """(Σ hashes, Σ hashes²) over accepted shares; None when none of them could be priced."""
        priced = [(hps_from_target(t), n) for t, n in self._paid.items()]
        known = [(h, n) for h, n in priced if h is not None]
        self.counters["shares_unpriced"] = sum(n for h, n in priced if h is None)
        if self.accepted and not known:
            return None, None
        return float(sum(h * n for h, n in known)), float(sum(h * h * n for h, n in known))

    def _endpoints(self) -> dict:
        client, server = self.client or (None, None), self.server or (None, None)
        return {"client_ip": client[0], "client_port": client[1], "server_ip": server[0],
                "server_port": server[1], "input_id": self.input_id}

    def summary(self) -> dict:
        """The session as `sessions` columns (hashrate columns are the estimator's)."""
        mining = self.is_mining()
        hashes, hashes_sq = self.hashes() if self.mode == "plain" else (None, None)
        facts = self._evidence + [f"{self.shares} shares: {self.accepted} accepted, "
                                  f"{self.rejected} rejected"] * (self.shares > 0)
        coin = pick_coin(ALGORITHM, self._coins)
        return self._endpoints() | {
            "dialect": DIALECT if self.mode in ("plain", "noise") else None,
            "coin": coin, "algorithm": ALGORITHM,
            "coin_confidence": coin_confidence(coin, ALGORITHM, {
                "wallet": self._coins, "pool": host_coins(self.pool_host)}),
            "pool_host": self.pool_host, "wallet": self.wallet, "worker": self.worker,
            "password": None,  # SV2 opens a channel with a user identity alone
            "agent": self.agent, "tls": self.encrypted, "shares": self.shares,
            "shares_accepted": self.accepted, "shares_rejected": self.rejected,
            "shares_effort": sum(self._paid.values()),
            "hashes": hashes, "hashes_sq": hashes_sq, "ts_start": self.ts_start,
            "ts_end": self.ts_end, "reported_hashrate_hs": self.reported_hashrate_hs,
            "detection": "payload" if mining else None,
            "evidence": json.dumps(facts, ensure_ascii=False),
        }


_S = Sv2Session
HANDLERS = {
    sv2.SetupConnection: _S._on_setup,
    sv2.SetupConnectionSuccess: lambda s, m: {},
    sv2.SetupConnectionError: _S._on_error,
    sv2.OpenStandardMiningChannel: _S._on_open,
    sv2.OpenExtendedMiningChannel: _S._on_open,
    sv2.OpenStandardMiningChannelSuccess: _S._on_opened,
    sv2.OpenExtendedMiningChannelSuccess: _S._on_opened,
    sv2.OpenMiningChannelError: _S._on_error,
    sv2.SetTarget: _S._on_set_target,
    sv2.NewMiningJob: _S._on_job,
    sv2.SubmitSharesStandard: _S._on_submit,
    sv2.SubmitSharesExtended: _S._on_submit,
    sv2.SubmitSharesSuccess: _S._on_success,
    sv2.SubmitSharesError: _S._on_reject,
}
