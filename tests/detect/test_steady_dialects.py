"""The compiled reading of a share's error agrees with StratumSession's (detect.stratum)."""

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import jsonscan as js
from minewatch.decode.stratum_v1 import Reply
from minewatch.detect import steady_dialects as sd
from minewatch.detect.stratum import STALE_WORDS, _rejection

WORDS = st.sampled_from(list(STALE_WORDS) + ["low difficulty", "bad nonce", "", " "])
MESSAGES = st.lists(WORDS.map(lambda w: w.upper() if len(w) % 2 else w.title())
                    | st.text("abcdeSTALEjob xpird", max_size=12), max_size=3).map(" ".join)
ERRORS = st.one_of(
    st.tuples(st.integers(-30, 30), MESSAGES | st.none(), st.none()).map(list),
    st.tuples(st.integers(-30, 30)).map(list),
    st.fixed_dictionaries({"code": st.integers(-30, 30), "message": MESSAGES}),
    MESSAGES)


@settings(max_examples=400, deadline=None)
@given(ERRORS)
def test_a_share_error_is_read_as_python_reads_it(error):
    line = json.dumps({"id": 7, "result": None, "error": error}).encode()
    b, tok = np.frombuffer(line, np.uint8), js.new_tokens()
    assert js.scan_line(b, 0, len(b), tok)
    why = sd._rejection(b, tok)
    if why < 0:  # left to Python: another shape, or no message to read
        assert not (isinstance(error, list) and len(error) > 1 and isinstance(error[1], str)
                    and error[1].strip())
        return
    assert {sd.STALE: "stale", sd.INVALID: "invalid"}[why] == _rejection(Reply(7, None, error))
