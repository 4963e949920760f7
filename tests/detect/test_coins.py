"""Wallet address formats, checksums, login splitting and the simulator's address maker."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minewatch.detect import coins
from minewatch.errors import UsageError

XMR_GENERAL_FUND = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2"
                    "VBBEt7f2wfn3RVGQBEP3A")


@pytest.mark.parametrize("address, coin, fmt", [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "BTC", "P2PKH"),  # genesis coinbase
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "BTC", "P2SH"),  # bitcoin wiki example
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "BTC", "bech32"),  # BIP 173 vector
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "BTC", "bech32m"),  # BIP 350
    ("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH", "cashaddr"),  # spec vector
    ("qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH", "cashaddr"),
    ("0x512ee0989a7ec0382365f824f9b620de312fd212", "ETH", "0x"),  # dwarfpool capture
    (XMR_GENERAL_FUND, "XMR", "Monero standard"),
    # Other RandomX coins' own addresses in their daemons' src/cryptonote_config.h: Zephyr's
    # governance wallet and Salvium's treasury, each with a valid Keccak checksum.
    ("ZEPHYR2jZrZXenfKejCcCmEkRzUYwXjgWfJF4yzdCznKQ8yQ3g3PsWUbZjzfzHbeTPMgXVmEuDKQUB9rPkgtVwyWRh9"
     "knU4EpfJ57", "ZEPH", "Zephyr standard"),
    ("SaLvdZR6w1A21sf2Wh6jYEh1wzY4GSbT7RX6FjyPsnLsffWLrzFQeXUXJcmBLRWDzZC2YXeYe5t7qKsnrg9FpmxmEcx"
     "PHsEYfqA", "SAL", "Salvium standard"),
    # Kaspa's developer fund (a script-hash address), whose 40-bit cashaddr checksum holds.
    ("kaspa:precqv0krj3r6uyyfa36ga7s0u9jct0v4wg8ctsfde2gkrsgwgw8jgxfzfc98", "KAS", "kaspa:"),
    # Ergo P2PK addresses published on its explorer, each with a valid Blake2b-256 checksum.
    ("9fRAWhdxEsTcdb8PhGNrZfwqa65zfkuYHAMmkQLcic1gdLSV5vA", "ERG", "Ergo P2PK"),
    ("9hEQHEMyY1K1vs79vJXFtNjr2dbQbtWXF99oVWGJ5c4xbcLdBsw", "ERG", "Ergo P2PK"),
    ("GJjz2Du9BoJQ3CPcoyVTHUJZSj62i1693U", "BTG", "P2PKH"),  # Bitcoin Gold, version 38
    # DigiNode Tools' donation address (its README): DigiByte's own bech32 prefix
    ("dgb1qv8psxjeqkau5s35qwh75zy6kp95yhxxw0d3kup", "DGB", "dgb1 bech32"),
])


def test_known_addresses(address, coin, fmt):
    found, evidence = coins.identify_address(address)
    assert found[0] == coin and fmt in evidence


def test_a_d_address_is_dogecoin_or_digibyte_and_the_job_decides():
    """DigiByte's legacy addresses share Dogecoin's version byte (30, "D..."): both are
    candidates; a Scrypt job keeps Dogecoin, a SHA-256d or Odocrypt job is DigiByte's."""
    dgb = "D7hdrJ25ut3ew2DS1TWMX2WW4TGrvwfJXL"  # a DigiByte donation address in a README
    found = coins.identify_address(dgb)[0]
    assert found == ("DOGE", "DGB")
    assert coins.pick_coin("scrypt", found) == "DOGE"
    assert coins.pick_coin("sha256d", found) == "DGB" == coins.pick_coin("odocrypt", found)
    assert coins.pick_coin("", found) == "DOGE"


@pytest.mark.parametrize("address", [
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",  # checksum broken
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T5",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".replace("q", "Q", 1),  # mixed case
    "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b",
    "0x512ee0989a7ec0382365f824f9b620de312fd21",  # 39 hex
    XMR_GENERAL_FUND[:-1] + "0",  # 0 is not base58
    "broatcast", "x", "", "user@example.com",
])
def test_malformed_or_foreign_logins_give_no_coin(address):
    assert coins.identify_address(address)[0] == ()


def test_testnet_is_recognised_but_names_no_coin():
    found, evidence = coins.identify_address("mn4jUMneEBjZuDPEdFuj6BmFPmehmrT2Zc")
    assert found == () and "testnet" in evidence


@pytest.mark.parametrize("coin", ["BTC", "BCH", "LTC", "DOGE", "RVN", "DASH", "ZEC", "ETH", "ETC",
                                  "XMR"])
@given(seed=st.integers(0, 2**32 - 1))
def test_made_addresses_are_recognised(coin, seed):
    for rng in (random.Random(seed), np.random.default_rng(seed)):
        address = coins.make_address(coin, rng)
        assert coin in coins.identify_address(address)[0], address


def test_make_address_formats():
    rng = random.Random(3)
    assert len(coins.make_address("XMR", rng)) == 95 and coins.make_address("XMR", rng)[0] == "4"
    assert coins.make_address("ZEC", rng).startswith("t1")
    assert coins.make_address("DOGE", rng).startswith("D")
    assert coins.make_address("RVN", rng).startswith("R")
    with pytest.raises(UsageError):
        coins.make_address("NOPE", rng)


@given(st.binary(min_size=1, max_size=40))
def test_base58check_round_trip(payload):
    assert coins.b58check_decode(coins.b58check_encode(payload)) == payload


@given(st.text(max_size=120))
def test_identify_never_raises(text):
    found, evidence = coins.identify_address(text)
    assert isinstance(found, tuple) and isinstance(evidence, str)


@pytest.mark.parametrize("login, wallet, worker", [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.rig01", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "rig01"),
    ("0x512ee0989a7ec0382365f824f9b620de312fd212/farm2",
     "0x512ee0989a7ec0382365f824f9b620de312fd212", "farm2"),
    ("4AbC+50000", "4AbC", None),
    ("4AbC.worker+50000", "4AbC", "worker"),
    ("wallet/worker/mail", "wallet", "worker"),
    ("broatcast", "broatcast", None),
    ("me@example.com", "me@example.com", None),
    ("acct.", "acct", None),
    ("4AbC+50000.rig2", "4AbC", "rig2"),  # the suffix before the worker (herominers)
    ("0x512ee0989a7ec0382365f824f9b620de312fd212.rig1/me@example.com",  # nanopool
     "0x512ee0989a7ec0382365f824f9b620de312fd212", "rig1"),
    ("0x512ee0989a7ec0382365f824f9b620de312fd212/me@example.com",
     "0x512ee0989a7ec0382365f824f9b620de312fd212", None),
    ("first.last@example.co.uk", "first.last@example.co.uk", None),
    # xmr-stak-cpu 1.3's login as nDPI's mining dissector quotes it: wallet, payment id, worker
    ("4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQC"
     "gvCDm.cb2b73415c4faf214035a73b9d947c202342f3bf3bdf632132bd6d7af98cb257.ryzen",
     "4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQC"
     "gvCDm", "ryzen"),
    ("4AbC.0123456789abcdef.rig3", "4AbC", "rig3"),  # a short (16-digit) payment id
    ("4AbC.0123456789abcdef", "4AbC", "0123456789abcdef"),  # alone: it may name the rig
    ("4AbC." + "ab" * 32, "4AbC", None),  # a long id alone is no rig name
    ("DOGE:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L.rig4#ac2v-xyz1",  # unMineable: paid in DOGE
     "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", "rig4"),
    ("SHIB:0x512ee0989a7ec0382365f824f9b620de312fd212",
     "0x512ee0989a7ec0382365f824f9b620de312fd212", None),
    ("kaspa:qqkqkzjvr7zwxxmjxjkmxxdwju9kjs6e9u82uh59z07vgaks6gg62v8707g73.rig5",  # an address
     "kaspa:qqkqkzjvr7zwxxmjxjkmxxdwju9kjs6e9u82uh59z07vgaks6gg62v8707g73", "rig5"),
])
def test_split_login(login, wallet, worker):
    assert coins.split_login(login) == (wallet, worker)



@pytest.mark.parametrize("coin,algorithm,evidence,expected", [
    ("XMR", "randomx", {"wallet": ("XMR",)}, 0.95),  # a 4... address: Monero's alone
    ("LTC", "scrypt", {"wallet": ("BTC", "BCH", "LTC")}, 0.95),  # a 3... address, scrypt jobs
    ("BTC", "sha256d", {"wallet": ("BTC", "BCH")}, 0.7),  # a 1... address, nothing picks
    ("BCH", "sha256d", {"wallet": ("BTC", "BCH"), "pool": ("BCH",)}, 0.9),  # bch.pool
    ("BTC", "sha256d", {"wallet": ("BTC", "BCH"), "chain": ("BTC",)}, 0.9),  # the chain's
    ("BTC", "sha256d", {"wallet": ("BTC", "BCH"), "chain": ("BTC", "BCH")}, 0.7),
    ("DOGE", "scrypt", {"wallet": ("DOGE", "DGB")}, 0.7),  # DigiByte mines scrypt too
    ("LTC", "scrypt", {"pool": ("LTC",)}, 0.85),  # an account login at ltc.f2pool.com
    ("BTC", "sha256d", {"chain": ("BTC",)}, 0.9),
    ("BTC", "sha256d", {"chain": ("BTC", "BCH")}, 0.7),
    ("XMR", "randomx", {"names": ("rx/0",)}, 0.75),
    ("RVN", "kawpow", {}, 0.5),  # the algorithm's main coin, assumed
    ("ETC", "etchash", {"wallet": ("ETH", "ETC", "ETHW"), "names": ("etchash",)}, 0.95),
    ("", "sha256d", {"wallet": ("BTC",)}, None),
])
def test_coin_confidence_follows_the_strongest_evidence(coin, algorithm, evidence, expected):
    assert coins.coin_confidence(coin, algorithm, evidence) == expected

def test_algorithm_and_coin_picking():
    assert coins.algorithm_family("rx/0") == ("randomx", "XMR")
    assert coins.algorithm_family("cn-heavy/xhv") == ("cryptonight", None)
    assert coins.pick_algorithm(["", "rx/0"], ()) == "randomx"
    assert coins.pick_algorithm([], ("LTC",)) == "scrypt"
    assert coins.pick_coin("ethash", ("ETH", "ETC")) == "ETH"
    assert coins.pick_coin("etchash", ("ETH", "ETC")) == "ETC"
    assert coins.pick_coin("ethash", ("BTC", "BCH")) == "ETH"  # NiceHash pays BTC for ethash
    assert coins.pick_coin("randomx", (), ("rx/0",)) == "XMR"
    assert coins.pick_coin("", ()) == ""


# --- Keccak-256 checksums: Monero block base58 and Ethereum EIP-55 -------------------------

# EIP-55 "Test Cases" (https://eips.ethereum.org/EIPS/eip-55): the four mixed-case ("Normal")
# addresses are valid checksums; all-caps and all-lower ones carry no checksum and are accepted.
EIP55_NORMAL = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]
EIP55_SINGLE_CASE = ["0x52908400098527886E0F7030069857D2E4169EE7",
                     "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
                     "0xde709f2102306220921060314715629080e2fb77",
                     "0x27b1fdb04752bbc536007a920d24acb045561c26"]

# Monero mainnet, from the Monero docs (monero-project/monero-docs, docs/public-address/
# standard-address.md and integrated-address.md; the integrated address is the standard one's
# keys plus payment id 8a125052fe6f3877, as the decode test below checks).
XMR_DOCS_STANDARD = ("4AdUndXHHZ6cfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS4"
                     "4qo9mtmXCqY45DJ852K5Jv2684Rge")
XMR_DOCS_INTEGRATED = ("4LL9oSLmtpccfufTMvppY6JwXNouMBzSkbLYfpAV5Usx3skxNgYeYTRj5UzqtReoS4"
                       "4qo9mtmXCqY45DJ852K5Jv2bYXZKKQePHES9khPK")
# Derived from one seed, with the public keys and payment id listed beside them, in the test
# vectors of mrtnetwork/blockchain_utils (test/monero/test_vector.dart): mainnet primary,
# integrated (payment id 2b1a3c54591708cb) and subaddress (major 1, minor 0); testnet
# primary, integrated (payment id 9eceefee4493b16e) and subaddress (major 1, minor 0).
XMR_LIB_PUBLIC_KEYS = ("d0a42991d6f8640f4aae2bd58e509f7d848a3daea4fce11a9ab57f925eef4ded"
                       "3f741b80e6c1e28d0098a194d32e0f437428861bc03c8d698f6c3926eecdf2aa")
XMR_LIB_STANDARD = ("49Xgwx3RfyV3ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmU"
                    "CHPNrU2MBdnJf4s4xLK5AyLDP5ucd")
XMR_LIB_INTEGRATED = ("4KEMxkrvHF13ZMEVyrUNuUMzgQ1WHjkWL5T6Xk7QaTszggbtPbRPEkZQau9yACYEmU"
                      "CHPNrU2MBdnJf4s4xLK5AyVTr66Q8LFefPwwfA1t")
XMR_LIB_SUBADDRESS = ("85cqdW5fHGvUQzGXzrRUHf6P6AJjJrYxa25v351wNJCrS3p1g8wL1gk35HjxyQGGJP"
                      "Y3SygtnFxKjHtVcA7rAM1JBHukQod")
XMR_LIB_TESTNET = [
    ("9szghg3GN35i7zk8aci6gE76QQ68YsqaJTcSxJ5f6iUsTnYUZrPrh3CecdoQbGNi8HNoamaJZUne3iVqYve5kCH42a5"
     "e3qZ", "testnet standard address"),
    ("A3hMiUrkyJbi7zk8aci6gE76QQ68YsqaJTcSxJ5f6iUsTnYUZrPrh3CecdoQbGNi8HNoamaJZUne3iVqYve5kCH43H8"
     "o9qGBVdSDWgMpzF", "testnet integrated address"),
    ("BgHDkpFQfuaHqZzRWDmrXSHWNjn5yredtURG5oTFPZnmAPp186npf7eiZrrwVvbikWEvPF9NUS9EzXY8RJsWpssZQiX"
     "Mv2K", "testnet subaddress"),
]


def _swap(text: str, i: int, new: str) -> str:
    assert text[i] != new
    return text[:i] + new + text[i + 1:]


def _flip_case(text: str, i: int) -> str:
    return text[:i] + text[i].swapcase() + text[i + 1:]


@pytest.mark.parametrize("address", EIP55_NORMAL)
def test_eip55_vectors_pass(address):
    found, evidence = coins.identify_address(address)
    assert found == ("ETH", "ETC", "ETHW") and "EIP-55 checksum" in evidence \
        and "no EIP-55" not in evidence
    assert coins.eip55_ok(address)
    assert coins.eip55_encode(address.lower()) == address  # lower -> checksummed, as the EIP


@pytest.mark.parametrize("address", EIP55_SINGLE_CASE)
def test_eip55_single_case_is_accepted_without_checksum(address):
    found, evidence = coins.identify_address(address)
    assert found == ("ETH", "ETC", "ETHW") and "no EIP-55 checksum" in evidence
    assert coins.eip55_ok(address.lower()) and coins.eip55_ok("0x" + address[2:].upper())


@pytest.mark.parametrize("address", EIP55_NORMAL)
def test_eip55_one_case_flip_fails(address):
    # Every hex letter's case is fixed by the hash of the lower-case form, so swapping the case
    # of any one letter (the address stays mixed case) must break the checksum.
    letters = [i for i, c in enumerate(address) if i >= 2 and c.isalpha()]
    assert letters
    for i in letters:
        bad = _flip_case(address, i)
        assert not coins.eip55_ok(bad), bad
        assert coins.identify_address(bad) == ((), ""), bad  # like a bad base58check checksum


def test_eip55_one_digit_changed_fails():
    # 0x5aAeb6... with its first digit 5 changed to 6: the hash, so the case pattern, changes
    # (checked here against eip55_encode of the changed address).
    bad = _swap(EIP55_NORMAL[0], 2, "6")
    assert coins.eip55_encode(bad) != bad
    assert coins.identify_address(bad) == ((), "")


def test_keccak256_is_original_keccak_not_sha3():
    # Keccak-256("") (the well-known empty-input digest, e.g. Ethereum's EMPTY code hash);
    # hashlib.sha3_256 pads differently and gives a7ffc6f8..., which must not be used.
    assert coins.keccak256(b"").hex() == ("c5d2460186f7233c927e7db2dcc703c0"
                                          "e500b653ca82273b7bfad8045d85a470")


@pytest.mark.parametrize("address, kind", [
    (XMR_GENERAL_FUND, "standard address"),
    (XMR_DOCS_STANDARD, "standard address"),
    (XMR_DOCS_INTEGRATED, "integrated address"),
    (XMR_LIB_STANDARD, "standard address"),
    (XMR_LIB_INTEGRATED, "integrated address"),
    (XMR_LIB_SUBADDRESS, "subaddress"),
])
def test_monero_mainnet_vectors_pass(address, kind):
    found, evidence = coins.identify_address(address)
    assert found == ("XMR",) and f"Monero {kind}" in evidence and "Keccak checksum" in evidence


def test_monero_decode_matches_published_keys():
    assert coins.xmr_address_decode(XMR_LIB_STANDARD) == (18, bytes.fromhex(XMR_LIB_PUBLIC_KEYS))
    assert coins.xmr_address_decode(XMR_LIB_INTEGRATED) == (
        19, bytes.fromhex(XMR_LIB_PUBLIC_KEYS + "2b1a3c54591708cb"))
    assert coins.xmr_address_decode(XMR_LIB_SUBADDRESS)[0] == 42
    prefix, keys = coins.xmr_address_decode(XMR_DOCS_STANDARD)
    assert prefix == 18
    assert coins.xmr_address_decode(XMR_DOCS_INTEGRATED) == (
        19, keys + bytes.fromhex("8a125052fe6f3877"))
    # and re-encoding gives the published strings back
    assert coins.xmr_address_encode(18, keys) == XMR_DOCS_STANDARD
    assert coins.xmr_address_encode(19, keys + bytes.fromhex("8a125052fe6f3877")) == \
        XMR_DOCS_INTEGRATED


@pytest.mark.parametrize("address, kind", XMR_LIB_TESTNET)
def test_monero_testnet_is_recognised_but_names_no_coin(address, kind):
    found, evidence = coins.identify_address(address)
    assert found == () and f"Monero {kind}" in evidence


def test_monero_stagenet_is_recognised_but_names_no_coin():
    # stagenet prefixes 24/25/36 (monero src/cryptonote_config.h); built here, round trip only
    keys = bytes(range(64))
    for prefix, kind in ((24, "stagenet standard address"), (36, "stagenet subaddress")):
        found, evidence = coins.identify_address(coins.xmr_address_encode(prefix, keys))
        assert found == () and f"Monero {kind}" in evidence
    found, evidence = coins.identify_address(coins.xmr_address_encode(25, keys + bytes(8)))
    assert found == () and "Monero stagenet integrated address" in evidence


@pytest.mark.parametrize("address, i, new", [
    (XMR_GENERAL_FUND, 10, "T"),  # a key character: 'S' -> 'T'
    (XMR_GENERAL_FUND, 94, "B"),  # the last (checksum block) character: 'A' -> 'B'
    (XMR_GENERAL_FUND, 0, "8"),  # network byte 18 -> another, checksum no longer matches
    (XMR_DOCS_INTEGRATED, 50, "z"),
    (XMR_LIB_SUBADDRESS, 30, "a"),
])
def test_monero_one_character_changed_fails(address, i, new):
    bad = _swap(address, i, new)
    assert coins.xmr_address_decode(bad) is None
    assert coins.identify_address(bad) == ((), "")  # like a bad base58check checksum


def test_monero_shape_with_random_checksum_is_not_xmr():
    # what make_address used to write: right network byte and length, checksum bytes random
    rng = random.Random(7)
    bad = [coins.xmr_encode(b"\x12" + rng.randbytes(68)) for _ in range(20)]
    assert all(len(a) == 95 and a[0] == "4" for a in bad)
    assert sum(coins.identify_address(a)[0] == ("XMR",) for a in bad) == 0


def test_monero_wrong_length_for_kind_is_rejected():
    keys = bytes(range(64))
    # a standard prefix on an integrated-length body, checksum valid: not a real address
    assert coins.identify_address(coins.xmr_address_encode(18, keys + bytes(8))) == ((), "")
    assert coins.identify_address(coins.xmr_address_encode(19, keys)) == ((), "")


@given(seed=st.integers(0, 2**32 - 1))
def test_made_addresses_pass_keccak_checks(seed):
    for rng in (random.Random(seed), np.random.default_rng(seed)):
        xmr = coins.make_address("XMR", rng)
        got = coins.xmr_address_decode(xmr)
        assert got is not None and got[0] == 18 and len(got[1]) == 64
        assert coins.identify_address(xmr) == (("XMR",),
                                               "Monero standard address (Keccak checksum)")
        for coin in ("ETH", "ETC"):
            eth = coins.make_address(coin, rng)
            assert coins.eip55_ok(eth) and eth == eth.lower()
            mixed = coins.eip55_encode(eth)
            assert coins.eip55_ok(mixed) and coins.identify_address(mixed)[0] == coins.ETH_STYLE


@given(prefix=st.sampled_from(sorted(coins.CRYPTONOTE_PREFIXES)),
       keys=st.binary(min_size=64, max_size=64), payment_id=st.binary(min_size=8, max_size=8))
def test_cryptonote_encode_decode_round_trip(prefix, keys, payment_id):
    coin, name, network, kind = coins.CRYPTONOTE_PREFIXES[prefix]
    body = keys + (payment_id if "integrated" in kind else b"")
    address = coins.xmr_address_encode(prefix, body)
    if name == "Monero":
        assert len(address) == (106 if len(body) == 72 else 95)
    assert coins.xmr_address_decode(address) == (prefix, body)
    assert coins.identify_address(address) == (coin, f"{name} {network}{kind} (Keccak checksum)")


@pytest.mark.parametrize("address", [
    "kaspa:precqv0krj3r6uyyfa36ga7s0u9jct0v4wg8ctsfde2gkrsgwgw8jgxfzfc99",  # checksum broken
    "bitcoincash:precqv0krj3r6uyyfa36ga7s0u9jct0v4wg8ctsfde2gkrsgwgw8jgxfzfc98",  # other prefix
    "9fRAWhdxEsTcdb8PhGNrZfwqa65zfkuYHAMmkQLcic1gdLSV5vB",  # Blake2b checksum broken
])
def test_kaspa_and_ergo_checksums_are_checked(address):
    assert coins.identify_address(address) == ((), "")


@pytest.mark.parametrize("host, found", [
    ("eu1-zcash.flypool.org", ("ZEC",)), ("xmr-eu1.nanopool.org", ("XMR",)),
    ("etc.2miners.com", ("ETC",)), ("ltc.f2pool.com", ("LTC",)), ("ethw.2miners.com", ("ETHW",)),
    ("dcr.suprnova.cc", ("DCR",)),  # Claymore's dual mining partner
    ("stratum.slushpool.com", ()), ("litecoinpool.org", ()),  # a word, not a part of one
    ("", ()), (None, ()),
])
def test_host_coins(host, found):
    assert coins.host_coins(host) == found


@pytest.mark.parametrize("agent, algorithm", [
    # user agents of ASIC firmware and open miners as pools log them
    ("bmminer/2.0.0/Antminer S9/13500", "sha256d"),
    ("Antminer S21 Pro/Mon Jan 8 2024", "sha256d"), ("Antminer T19", "sha256d"),
    ("whatsminer/v1.0", "sha256d"), ("bosminer/23.12.0", "sha256d"), ("LUXminer/2024.6", "sha256d"),
    ("PowerPlay-BM/1.5.0", "sha256d"),
    ("bitaxe/BM1370/v2.14.2", "sha256d"), ("NerdQAxe++/BM1370/V1.0.37.2-LTS", "sha256d"),
    ("Q1370/BM1370/v1.0", "sha256d"), ("NMAxe/v3.1.02", "sha256d"),
    ("Antminer L7", "scrypt"), ("antminer l3+", "scrypt"), ("Antminer Z15", "equihash"),
    ("nheqminer/0.5c", "equihash"), ("Antminer D7", "x11"), ("Antminer KS5 Pro", "kheavyhash"),
    ("kawpowminer/1.2.4", "kawpow"),
    # miners of many algorithms, and none
    ("bmminer/2.0.0", ""), ("bmminer/1.0.0", ""), ("xminer-1.2.6", ""),  # on L7s too
    ("cgminer/4.11.1", ""), ("bfgminer/5.5.0", ""), ("sgminer/5.1.0", ""), ("XMRig/6.21.0", ""),
    ("lolMiner/1.88", ""), ("NiceHash/1.0.0", ""), ("Antminer", ""), ("", ""), (None, ""),
])
def test_agent_algorithm(agent, algorithm):
    assert coins.agent_algorithm(agent) == algorithm

