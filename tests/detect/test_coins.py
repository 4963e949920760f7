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
])
def test_known_addresses(address, coin, fmt):
    found, evidence = coins.identify_address(address)
    assert found[0] == coin and fmt in evidence


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
])
def test_split_login(login, wallet, worker):
    assert coins.split_login(login) == (wallet, worker)


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
