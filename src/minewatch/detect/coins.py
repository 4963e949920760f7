"""Which coin a pool login is for, from the format of the wallet address in it.

Checksums are verified for every format: base58check (double SHA-256) for BTC, BCH, LTC, DOGE,
DGB, RVN, DASH, BTG and Zcash transparent addresses, bech32/bech32m (BIP 173/350) for bc1, ltc1,
dgb1 and zs1, cashaddr for BCH and Kaspa ("kaspa:", the same checksum with its own prefix), base58 with a
Blake2b-256 checksum for Ergo, and Keccak-256 (pycryptodome; the original Keccak padding, not
SHA3-256) for Monero's block base58 and Ethereum's EIP-55 mixed case. An address whose checksum
fails names no coin. Where two coins share a version byte (DigiByte's D... is Dogecoin's) both
are candidates, and `pick_coin` lets the job's algorithm choose. `make_address` writes valid
addresses of the same formats for the simulator (not Kaspa's, Ergo's, BTG's or DigiByte's).
"""

from __future__ import annotations

import hashlib
import re

from Crypto.Hash import keccak

from minewatch.errors import UsageError

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58)}
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32)}
_BECH32M_CONST = 0x2BC830A3

# base58check version prefix -> (coins, format); testnets give no coin (shared by forks)
B58_VERSIONS: dict[bytes, tuple[tuple[str, ...], str]] = {
    b"\x00": (("BTC", "BCH"), "P2PKH base58check"),
    b"\x05": (("BTC", "BCH", "LTC"), "P2SH base58check"),
    b"\x30": (("LTC",), "P2PKH base58check"),
    b"\x32": (("LTC",), "P2SH base58check"),
    b"\x1e": (("DOGE", "DGB"), "P2PKH base58check"),  # DigiByte's D... too: the job tells
    b"\x3f": (("DGB",), "P2SH base58check"),
    b"\x16": (("DOGE",), "P2SH base58check"),
    b"\x3c": (("RVN",), "P2PKH base58check"),
    b"\x7a": (("RVN",), "P2SH base58check"),
    b"\x4c": (("DASH",), "P2PKH base58check"),
    b"\x10": (("DASH",), "P2SH base58check"),
    b"\x26": (("BTG",), "P2PKH base58check"),
    b"\x17": (("BTG",), "P2SH base58check"),
    b"\x1c\xb8": (("ZEC", "FLUX"), "t1 base58check"),  # Flux kept Zcash's t1 prefix
    b"\x1c\xbd": (("ZEC",), "t3 base58check"),
    b"\x6f": ((), "testnet P2PKH base58check"),
    b"\xc4": ((), "testnet P2SH base58check"),
}
BECH32_HRPS = {"bc": ("BTC",), "ltc": ("LTC",), "dgb": ("DGB",), "zs": ("ZEC",), "tb": (),
               "tltc": ()}
_ETH = re.compile(r"0x[0-9a-fA-F]{40}")
# The coins of Ethereum-style addresses, Ether's first: Ethereum Classic's, and EthereumPoW's
# (the proof-of-work fork of the Merge, 2022-09-15, mined at ethw. pools)
ETH_STYLE = ("ETH", "ETC", "ETHW")
# CryptoNote network prefixes (a varint; each coin's src/cryptonote_config.h) -> (coins, name,
# network, kind). Testnet and stagenet addresses are recognised when their checksum holds but
# name no coin, as the base58check testnets above do: nobody is paid for mining them (Monero's
# test prefixes are shared by Wownero and Zephyr). Other RandomX coins' pools take the same
# `rx/0` jobs as Monero's, so only the address tells Zephyr or Salvium from Monero.
CRYPTONOTE_PREFIXES: dict[int, tuple[tuple[str, ...], str, str, str]] = {
    18: (("XMR",), "Monero", "", "standard address"),
    19: (("XMR",), "Monero", "", "integrated address"),
    42: (("XMR",), "Monero", "", "subaddress"),
    53: ((), "Monero", "testnet ", "standard address"),
    54: ((), "Monero", "testnet ", "integrated address"),
    63: ((), "Monero", "testnet ", "subaddress"),
    24: ((), "Monero", "stagenet ", "standard address"),
    25: ((), "Monero", "stagenet ", "integrated address"),
    36: ((), "Monero", "stagenet ", "subaddress"),
    4146: (("WOW",), "Wownero", "", "standard address"),  # Wo...
    6810: (("WOW",), "Wownero", "", "integrated address"),
    12208: (("WOW",), "Wownero", "", "subaddress"),
    0x6241D18C0: (("ZEPH",), "Zephyr", "", "standard address"),  # ZEPHYR...
    0xC4F7D18C0: (("ZEPH",), "Zephyr", "", "integrated address"),
    0x8DD58C0: (("ZEPH",), "Zephyr", "", "subaddress"),
    0x3EF318: (("SAL",), "Salvium", "", "standard address"),  # SaLv...
    0x55EF318: (("SAL",), "Salvium", "", "integrated address"),
    0xF5EF318: (("SAL",), "Salvium", "", "subaddress"),
    0x15BEB318: ((), "Salvium", "testnet ", "standard address"),
    0xD055EB318: ((), "Salvium", "testnet ", "integrated address"),
    0xA59EB318: ((), "Salvium", "testnet ", "subaddress"),
    0x149EB318: ((), "Salvium", "stagenet ", "standard address"),
    0xF343EB318: ((), "Salvium", "stagenet ", "integrated address"),
    0x2D47EB318: ((), "Salvium", "stagenet ", "subaddress"),
}
_XMR_KEYS = 64  # public spend key + public view key
_XMR_PAYMENT_ID = 8  # integrated addresses only
_XMR_BLOCK_CHARS = (0, 2, 3, 5, 6, 7, 9, 10, 11)  # encoded chars for a block of n bytes

# xmrig-style algorithm names and families -> (algorithm family, coin it implies)
ALGORITHM_COINS = {
    "rx/0": ("randomx", "XMR"), "randomx": ("randomx", "XMR"), "rx/wow": ("randomx", "WOW"),
    "rx/arq": ("randomx", "ARQ"), "rx/sfx": ("randomx", "SFX"), "rx/loki": ("randomx", "LOKI"),
    "cn/r": ("cryptonight", "XMR"), "kawpow": ("kawpow", "RVN"), "ethash": ("ethash", "ETH"),
    "etchash": ("etchash", "ETC"), "argon2/chukwa": ("argon2", "TRTL"),
    "astrobwt": ("astrobwt", "DERO"), "ghostrider": ("ghostrider", "RTM"),
    "kheavyhash": ("kheavyhash", "KAS"), "autolykos2": ("autolykos2", "ERG"),
    "autolykos": ("autolykos2", "ERG"),
}
COIN_ALGORITHMS = {"BTC": "sha256d", "BCH": "sha256d", "LTC": "scrypt", "DOGE": "scrypt",
                   "DASH": "x11", "ZEC": "equihash", "RVN": "kawpow", "ETH": "ethash",
                   "ETC": "etchash", "ETHW": "ethash", "XMR": "randomx", "BTG": "equihash144_5",
                   "WOW": "randomx", "ZEPH": "randomx", "SAL": "randomx",
                   "FLUX": "equihash125_4",
                   "KAS": "kheavyhash", "ERG": "autolykos2"}
# Ethereum's Merge (block 15,537,393, 2022-09-15 06:42:42 UTC): no Ether mined after it
MERGE_TS = 1663224162.0
# Equihash parameter sets (decode.stratum_v1.equihash_params) as algorithms: 200,9 is the
# "equihash" of Zcash and of the efficiency table; the others are other coins' (Bitcoin Gold's
# Zhash, Flux's ZelHash), mined on GPUs.
EQUIHASH_ALGORITHMS = {(200, 9): "equihash", (144, 5): "equihash144_5",
                       (125, 4): "equihash125_4", (192, 7): "equihash192_7",
                       (210, 9): "equihash210_9", (96, 5): "equihash96_5"}
# Coins mined with several algorithms, one per pool port (DigiByte: no single default)
MULTI_ALGORITHM = {"DGB": ("sha256d", "scrypt", "odocrypt", "skein", "qubit")}
# Algorithms a coin was mined with before its present one (Monero: CryptoNight variants until
# the RandomX fork of November 2019, block version 12)
FORMER_ALGORITHMS = {"XMR": ("cryptonight",)}
XMR_RANDOMX_VERSION = 12
XMR_RANDOMX_TS = 1575072000.0  # 2019-11-30, the day of that fork (block 1,978,433)
# Coins whose own pools speak EthereumStratum/1.0.0 (Kaspa, Ergo): their wallet names the
# algorithm, where the dialect alone would say ethash.
OWN_ETHEREUMSTRATUM = ("KAS", "ERG")


def algorithm_family(name: str) -> tuple[str, str | None]:
    """(family, implied coin or None) for an algorithm name as miners and pools write it."""
    key = name.strip().lower()
    if key in ALGORITHM_COINS:
        return ALGORITHM_COINS[key]
    for prefix, family in (("rx/", "randomx"), ("cn", "cryptonight"), ("argon2", "argon2")):
        if key.startswith(prefix):
            return family, None
    return key, None


FAMILY_COINS = {"ethash": "ETH", "etchash": "ETC", "kawpow": "RVN", "kheavyhash": "KAS",
                "autolykos2": "ERG", "equihash125_4": "FLUX",
                "randomx": "XMR"}  # one main coin each (RandomX's other coins are far smaller)
# The coin of nearly all of an algorithm's hash power, for a session that nothing else names a
# coin for, once pool intelligence has had its say (`engine.derive`: a BCH pool's name wins):
# SHA-256d Bitcoin before BCH and BSV, scrypt Litecoin (Dogecoin is merge-mined with it),
# Equihash 200,9 Zcash, 144,5 Bitcoin Gold, X11 Dash
MAIN_COINS = FAMILY_COINS | {"sha256d": "BTC", "scrypt": "LTC", "equihash": "ZEC",
                             "equihash144_5": "BTG", "x11": "DASH"}

# Miner firmware and software whose user agent names the one algorithm it mines, as pools see
# them (`mining.subscribe`, a login's agent, an HTTP User-Agent): the Antminer model letter
# (S/T SHA-256d, L scrypt, Z Equihash, D X11, KS kHeavyHash); firmware made for SHA-256d
# machines only (MicroBT's whatsminer, Braiins OS's bosminer, Luxor's LUXminer, ePIC's
# PowerPlay-BM); the open BM13xx-chip boards (bitaxe, NerdAxe family, NMAxe, bitforge, Zyber,
# LuckyMiner, mujina); nheqminer (Equihash) and kawpowminer. Bitmain's bmminer and VNish's
# xminer run on Antminers of every algorithm (L3+ and L7 too), and multi-algorithm miners
# (cgminer, lolMiner, T-Rex, ...) are left out: their agent says nothing of the algorithm.
AGENT_ALGORITHMS = (
    (re.compile(r"\b(?:bosminer|braiins|luxminer|whatsminer|powerplay-bm|bitaxe|nerd\w*|nmaxe"
                r"|bitforge|zyber8|luckyminer|mujina-miner)|\bbm13\d\d\b|\bantminer ?[st]\d",
                re.I), "sha256d"),
    (re.compile(r"\bantminer ?l\d", re.I), "scrypt"),
    (re.compile(r"\bantminer ?z\d|\bnheqminer", re.I), "equihash"),
    (re.compile(r"\bantminer ?d\d", re.I), "x11"),
    (re.compile(r"\bantminer ?ks\d", re.I), "kheavyhash"),
    (re.compile(r"\bkawpowminer", re.I), "kawpow"),
)


def agent_algorithm(agent: str | None) -> str:
    """The algorithm a miner's user agent names ("" when it names none)."""
    return next((algo for pattern, algo in AGENT_ALGORITHMS if pattern.search(agent or "")), "")


# Coin names and tickers as pools write them in their host names (eu1-zcash.flypool.org,
# xmr-eu1.nanopool.org, etc.2miners.com)
HOST_COINS = {"btc": "BTC", "bitcoin": "BTC", "bch": "BCH", "ltc": "LTC", "litecoin": "LTC",
              "doge": "DOGE", "dogecoin": "DOGE", "dash": "DASH", "zec": "ZEC", "zcash": "ZEC",
              "rvn": "RVN", "ravencoin": "RVN", "eth": "ETH", "ethereum": "ETH", "etc": "ETC",
              "ethw": "ETHW", "ethpow": "ETHW",
              "xmr": "XMR", "monero": "XMR", "btg": "BTG", "kas": "KAS", "kaspa": "KAS",
              "erg": "ERG", "ergo": "ERG", "dcr": "DCR", "decred": "DCR", "zen": "ZEN",
              "horizen": "ZEN", "firo": "FIRO", "grin": "GRIN", "beam": "BEAM", "cfx": "CFX",
              "conflux": "CFX", "aeon": "AEON", "etn": "ETN", "electroneum": "ETN",
              "wownero": "WOW", "trtl": "TRTL", "turtlecoin": "TRTL", "xhv": "XHV",
              "haven": "XHV", "loki": "LOKI", "flux": "FLUX", "zelcash": "FLUX",
              "zeph": "ZEPH", "zephyr": "ZEPH", "salvium": "SAL"}


# Mining algorithms as pools name their stratum hosts after them (kawpow.auto.nicehash.com,
# randomxmonero.eu.nicehash.com, scrypt.mine.zergpool.com): no operator names a web site so
HOST_ALGORITHMS = {"daggerhashimoto": "ethash", "ethash": "ethash", "etchash": "etchash",
                   "kawpow": "kawpow", "randomxmonero": "randomx", "randomx": "randomx",
                   "sha256": "sha256d", "sha256d": "sha256d", "sha256asicboost": "sha256d",
                   "scrypt": "scrypt", "equihash": "equihash", "zhash": "equihash144_5",
                   "zelhash": "equihash125_4", "autolykos": "autolykos2",
                   "autolykos2": "autolykos2", "kheavyhash": "kheavyhash", "x11": "x11"}


def host_algorithms(host: str | None) -> tuple[str, ...]:
    """The algorithms a pool's host name names, in order (('kawpow',) for
    kawpow.auto.nicehash.com)."""
    return _host_words(host, HOST_ALGORITHMS)


def host_coins(host: str | None) -> tuple[str, ...]:
    """The coins a pool's host name names, in order (('ZEC',) for eu1-zcash.flypool.org)."""
    return _host_words(host, HOST_COINS)


def _host_words(host: str | None, table: dict[str, str]) -> tuple[str, ...]:
    """What the words of a host name (split at dots, dashes, underscores) name in `table`."""
    words = re.split(r"[.\-_]", (host or "").lower())
    return tuple(dict.fromkeys(table[w] for w in words if w in table))


def pick_algorithm(names, wallet_coins: tuple[str, ...]) -> str:
    """The algorithm family: the first non-empty of `names` (ordered by trust), else the
    likeliest wallet coin's algorithm, else ""."""
    for name in names:
        if name:
            return algorithm_family(name)[0]
    return COIN_ALGORITHMS.get(wallet_coins[0], "") if wallet_coins else ""


def pick_coin(algorithm: str, wallet_coins: tuple[str, ...], names=()) -> str:
    """The first wallet candidate mined with `algorithm`, else a coin one of the algorithm
    `names` implies (rx/0 -> XMR), else the algorithm family's main coin, else ""."""
    fits = _mined_with(wallet_coins, algorithm)
    if fits:
        return fits[0]
    return next((c for c in _implied(names) if c), FAMILY_COINS.get(algorithm, ""))


def _mined_with(coins, algorithm: str) -> list[str]:
    """The coins (in order, once each) mined with `algorithm` (all of them for "")."""
    return [c for c in dict.fromkeys(coins) if not algorithm or COIN_ALGORITHMS.get(c) == algorithm
            or algorithm in MULTI_ALGORITHM.get(c, ()) + FORMER_ALGORITHMS.get(c, ())]


def _implied(names) -> list[str | None]:
    return [algorithm_family(n)[1] for n in names if n]


# How sure a session's coin is (sessions.coin_confidence), by the strongest evidence naming it
COIN_CONFIDENCE = {
    "wallet": 0.95,  # the wallet's checksummed address is of this coin alone (of the algorithm's)
    "picked": 0.9,  # of this coin and others; the pool's name or the job's chain picks it
    "chain": 0.9,  # the jobs build on this coin's chain alone
    "pool": 0.85,  # the pool's host name, or a pool list, names it
    "name": 0.75,  # an algorithm name implies it (rx/0 Monero, etchash Ethereum Classic)
    "first": 0.7,  # of this coin and others alike, nothing picking: the one of most hash power
    "main": 0.5,  # nothing names a coin: the algorithm's main one is assumed
}


def coin_confidence(coin: str | None, algorithm: str, evidence: dict) -> float | None:
    """How sure `coin` is, mined with `algorithm`, given the coins each kind of evidence names:
    evidence = {"wallet": coins, "pool": coins, "chain": coins, "names": algorithm names}
    (any may be absent). None for no coin."""
    if not coin:
        return None
    wallet, pool, chain = (_mined_with(evidence.get(k, ()), algorithm)
                           for k in ("wallet", "pool", "chain"))
    if coin in wallet:
        if len(wallet) == 1:
            return COIN_CONFIDENCE["wallet"]
        picked = coin in pool or chain == [coin]
        return COIN_CONFIDENCE["picked" if picked else "first"]
    if coin in pool:
        return COIN_CONFIDENCE["pool"]
    if coin in chain:
        return COIN_CONFIDENCE["chain" if len(chain) == 1 else "first"]
    if coin in _implied(evidence.get("names", ())):
        return COIN_CONFIDENCE["name"]
    return COIN_CONFIDENCE["main"]


def b58decode(text: str) -> bytes | None:
    """Bitcoin base58 to bytes (leading '1's are zero bytes); None on a foreign character."""
    num = 0
    for c in text:
        if c not in _B58_INDEX:
            return None
        num = num * 58 + _B58_INDEX[c]
    body = num.to_bytes((num.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def b58encode(data: bytes) -> str:
    num, out = int.from_bytes(data, "big"), ""
    while num:
        num, rem = divmod(num, 58)
        out = B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + out


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def b58check_decode(text: str) -> bytes | None:
    """The payload (version included) when the 4-byte double-SHA-256 checksum holds."""
    raw = b58decode(text)
    if raw is None or len(raw) < 5 or _checksum(raw[:-4]) != raw[-4:]:
        return None
    return raw[:-4]


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + _checksum(payload))


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i, g in enumerate(gen):
            chk ^= g if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], str] | None:
    """(hrp, 5-bit data without checksum, "bech32"|"bech32m") when the checksum holds."""
    if text.lower() != text and text.upper() != text:
        return None
    hrp, sep, rest = text.lower().rpartition("1")
    if not sep or not hrp or len(rest) < 6 or any(c not in _BECH32_INDEX for c in rest):
        return None
    data = [_BECH32_INDEX[c] for c in rest]
    const = _bech32_polymod(_hrp_expand(hrp) + data)
    spec = {1: "bech32", _BECH32M_CONST: "bech32m"}.get(const)
    return (hrp, data[:-6], spec) if spec else None


def bech32_encode(hrp: str, data: list[int], spec: str = "bech32") -> str:
    const = _BECH32M_CONST if spec == "bech32m" else 1
    poly = _bech32_polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + check)


def convertbits(data, frombits: int, tobits: int, pad: bool = True) -> list[int] | None:
    acc, bits, out, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        acc, bits = (acc << frombits) | value, bits + frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or (acc << (tobits - bits)) & maxv):
        return None
    return out


def _segwit_ok(data: list[int], spec: str) -> bool:
    if not data or data[0] > 16:
        return False
    prog = convertbits(data[1:], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40:
        return False
    if data[0] == 0:
        return spec == "bech32" and len(prog) in (20, 32)
    return spec == "bech32m"


def _cashaddr_polymod(values: list[int]) -> int:
    gen = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
    chk = 1
    for v in values:
        top = chk >> 35
        chk = ((chk & 0x07FFFFFFFF) << 5) ^ v
        for i, g in enumerate(gen):
            chk ^= g if (top >> i) & 1 else 0
    return chk ^ 1


def _cashaddr_prefix(prefix: str) -> list[int]:
    return [ord(c) & 31 for c in prefix] + [0]


def _cashaddr_values(prefix: str, body: str) -> list[int] | None:
    """The 5-bit values of a cashaddr-style body (payload and checksum) when every character is
    in the alphabet and the checksum over the prefix holds, else None."""
    if any(c not in _BECH32_INDEX for c in body):
        return None
    values = [_BECH32_INDEX[c] for c in body]
    return values if _cashaddr_polymod(_cashaddr_prefix(prefix) + values) == 0 else None


def cashaddr_ok(text: str) -> bool:
    """A Bitcoin Cash cashaddr ("bitcoincash:q..." or the bare "q.../p..." form)."""
    prefix, _, body = text.lower().rpartition(":")
    prefix = prefix or "bitcoincash"
    if prefix != "bitcoincash" or len(body) != 42 or body[0] not in "qp":
        return False
    return _cashaddr_values(prefix, body) is not None


def cashaddr_encode(version: int, hash160: bytes, prefix: str = "bitcoincash") -> str:
    data = convertbits(bytes([version]) + hash160, 8, 5) or []
    poly = _cashaddr_polymod(_cashaddr_prefix(prefix) + data + [0] * 8)
    check = [(poly >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(BECH32[d] for d in data + check)


KASPA_VERSIONS = {0: 32, 1: 33, 8: 32}  # schnorr key, ECDSA key, script hash -> payload bytes


def _identify_kaspa(text: str) -> tuple[tuple[str, ...], str] | None:
    """A Kaspa address: "kaspa:" and cashaddr's 5-bit encoding and checksum of a version byte
    and a key or script hash (kaspad's util/bech32, which follows cashaddr)."""
    prefix, _, body = text.lower().rpartition(":")
    values = _cashaddr_values(prefix, body) if prefix == "kaspa" and len(body) >= 9 else None
    if values is None:
        return None
    payload = convertbits(values[:-8], 5, 8, False)
    if not payload or KASPA_VERSIONS.get(payload[0]) != len(payload) - 1:
        return None
    return ("KAS",), "kaspa: address (cashaddr checksum)"


ERGO_TYPES = {1: "P2PK", 2: "P2SH", 3: "P2S"}  # mainnet address types (testnet adds 16)


def _identify_ergo(text: str) -> tuple[tuple[str, ...], str] | None:
    """An Ergo address: base58 of a network-and-type byte, the content and the first four
    bytes of Blake2b-256 over both (ergo's ErgoAddressEncoder); a P2PK content is a 33-byte
    key. Testnet addresses check but name no coin."""
    raw = b58decode(text)
    if raw is None or len(raw) < 6:
        return None
    if hashlib.blake2b(raw[:-4], digest_size=32).digest()[:4] != raw[-4:]:
        return None
    kind = ERGO_TYPES.get(raw[0] & 0x0F)
    if kind is None or (kind == "P2PK" and len(raw) != 38):
        return None
    return (("ERG",) if raw[0] < 0x10 else ()), f"Ergo {kind} (Blake2b-256 checksum)"


def xmr_decode(text: str) -> bytes | None:
    """Monero's block base58 (8 bytes per 11 chars) to bytes; None when malformed."""
    out = b""
    for start in range(0, len(text), 11):
        block = text[start:start + 11]
        if len(block) not in _XMR_BLOCK_CHARS:
            return None
        size, num = _XMR_BLOCK_CHARS.index(len(block)), 0
        for c in block:
            if c not in _B58_INDEX:
                return None
            num = num * 58 + _B58_INDEX[c]
        if num >= 1 << (8 * size):
            return None
        out += num.to_bytes(size, "big")
    return out


def xmr_encode(data: bytes) -> str:
    out = ""
    for start in range(0, len(data), 8):
        block = data[start:start + 8]
        num, chars = int.from_bytes(block, "big"), ""
        for _ in range(_XMR_BLOCK_CHARS[len(block)]):
            num, rem = divmod(num, 58)
            chars = B58[rem] + chars
        out += chars
    return out


def keccak256(data: bytes) -> bytes:
    """Keccak-256 as Ethereum and Monero use it (original padding; not hashlib's sha3_256)."""
    return keccak.new(digest_bits=256, data=data).digest()


def _varint(data: bytes) -> tuple[int, int] | None:
    """(value, bytes used) of the LEB128 varint at the start of `data`; None if it runs off."""
    value = 0
    for i, byte in enumerate(data[:10]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, i + 1
    return None


def _varint_encode(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out, value = out + bytes([value & 0x7F | 0x80]), value >> 7
    return out + bytes([value])


def xmr_address_decode(text: str) -> tuple[int, bytes] | None:
    """(network prefix, keys [+ payment id]) of a Monero address when its checksum holds:
    the last 4 decoded bytes are the first 4 of keccak256 of everything before them."""
    raw = xmr_decode(text)
    if raw is None or len(raw) < 5 or keccak256(raw[:-4])[:4] != raw[-4:]:
        return None
    got = _varint(raw[:-4])
    if got is None:
        return None
    prefix, used = got
    return prefix, raw[used:-4]


def xmr_address_encode(prefix: int, body: bytes) -> str:
    """A Monero address: varint network prefix + body (keys [+ payment id]) + Keccak check."""
    data = _varint_encode(prefix) + body
    return xmr_encode(data + keccak256(data)[:4])


def _identify_cryptonote(text: str) -> tuple[tuple[str, ...], str] | None:
    if len(text) not in _CRYPTONOTE_LENGTHS:
        return None
    got = xmr_address_decode(text)
    if got is None or got[0] not in CRYPTONOTE_PREFIXES:
        return None
    coins, name, network, kind = CRYPTONOTE_PREFIXES[got[0]]
    if len(got[1]) != _XMR_KEYS + (_XMR_PAYMENT_ID if kind.startswith("integrated") else 0):
        return None
    return coins, f"{name} {network}{kind} (Keccak checksum)"


def _encoded_length(size: int) -> int:
    """Characters of Monero's base58 for `size` bytes (11 for each whole block of 8)."""
    return 11 * (size // 8) + _XMR_BLOCK_CHARS[size % 8]


_CRYPTONOTE_LENGTHS = frozenset(
    _encoded_length(len(_varint_encode(prefix)) + _XMR_KEYS + 4
                    + (_XMR_PAYMENT_ID if kind.startswith("integrated") else 0))
    for prefix, (_, _, _, kind) in CRYPTONOTE_PREFIXES.items())


def eip55_encode(address: str) -> str:
    """The EIP-55 mixed-case form of a 0x + 40-hex address: hex letter i upper case when
    nibble i of keccak256(the lower-case hex as ASCII) is 8 or more."""
    body = address[2:].lower() if address[:2].lower() == "0x" else address.lower()
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(body, digest))


def eip55_ok(address: str) -> bool:
    """A 0x + 40-hex address passes: single-case (no checksum to check) or valid EIP-55."""
    if not _ETH.fullmatch(address):
        return False
    body = address[2:]
    return body in (body.lower(), body.upper()) or eip55_encode(address) == address


def _identify_eth(text: str) -> tuple[tuple[str, ...], str] | None:
    if not eip55_ok(text):
        return None
    body = text[2:]
    if body in (body.lower(), body.upper()):
        return ETH_STYLE, "0x + 40 hex (Ethereum-style, single case: no EIP-55 checksum)"
    return ETH_STYLE, "0x + 40 hex (Ethereum-style, EIP-55 checksum)"


def _identify_b58(text: str) -> tuple[tuple[str, ...], str] | None:
    payload = b58check_decode(text)
    if payload is None:
        return None
    for version, (coins, fmt) in B58_VERSIONS.items():
        if payload.startswith(version) and len(payload) == len(version) + 20:
            return coins, fmt
    return None


def _identify_bech32(text: str) -> tuple[tuple[str, ...], str] | None:
    got = bech32_decode(text)
    if got is None or got[0] not in BECH32_HRPS:
        return None
    hrp, data, spec = got
    if hrp == "zs":
        ok = spec == "bech32" and len(convertbits(data, 5, 8, False) or ()) == 43
        return (("ZEC",), "Zcash Sapling bech32") if ok else None
    return (BECH32_HRPS[hrp], f"{hrp}1 {spec}") if _segwit_ok(data, spec) else None


def identify_address(text: str) -> tuple[tuple[str, ...], str]:
    """(coin candidates, evidence) for a wallet address; ((), "") when it is none we know.
    Candidates come most likely first (a legacy 1... address is BTC before BCH)."""
    text = text.strip()
    if _ETH.fullmatch(text):  # a mixed-case one failing EIP-55 is a bad checksum: no coin
        return _identify_eth(text) or ((), "")
    if cashaddr_ok(text):
        return ("BCH",), "cashaddr"
    for identify in (_identify_bech32, _identify_kaspa, _identify_cryptonote, _identify_b58,
                     _identify_ergo):
        found = identify(text)
        if found:
            return found
    return (), ""


_FIXED_DIFF = re.compile(r"\+[^./]*")  # 'wallet+50000': a fixed difficulty asked of the pool
# unMineable's 'DOGE:wallet.worker#referral': the coin paid out, and a referral code
_PAYOUT = re.compile(r"[A-Z0-9]{2,10}:(?=[A-Za-z0-9])")  # (kaspa: is an address)
_HEX = re.compile(r"[0-9A-Fa-f]+")
_EMAIL = re.compile(r"[^@\s/]+@[^@\s/.]+(?:\.[^@\s/.]+)+")


def split_login(login: str) -> tuple[str, str | None]:
    """(wallet or account, worker) from a pool login: 'wallet.worker', 'wallet/worker',
    'wallet.worker/e-mail' (nanopool), 'wallet.paymentid.worker' (a CryptoNote payment id of
    16 or 64 hex digits, xmr-stak's form), 'COIN:wallet.worker#referral' (unMineable, which
    pays out in COIN), with a fixed-difficulty suffix ('wallet+50000', 'wallet.worker+50000')
    dropped. An e-mail login (MinerGate) is kept whole."""
    base = _FIXED_DIFF.sub("", login).strip()
    if _PAYOUT.match(base):
        base = base[base.index(":") + 1:].split("#", 1)[0]
    if _EMAIL.fullmatch(base):
        return base, None
    wallet, *rest = re.split(r"[./]", base)
    if rest and _is_payment_id(rest[0], before_worker=len(rest) > 1):
        rest = rest[1:]
    worker = rest[0] if rest and "@" not in rest[0] else None
    return wallet, worker or None


def password_worker(password: str | None) -> str | None:
    """The worker a pool password names: 'c=BTC,ID=rig1' (zpool, zergpool: options, the rig
    as ID), else None."""
    for option in (password or "").split(","):
        key, sep, value = option.partition("=")
        if sep and key.strip().lower() == "id" and value.strip():
            return value.strip()
    return None


def _is_payment_id(part: str, before_worker: bool) -> bool:
    """A CryptoNote payment id: 64 hex digits, or 16 (which alone could name a rig)."""
    return (len(part) == 64 or len(part) == 16 and before_worker) and bool(_HEX.fullmatch(part))


def _rand_bytes(rng, n: int) -> bytes:
    """n random bytes from a random.Random or a numpy Generator."""
    return rng.randbytes(n) if hasattr(rng, "randbytes") else bytes(rng.bytes(n))


def _pick(rng, options: tuple):
    if hasattr(rng, "randrange"):
        return options[rng.randrange(len(options))]
    return options[int(rng.integers(len(options)))]


def _segwit(rng, hrp: str) -> str:
    return bech32_encode(hrp, [0] + (convertbits(_rand_bytes(rng, 20), 8, 5) or []))


_MAKERS = {
    "BTC": lambda rng: _pick(rng, (
        lambda: b58check_encode(b"\x00" + _rand_bytes(rng, 20)),
        lambda: b58check_encode(b"\x05" + _rand_bytes(rng, 20)),
        lambda: _segwit(rng, "bc")))(),
    "BCH": lambda rng: cashaddr_encode(0, _rand_bytes(rng, 20)),
    "LTC": lambda rng: _pick(rng, (
        lambda: b58check_encode(b"\x30" + _rand_bytes(rng, 20)),
        lambda: b58check_encode(b"\x32" + _rand_bytes(rng, 20)),
        lambda: _segwit(rng, "ltc")))(),
    "DOGE": lambda rng: b58check_encode(b"\x1e" + _rand_bytes(rng, 20)),
    "RVN": lambda rng: b58check_encode(b"\x3c" + _rand_bytes(rng, 20)),
    "DASH": lambda rng: b58check_encode(b"\x4c" + _rand_bytes(rng, 20)),
    "ZEC": lambda rng: b58check_encode(b"\x1c\xb8" + _rand_bytes(rng, 20)),
    "ETH": lambda rng: "0x" + _rand_bytes(rng, 20).hex(),  # lower case: valid, no EIP-55
    "ETC": lambda rng: "0x" + _rand_bytes(rng, 20).hex(),
    # mainnet standard: prefix 18, spend and view keys, Keccak checksum. 68 bytes are drawn (the
    # 4 last once stood in for the checksum) so the simulator's random stream is unchanged.
    "XMR": lambda rng: xmr_address_encode(18, _rand_bytes(rng, 68)[:_XMR_KEYS]),
}


def make_address(coin: str, rng) -> str:
    """A valid-format address for `coin` (BTC, BCH, LTC, DOGE, RVN, DASH, ZEC, ETH, ETC, XMR),
    drawn from `rng` (random.Random or numpy Generator). Checksums are real: XMR addresses carry
    their Keccak checksum; ETH/ETC addresses are all lower case, which EIP-55 accepts unchecked
    (`eip55_encode` gives the mixed-case form)."""
    maker = _MAKERS.get(coin.upper())
    if maker is None:
        raise UsageError(f"no address format for coin {coin!r}")
    return maker(rng)
