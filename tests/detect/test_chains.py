"""The chain a Bitcoin-family job builds on: its coinbase height at its time."""

import calendar

import pytest

from minewatch.detect import chains
from minewatch.detect.chains import Chain, job_chain

LIMIT = "1d00ffff"  # difficulty 1: no SHA-256d chain allows a larger target
LTC_TESTNET = "1e0fffff"  # Litecoin's (and its testnet's) limit


def coinb1(height: int) -> str:
    push = height.to_bytes((height.bit_length() + 8) // 8, "little")
    return "01000000" "01" + "00" * 32 + "ffffffff" "30" + f"{len(push):02x}" + push.hex()


def ntime(day: str) -> str:
    return f"{calendar.timegm(tuple(map(int, day.split('-'))) + (12, 0, 0)):08x}"


@pytest.mark.parametrize("chain", list(chains.CHAINS))
def test_heights_pass_through_the_anchors(chain):
    for ts, height in chains.CHAINS[chain][3]:
        assert chains.expected_height(chain, ts) == pytest.approx(height)
    assert chains.expected_height(chain, chains.CHAINS[chain][3][0][0] - 1) is None


def test_after_the_last_anchor_a_block_a_interval():
    *_, interval, anchors = chains.CHAINS["bitcoin"]
    ts, height = anchors[-1]
    assert chains.expected_height("bitcoin", ts + 144 * interval) == pytest.approx(height + 144)


# Heights not among the anchors, so the interpolation is checked too: BitMinter's job of
# 2018-08-03 (../shared/data/pcaps/btc-stratum-bitminter.pcap), Bitcoin's third halving (block
# 630,000, 2020-05-11), a checkpoint of Dogecoin Core 1.14.3 (block 3,606,083, its pull request
# of 2021-02-14); and Litecoin's third halving (block 2,520,000, 2023-08-02, an anchor).
@pytest.mark.parametrize("height, day, algorithm, coins", [
    (535_018, "2018-08-03", "sha256d", ("BTC", "BCH")),
    (630_000, "2020-05-11", "sha256d", ("BTC", "BCH")),
    (2_520_000, "2023-08-02", "scrypt", ("LTC",)),
    (3_606_083, "2021-02-14", "scrypt", ("DOGE",)),
])
def test_a_height_at_a_time_names_the_chain(height, day, algorithm, coins):
    got = job_chain(coinb1(height), "17376f56", ntime(day))
    assert (got.algorithm, got.coins) == (algorithm, coins)
    assert got.fact == (f"coinbase height {height:,} on {day}: the chain of "
                        f"{', '.join(coins)} ({algorithm})")


def test_where_litecoin_and_dogecoin_were_level_both_are_named_nearest_first():
    # in mid-2015 both chains passed 800,000 blocks: scrypt either way
    got = job_chain(coinb1(800_000), LIMIT, ntime("2015-07-15"))
    assert got.algorithm == "scrypt" and set(got.coins) == {"LTC", "DOGE"}


def test_heights_of_chains_mined_differently_name_no_algorithm():
    # in mid-2014 Dogecoin caught up with Bitcoin near 300,000 blocks: SHA-256d or scrypt
    got = job_chain(coinb1(300_000), "1b00ffff", ntime("2014-07-15"))
    assert got.algorithm == "" and set(got.coins) == {"BTC", "BCH", "DOGE"}


@pytest.mark.parametrize("height, day", [
    (1_000_000, "2018-08-03"),  # between Bitcoin's 535,000 and Litecoin's 1,470,000
    (50_000, "2024-01-01"),  # a young coin's
    (535_018, "2008-01-01"),  # before any chain
])
def test_a_height_no_chain_had_names_none(height, day):
    assert job_chain(coinb1(height), "17376f56", ntime(day)) == Chain()


def test_a_target_above_sha256ds_limit_is_no_bitcoin_chain():
    # the Litecoin testnet pool's job (../shared/data/pcaps/ltc-stratum-pool-side-mini.pcapng)
    got = job_chain(coinb1(283_723), "1d7b5889", ntime("2014-05-28"))
    assert (got.algorithm, got.coins) == ("scrypt", ())
    assert "above SHA-256d's limit" in got.fact and "scrypt assumed" in got.fact
    # a Bitcoin height with such a target: not Bitcoin's; a Litecoin height: Litecoin's
    assert job_chain(coinb1(535_018), LTC_TESTNET, ntime("2018-08-03")).coins == ()
    assert job_chain(coinb1(1_470_000), LTC_TESTNET, ntime("2018-08-03")).coins == ("LTC",)
    # exactly the limit is Bitcoin's difficulty 1 (a testnet's), allowed
    assert job_chain(coinb1(535_018), LIMIT, ntime("2018-08-03")).coins == ("BTC", "BCH")


@pytest.mark.parametrize("nbits", ["207fffff", "2100ffff"])
def test_regtest_targets_say_nothing(nbits):
    assert job_chain(coinb1(1_000), nbits, ntime("2024-01-01")) == Chain()


@pytest.mark.parametrize("coinb1_, nbits, ntime_", [
    ("", "", ""), ("01000000", "1d00ffff", "5b646476"), (coinb1(535_018), "zz", "zz"),
    (coinb1(535_018), "17376f56", "5b6464"), (coinb1(10), "17376f56", ntime("2018-08-03")),
])
def test_malformed_jobs_name_nothing(coinb1_, nbits, ntime_):
    assert job_chain(coinb1_, nbits, ntime_) == Chain()
