"""steady_book.intern's promise: a price text it interns names a value Python would give
exactly the texts it holds for it, and so a value no other id can name."""

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode.stratum_v1 import hex256, number
from minewatch.detect import steady_book as bk
from minewatch.errors import DecodeError
from minewatch.ingest.handoff import Prices, price_texts

SETTINGS = settings(max_examples=400, deadline=None)


def intern(text: str, kind: int = bk.DIFF, prices: Prices | None = None):
    prices = prices or Prices()
    data = np.frombuffer(text.encode(), np.uint8)
    pid = bk.intern(prices.table, kind, data, 0, len(data))
    prices.drain()
    return pid, prices


def python_price(text: str):
    """The price StratumSession reads from a set_difficulty's number; None if it refuses."""
    try:
        return ("diff", float(number(json.loads(text))))
    except (DecodeError, ValueError):
        return None


NUMBERS = (st.floats(1e-9, 1e18) | st.integers(1, 10 ** 17).map(float)).flatmap(
    lambda v: st.sampled_from([repr(v), str(int(v)) if v.is_integer() else repr(v),
                               f"{v:.2f}", f"{v:.15g}", f"{v:g}", f"{v:.3e}",
                               np.format_float_positional(v, trim="-")]))
TEXTS = NUMBERS | st.from_regex(r"-?(0|[1-9][0-9]{0,18})(\.[0-9]{1,19})?([eE][+-]?[0-9]{1,3})?",
                                fullmatch=True)


@SETTINGS
@given(TEXTS)
def test_an_interned_difficulty_is_one_python_writes_and_reads(text):
    price = python_price(text)
    pid, prices = intern(text)
    if pid < 0:
        return
    assert price is not None and prices.values == [price]
    assert text in price_texts(price)  # so a value Python interned would have this text
    for other in price_texts(price):  # every text of the value names the new id
        data = np.frombuffer(other.encode(), np.uint8)
        assert bk.price(prices.table, bk.DIFF, data, 0, len(data)) == pid


@SETTINGS
@given(st.floats(1e-4, 9.99e14).map(lambda v: float(f"{v:.12g}")))
def test_pools_round_difficulties_are_interned(value):
    for text in price_texts(("diff", value)):
        if "e" not in text:
            assert intern(text)[0] == 0, text


def test_a_known_value_in_a_new_text_is_refused():
    prices = Prices()
    prices.id(("diff", 65000.0))
    for text in ("65000.00", "6.5e4", "065000", "65000e0"):
        assert intern(text, prices=prices)[0] == -1
    assert prices.values == [("diff", 65000.0)]


def test_n_and_n_point_0_are_one_price():
    pid, prices = intern("4096")
    data = np.frombuffer(b"4096.0", np.uint8)
    assert bk.price(prices.table, bk.DIFF, data, 0, 6) == pid == 0
    assert prices.id(("diff", 4096)) == 0 and intern("0.5", prices=prices)[0] == 1


@SETTINGS
@given(st.text("0123456789abcdefABCDEFxX", max_size=70))
def test_targets_are_interned_as_hex256_accepts_them(text):
    try:
        accepted = hex256(text)
    except DecodeError:
        accepted = None
    pid, prices = intern(text, bk.T256)
    assert (pid >= 0) == (accepted is not None and len(text) <= bk.PRICE_LEN - 2)
    if pid >= 0:
        assert prices.values == [("t256", text)]


def test_a_half_full_table_leaves_the_new_price_to_python():
    prices = Prices(capacity=8)
    for k in range(2):
        prices.id(("diff", float(k + 1)))  # 1 and 1.0, 2 and 2.0: 4 texts, half of 8
    assert intern("3", prices=prices)[0] == -1
