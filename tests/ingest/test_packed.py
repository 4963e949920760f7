"""Compressed inputs read as the stream they hold, whatever the packing. A stream cut anywhere
ends there, with the bytes before the cut kept and `error` set; a damaged one ends with
`error` set at the latest when the packing's checksum finds the damage (a decompressor may
hand on a wrong block before that: the readers behind it are made for damaged input)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.ingest import packed

ZSTD = packed.zstd
PACK = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
        # with its content checksum, as the zstd tool writes by default (the library does not)
        "zstd": lambda b: ZSTD.compress(b, options={ZSTD.CompressionParameter.checksum_flag: 1})}
DATA = bytes(range(256)) * 4000 + b"tail"  # ~1 MB: several decompressor steps


@pytest.mark.parametrize("name", PACK)
def test_each_packing_is_recognised_and_read_whole(name):
    blob = PACK[name](DATA)
    assert packed.kind(blob[:8]) == name
    f = packed.Unpacked(io.BytesIO(blob), name)
    assert f.read() == DATA and f.error is None
    assert f.seek(0) == 0 and f.read(10) == DATA[:10]  # rewinds
    assert f.seek(0, io.SEEK_END) == len(DATA)
    f.seek(0)
    assert packed.sha256(f) == (__import__("hashlib").sha256(DATA).hexdigest(), len(DATA))
    assert f.read() == b"" and f.seek(0) == 0 and f.read() == DATA  # (read to its end)


def test_plain_inputs_are_not_taken_for_packed_ones():
    for head in (b"\xd4\xc3\xb2\xa1", b"\x0a\x0d\x0d\x0a", b"#separator", b"\x00\x0a", b""):
        assert packed.kind(head) is None


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(PACK)), st.floats(0.05, 0.95), st.booleans())
def test_a_cut_or_damaged_stream_ends_there_and_says_so(name, where, flip):
    blob = bytearray(PACK[name](DATA))
    at = int(len(blob) * where)
    if flip:
        blob[at] ^= 0x55
    else:
        del blob[at:]
    f = packed.Unpacked(io.BytesIO(bytes(blob)), name)
    got = f.read()
    if not flip:
        assert DATA.startswith(got)  # what came before the cut, in order, nothing made up
    if got != DATA:
        assert f.error and name in f.error
