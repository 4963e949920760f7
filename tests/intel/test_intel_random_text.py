"""Property: no importer and no format guess raises on random input; bad lines are reported."""

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.intel import formats
from minewatch.intel.indicator import KINDS

_LINES = st.lists(st.sampled_from([
    "0.0.0.0 a.example.com", "||x.example.com^$third-party", "*://*.y.example.com/*", "1.2.3.4:3333",
    "host,port", "a.example.com,99999", 'alert dns any any -> any any (msg:"x"; dns.query; content:"',
    "detection:", "  sel: {query: [a.example.com", "- list: miner_domains", "  items: [\"a.b\"",
    '{"Event": {"Attribute": [{"type": "ip-dst|port", "value": "1.2.3.4|x"}]}}',
    '{"type": "bundle", "objects": [{"type": "indicator", "pattern": "[ipv4-addr:value = \'',
    "|06|static|00|", "\x00\xff", "#", "!", "[", "]", "", "   ", "@@", "/^x$/"]), max_size=12)


_PUNCTUATION = st.text(alphabet=list(",;|:[]{}\"'#!/*^$@ \n\t\r.-_=()0123456789abcxyzCN\\%?"),
                      max_size=300)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400), _PUNCTUATION,
                 _LINES.map("\n".join), _LINES.map("".join)))
def test_random_input_never_raises(data):
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    formats.sniff(text)
    for name, module in formats.FORMATS.items():
        parsed = module.parse(data)
        assert all(r["kind"] in KINDS and r["value"] for r in parsed.rows), name
        assert all(isinstance(line, int) and reason for line, reason in parsed.bad), name


def test_pathological_inputs_are_reported_not_raised():
    cases = ["[" * 100000, '{"a":' * 50000, "- " * 20000 + "x", "a:\n" + " [" * 5000, "x" * 200000,
             "||" + "a." * 5000 + "com^", 'alert tcp any any -> any any (content:"' + "|" * 10001 + '";)',
             "title: x\ndetection: !!python/object/apply:os.system [echo]\n"]
    for text in cases:
        formats.sniff(text)
        for module in formats.FORMATS.values():
            module.parse(text)
