"""Which chain a Bitcoin-family job builds on, read off the job itself.

A pool's `mining.notify` carries the start of the block's coinbase, whose scriptSig opens with
the block's height (BIP 34), and the header's time and compact target. Chains grow at their own
pace (Bitcoin a block every 10 minutes since January 2009, Litecoin every 2.5 since October
2011, Dogecoin every minute since December 2013), so a height at a time names the chain: block
535,018 in August 2018 is Bitcoin's (or Bitcoin Cash's: they share a history and a pace), a
Litecoin block then is near 1,470,000, a Dogecoin one near 2,340,000. The chain names the
algorithm, and Stratum's difficulty depends on it (a scrypt share stands for 2^16 times fewer
hashes than a SHA-256d share of the same difficulty), where the login is an account name, the
pool's address is unknown and nothing else tells: a capture begun mid-session, or one that
holds only the pool's direction.

A target above SHA-256d's limit (nBits above 1d00ffff) is no Bitcoin chain's, its testnets'
included. Such jobs come from testnets and young coins of scrypt (Litecoin's testnet has
1e0fffff as its limit) and of rarer Bitcoin-header algorithms (X11); where no main chain's height
fits, scrypt is assumed, and the fact says so. Regtest's targets (207fffff, about 2^255) say
nothing.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass

from minewatch.decode.stratum_v1 import (BITCOIN_POW_LIMIT, coinbase_height, compact_target,
                                         header_time)

# chain -> (algorithm, coins it may be, block interval s, (unix time, height) it passed, from
# block explorers). Heights between anchors are interpolated, after the last they grow one per
# interval. Bitcoin Cash shares Bitcoin's history (to block 478,558, 2017-08-01) and pace: it
# was 0.3 % ahead by 2024, well within TOLERANCE.
CHAINS: dict[str, tuple[str, tuple[str, ...], float, tuple[tuple[int, int], ...]]] = {
    "bitcoin": ("sha256d", ("BTC", "BCH"), 600.0, (
        (1231006505, 0), (1293623863, 100_000), (1348310759, 200_000), (1399703554, 300_000),
        (1456417484, 400_000), (1513622125, 500_000), (1571443461, 600_000),
        (1631333672, 700_000), (1690168629, 800_000), (1713571767, 840_000))),
    # genesis, then the halvings at 840,000, 1,680,000 and 2,520,000
    "litecoin": ("scrypt", ("LTC",), 150.0, (
        (1317972665, 0), (1440500000, 840_000), (1565000000, 1_680_000),
        (1690976000, 2_520_000))),
    # genesis; block 600,000, the first of the fixed 10,000 DOGE reward; the chain data of
    # Dogecoin Core 1.14.3's parameters; a node's tip in August 2026
    "dogecoin": ("scrypt", ("DOGE",), 60.0, (
        (1386325540, 0), (1424908800, 600_000), (1544484077, 2_510_150),
        (1787013388, 6_336_470))),
}
TOLERANCE = 0.05  # a height within 5 % of a chain's at the job's time is that chain's
FIRST_HEIGHT = 17  # lower heights are pushed as OP_1..OP_16 (and tell nothing)
REGTEST_TARGETS = 1 << 240  # targets from here up are a regtest's (207fffff): no chain's
ASSUMED = "scrypt"  # of a job whose target no SHA-256d chain allows, when no height fits


@dataclass(frozen=True, slots=True)
class Chain:
    """What a job's block says: the algorithm ("" when the chains it fits are mined
    differently, or none), the coins, likeliest first, and the fact ("" for nothing)."""

    algorithm: str = ""
    coins: tuple[str, ...] = ()
    fact: str = ""


def expected_height(chain: str, ts: float) -> float | None:
    """The height `chain` had at unix time ts; None before its genesis."""
    _, _, interval, anchors = CHAINS[chain]
    if ts < anchors[0][0]:
        return None
    k = bisect_right([t for t, _ in anchors], ts) - 1
    if k == len(anchors) - 1:
        return anchors[k][1] + (ts - anchors[k][0]) / interval
    (t0, h0), (t1, h1) = anchors[k], anchors[k + 1]
    return h0 + (h1 - h0) * (ts - t0) / (t1 - t0)


def chains_at(height: int, ts: float) -> list[str]:
    """The chains whose height at ts is within TOLERANCE of `height`, nearest first."""
    near = []
    for chain in CHAINS:
        expected = expected_height(chain, ts)
        if expected and abs(height - expected) <= TOLERANCE * expected:
            near.append((abs(height - expected) / expected, chain))
    return [chain for _, chain in sorted(near)]


def job_chain(coinb1: str, nbits: str, ntime: str) -> Chain:
    """The chain a Bitcoin-family job (mining.notify's coinb1, nbits and ntime) builds on."""
    return block_chain(coinbase_height(coinb1), nbits, header_time(ntime) or 0)


def block_chain(height: int | None, nbits: str | None, ts: float,
                source: str = "coinbase height") -> Chain:
    """The chain a block at `height` (None: unknown) with compact target `nbits` (None:
    unknown) at unix time ts builds on; `source` names where the height was read."""
    target = compact_target(nbits) if nbits else None
    found = chains_at(height, ts) if height is not None and height >= FIRST_HEIGHT else []
    above = target is not None and BITCOIN_POW_LIMIT < target < REGTEST_TARGETS
    if above:
        found = [c for c in found if CHAINS[c][0] != "sha256d"]
    coins = tuple(coin for c in found for coin in CHAINS[c][1])
    algorithms = {CHAINS[c][0] for c in found}
    when = time.strftime("%Y-%m-%d", time.gmtime(ts))
    if found:
        algorithm = algorithms.pop() if len(algorithms) == 1 else ""
        return Chain(algorithm, coins, f"{source} {height:,} on {when}: the chain of "
                     f"{', '.join(coins)}" + (f" ({algorithm})" if algorithm else ""))
    if above:
        return Chain(ASSUMED, (), f"network target {nbits} above SHA-256d's limit 1d00ffff: no "
                     f"Bitcoin chain's, {ASSUMED} assumed")
    return Chain()
