"""Hashes per share for each Stratum dialect, and hashrate with its 95 % interval from shares.

Formulas from docs/measurement.md §1 and §7. A share at target T takes 2**256 / T hash attempts on
average; each dialect states T differently (a Bitcoin-style difficulty, a 256-bit boundary, a
CryptoNote little-endian compact target). Hashrate is the sum of hashes per share over the
accepted shares divided by the window: Ĥ = Σ HPS_i / Δt [H/s].

Difficulty 1 is the Bitcoin "truediffone" target 0xFFFF·2**208 (cgminer, NiceHash ES1.0, ethminer),
so HPS = D · K_BTC with K_BTC = 2**48 / 65535 = 4 295 032 833.000015 hashes, used exactly here.
NOMP and ethminer approximate K_BTC by 2**32 (1.53e-5 lower); we keep the exact constant so that
hashrates from set_difficulty and from a 256-bit boundary agree to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from scipy.special import gammaincinv

from minewatch.errors import DecodeError, UsageError

TRUEDIFF1 = 0xFFFF << 208  # Bitcoin difficulty-1 target
K_BTC = 2**48 / 65535  # hashes per difficulty-1 share, 4 295 032 833.000015 (= 2**256/TRUEDIFF1)
_K_BTC_EXACT = Fraction(2**256, TRUEDIFF1)
_U64_MAX = 2**64 - 1
_U32_MAX = 2**32 - 1
CONFIDENCE = 0.95

# Stratum-difficulty multipliers m (HPS = D · K_BTC / m), per (pool or miner software, algorithm).
# The factor is implementation-dependent (neoscrypt: 2**5 in NOMP, 2**16 in cpuminer-multi), so it
# is keyed by software too. Algorithms absent from a table use m = 1 (as NOMP's algoProperties).
# Sources: zone117x/node-stratum-pool lib/algoProperties.js; tpruvot/cpuminer-multi cpu-miner.c.
SHARE_MULTIPLIERS: dict[str, dict[str, int]] = {
    "nomp": {
        "scrypt": 2**16, "scrypt-og": 2**16, "scrypt-jane": 2**16, "scrypt-n": 2**16,
        "x16r": 2**8, "x16rv2": 2**8, "keccak": 2**8, "blake": 2**8, "groestl": 2**8,
        "fugue": 2**8, "neoscrypt": 2**5,
        # Equihash pools that send mining.set_difficulty instead of ZIP 301's set_target use
        # ccminer's scale: stratum diff 1 = target 00ffff00.. = 2**24/65535 = 256.004 Sol/share
        # (ccminer equi-stratum.cpp: "0007fff8.. is stratum diff 32"). z-nomp sends targets.
        "equihash": 2**24, "equihash144_5": 2**24, "equihash125_4": 2**24,
        "equihash192_7": 2**24, "equihash210_9": 2**24, "equihash96_5": 2**24,
    },
    "cpuminer-multi": {
        "scrypt": 2**16, "scryptjane": 2**16, "neoscrypt": 2**16, "yescrypt": 2**16,
        "pluck": 2**16, "drop": 2**16, "jha": 2**16,
        "fresh": 2**8, "dmd-gr": 2**8, "groestl": 2**8, "lbry": 2**8, "lyra2v2": 2**8,
        "timetravel": 2**8, "bitcore": 2**8, "xevan": 2**8, "x16r": 2**8,
        "keccak": 2**7, "lyra2": 2**7,
    },
}

# The NOMP table on its own, algorithm -> m (the pool-side convention most dialect code wants).
SHARE_MULTIPLIER: dict[str, int] = SHARE_MULTIPLIERS["nomp"]


def share_multiplier(algorithm: str, software: str = "nomp") -> int:
    """Stratum-difficulty multiplier m of `algorithm` under `software` (1 when not listed)."""
    return SHARE_MULTIPLIERS.get(software.lower(), {}).get(algorithm.lower(), 1)


def hps_from_difficulty(difficulty: float, multiplier: float = 1) -> float:
    """Hashes per share for a Stratum V1 / EthereumStratum/1.0.0 `mining.set_difficulty` D [H].

    HPS = D · K_BTC / m; m = 2**16 for NOMP scrypt etc. (see `share_multiplier`).
    """
    if not difficulty > 0 or not multiplier > 0:
        raise DecodeError(f"difficulty and multiplier must be positive: {difficulty}, {multiplier}")
    return difficulty * K_BTC / multiplier


def _target_int(hex_target: str, max_digits: int) -> int:
    text = hex_target.strip().lower().removeprefix("0x")
    if not text or len(text) > max_digits:
        raise DecodeError(f"target must be 1..{max_digits} hex digits: {hex_target!r}")
    try:
        value = int(text, 16)
    except ValueError:
        raise DecodeError(f"target is not hex: {hex_target!r}") from None
    if value == 0:
        raise DecodeError("target is zero")
    return value


def hps_from_target256(hex_target: str) -> float:
    """Hashes (Equihash: solutions) per share for a 256-bit big-endian target T: 2**256 / T.

    For ETHProxy result[2], EthereumStratum/2.0.0 mining.set target, KawPow notify params[3] and
    ZIP 301 mining.set_target. Short hex is left-padded, as ethminer does ("coinmine.pl fix").
    """
    return 2**256 / _target_int(hex_target, 64)


def cryptonote_difficulty(hex_target: str) -> int:
    """Difficulty of a CryptoNote/XMRig job "target" (little-endian hex, 4 or 8 bytes).

    XMRig Job::setTarget/toDiff: 4 bytes: t64 = ⌊(2**64−1) / ⌊(2**32−1)/t32⌋⌋; 8 bytes: t64 as
    read; D = ⌊(2**64−1) / t64⌋. Integer arithmetic throughout, as in XMRig.
    """
    try:
        raw = bytes.fromhex(hex_target.strip().lower().removeprefix("0x"))
    except ValueError:
        raise DecodeError(f"target is not hex: {hex_target!r}") from None
    if len(raw) not in (4, 8):
        raise DecodeError(f"CryptoNote target must be 4 or 8 bytes: {hex_target!r}")
    t = int.from_bytes(raw, "little")
    if t == 0:
        raise DecodeError("target is zero")
    if len(raw) == 4:
        t = _U64_MAX // (_U32_MAX // t)
    return _U64_MAX // t


def hps_from_cryptonote_target(hex_target: str) -> float:
    """Hashes per share for a CryptoNote/XMRig "target" [H]: the difficulty (1 diff = 1 hash)."""
    return float(cryptonote_difficulty(hex_target))


def cryptonote_target_from_difficulty(difficulty: int) -> str:
    """Compact 4-byte target hex a nodejs-pool sends for `difficulty` (getTargetHex).

    First 4 bytes (big-endian) of ⌊(2**256−1)/D⌋, byte-reversed: 10000 → 'b88d0600'. The
    32-bit target is coarse: XMRig reads D = 500000 back as 500054 (`cryptonote_difficulty`).
    """
    if difficulty < 1:
        raise UsageError(f"difficulty must be >= 1: {difficulty}")
    top = ((2**256 - 1) // int(difficulty)).to_bytes(32, "big")[:4]
    return top[::-1].hex()


def difficulty_to_target256(difficulty: float, multiplier: float = 1) -> str:
    """64-hex target for a Stratum difficulty: ⌊TRUEDIFF1 · m / D⌋ (hps_from_difficulty inverse)."""
    if not difficulty > 0 or not multiplier > 0:
        raise UsageError(f"difficulty and multiplier must be positive: {difficulty}, {multiplier}")
    target = int(TRUEDIFF1 * Fraction(multiplier) / Fraction(difficulty))
    return f"{min(target, 2**256 - 1):064x}"


def target256_from_hps(hashes_per_share: float) -> str:
    """64-hex boundary ⌊2**256 / HPS⌋ (open-ethereum-pool GetTargetHex; ZIP 301 in Sol)."""
    if not hashes_per_share >= 1:
        raise UsageError(f"hashes per share must be >= 1: {hashes_per_share}")
    target = int(Fraction(2**256) / Fraction(hashes_per_share))
    return f"{min(target, 2**256 - 1):064x}"


@dataclass(frozen=True, slots=True)
class HashrateEstimate:
    """Hashrate [H/s, Sol/s for Equihash] with its 95 % interval, from `shares` shares.

    `high` is None when no share was seen and the difficulty is unknown. `stddev` is
    sqrt(Σ HPS_i²)/Δt, the standard error that also holds when the difficulty varied.
    """

    value: float
    low: float
    high: float | None
    shares: int
    method: str = "shares"
    stddev: float = 0.0


def poisson_interval(count: float, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson mean after observing `count` events:
    chi2.ppf(alpha/2, 2k)/2 and chi2.ppf(1 - alpha/2, 2k + 2)/2, computed as scipy's chi2
    computes them (the inverse regularised gamma function), without importing scipy.stats
    (half a second of every command's start)."""
    alpha = 1 - confidence
    low = gammaincinv(count, alpha / 2) if count > 0 else 0.0
    high = gammaincinv(count + 1, 1 - alpha / 2)
    return float(low), float(high)


def estimate_hashrate(
    shares: int, hashes: float, hashes_sq: float, window_s: float, mean_hps: float | None = None
) -> HashrateEstimate:
    """Hashrate from `shares` accepted shares worth `hashes` = Σ HPS_i over `window_s` seconds.

    Ĥ = hashes / window [H/s]. The 95 % interval is Garwood's on the effective number of
    shares n_eff = (Σ HPS)² / Σ HPS², scaled by Σ HPS / n_eff: with a constant difficulty that is
    the exact Poisson interval on the share count; when vardiff changed the difficulty, the
    variance Σ HPS² is dominated by the large-difficulty shares and n_eff < N widens the
    interval accordingly (measurement.md §1.4). `hashes_sq` also gives `stddev`. With no share,
    Ĥ = 0 and the upper bound uses `mean_hps` (the difficulty in force, if known) — else None.
    """
    if not window_s > 0 or shares < 0:
        raise UsageError(f"need window_s > 0 and shares >= 0: {window_s}, {shares}")
    n_eff = hashes * hashes / hashes_sq if shares and hashes_sq > 0 else float(shares)
    per_share = hashes / n_eff if shares else mean_hps
    low, high = poisson_interval(n_eff)
    scale = None if per_share is None else per_share / window_s
    return HashrateEstimate(
        value=hashes / window_s if shares else 0.0,
        low=low * scale if scale is not None else 0.0,
        high=high * scale if scale is not None else None,
        shares=shares,
        stddev=max(hashes_sq, 0.0) ** 0.5 / window_s,
    )
