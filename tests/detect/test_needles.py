"""NeedleSet: exactly the needles that `in` finds, on random texts and needle sets."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.detect.needles import NeedleSet

ALPHABET = st.sampled_from(b"abAB.(\x00\xff")  # few symbols: needles do occur, and overlap
TEXT = st.lists(ALPHABET, max_size=80).map(bytes)
NEEDLE = st.lists(ALPHABET, min_size=1, max_size=6).map(bytes)


@settings(max_examples=400, deadline=None)
@given(st.lists(NEEDLE, max_size=12), TEXT)
def test_present_is_substring_membership(needles, text):
    assert NeedleSet(needles).present(text) == [n in text for n in needles]


def test_hand_cases():
    needles = [b"coinhive", b"coin", b"x", b"hive.min.js", b"nothere", b"e.min.js"]
    text = b"<script src=/js/coinhive.min.js>"
    assert NeedleSet(needles).present(text) == [True, True, False, True, False, True]
    assert NeedleSet(needles).present(b"") == [False] * 6
    assert NeedleSet([]).present(text) == []
    assert NeedleSet([b"js>"]).present(text) == [True]  # at the very end of the text


def test_empty_needle_is_refused():
    with pytest.raises(ValueError):
        NeedleSet([b"a", b""])
