"""Same-shape datagram runs (decode.runs) against the full decoder, datagram by datagram.

`ExportDecoder` keeps datagrams of a known shape and reads them a batch at a time; the full
decoders (`parse_datagram` + `to_flow_table` per datagram) are the reference. Streams mix
exporters, domains, record counts, padding, template refreshes and redefinitions, sampling
option changes, withdrawals, lost, reordered and repeated datagrams. Every flow must come out
once, with the same values, and the template cache must count the same loss."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.decode import ipfix
from minewatch.decode import netflow_v9 as v9
from minewatch.decode.flowfields import (DataBlock, ExportConfig, FieldSpec, Template,
                                         TemplateSet, pack_rows)
from minewatch.decode.templates import TemplateCache
from minewatch.ingest import exports
from minewatch.ingest.exports import ExportDecoder
from minewatch.sim.telemetry import random_flows

MODULES = {9: v9, 10: ipfix}
KEY = ["ts_start", "ts_end", "src_ip", "src_port", "dst_ip", "dst_port", "proto", "packets",
       "bytes", "tcp_flags", "sampling_rate", "exporter", "source"]


def reference(datagrams: list[tuple[bytes, str]]) -> tuple[pa.Table, dict]:
    cache, parts = TemplateCache(), []
    for payload, exporter in datagrams:
        module = MODULES[int.from_bytes(payload[:2], "big")]
        parts.append(module.to_flow_table([module.parse_datagram(payload, exporter, cache)], "x"))
    return pa.concat_tables(parts), dict(cache.counters)


def ours(datagrams: list[tuple[bytes, str]]) -> tuple[pa.Table, dict, int, int]:
    decoder = ExportDecoder("x")
    for payload, exporter in datagrams:
        decoder.add_payload(payload, exporter)
    return decoder.table(), dict(decoder.cache.counters), decoder.records, decoder._runs.taken


def same(datagrams: list[tuple[bytes, str]]) -> int:
    """Asserts equal results; returns how many datagrams went through the runs."""
    want, want_counters = reference(datagrams)
    got, got_counters, records, taken = ours(datagrams)
    order = [(c, "ascending") for c in KEY]
    assert got.num_rows == want.num_rows == records
    assert got.sort_by(order).equals(want.sort_by(order))
    assert got_counters == want_counters
    return taken


def with_rate(kind: int, n: int, seed: int, rate: int, **config) -> list[bytes]:
    cfg = ExportConfig(boot_time=1.7e9 - 3600, **config)
    encode = v9.encode_v9_datagrams if kind == 9 else ipfix.encode_ipfix_messages
    return encode(random_flows(n, seed, rate), cfg)


@pytest.mark.parametrize("kind", [9, 10])
def test_steady_streams_of_two_exporters_interleaved(kind):
    a = with_rate(kind, 3000, 1, 1, domain=1, records_per_datagram=30)
    b = with_rate(kind, 2000, 2, 10, domain=2, records_per_datagram=17, template_refresh=7)
    mixed = [(x, "192.0.2.1") for x in a] + [(x, "192.0.2.2") for x in b]
    mixed = [mixed[i] for i in np.argsort([i % len(a) for i in range(len(mixed))], kind="stable")]
    assert same(mixed) > 0.8 * len(mixed)


@pytest.mark.parametrize("kind", [9, 10])
def test_sampling_changes_and_template_redefinition_mid_stream(kind):
    """The same exporter and ids: a new sampling rate, then the template redefined with a
    per-record samplingInterval (another record length under the same template id)."""
    step = 900 if kind == 10 else 30  # IPFIX sequences count records, v9 datagrams
    first = with_rate(kind, 900, 3, 1, domain=5)
    second = with_rate(kind, 900, 4, 100, domain=5, sequence=step)
    third = with_rate(kind, 900, 5, 7, domain=5, per_record_sampling=True, sequence=2 * step)
    d = first + second + third
    assert same([(x, "e") for x in d]) > 0.8 * len(d)


@pytest.mark.parametrize("kind", [9, 10])
def test_lost_reordered_and_repeated_datagrams(kind):
    d = with_rate(kind, 6000, 6, 1, domain=3)
    rng = np.random.default_rng(7)
    kept = [x for i, x in enumerate(d) if i % 37 != 5]  # lost
    for i in range(10, len(kept) - 3, 29):  # swapped neighbours
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    repeats = [kept[int(i)] for i in rng.integers(0, len(kept), 5)]
    assert same([(x, "e") for x in kept + repeats]) > 0.8 * len(kept)


def test_withdrawn_template_sends_later_data_to_the_full_decoder():
    """After an IPFIX withdrawal the template's data waits as pending, as without runs."""
    d = with_rate(10, 600, 8, 1, domain=1, template_refresh=1000)
    withdraw = ipfix.encode_datagram(ipfix.IpfixHeader(1_700_000_000, 600, 1),
                                     [TemplateSet((Template(256, ()),))])
    assert same([(x, "e") for x in d[:10] + [withdraw] + d[10:]]) == 8  # d[2:10]; then none


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([9, 10]), st.integers(1, 40), st.integers(1, 9),
                          st.sampled_from([1, 1, 4, 100]), st.integers(0, 3)),
                min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_any_mix_of_streams_decodes_as_the_full_decoder_does(parts, rnd):
    datagrams = []
    for j, (kind, per, refresh, rate, domain) in enumerate(parts):
        d = with_rate(kind, 200, j, rate, domain=domain, records_per_datagram=per,
                      template_refresh=refresh, template_id=256 + (j % 2))
        datagrams += [(x, f"192.0.2.{j % 2}") for x in d]
    rnd.shuffle(datagrams)
    same(datagrams)


def test_runs_are_decoded_in_batches(monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 8)
    d = with_rate(9, 3000, 9, 1, domain=1)
    assert same([(x, "e") for x in d]) > 0.8 * len(d)


def test_a_hand_made_padded_set_is_read_like_the_full_decoder():
    """A data set with two bytes of padding after 3 records of 13 bytes."""
    t = Template(300, (FieldSpec(8, 4), FieldSpec(12, 4), FieldSpec(7, 2), FieldSpec(11, 2),
                       FieldSpec(4, 1)))
    rows = pack_rows(t, {"sourceIPv4Address": [1, 2, 3], "destinationIPv4Address": [4, 5, 6],
                         "sourceTransportPort": [7, 8, 9], "destinationTransportPort": [1, 2, 3],
                         "protocolIdentifier": [6, 6, 17]}, 3)
    packets = [v9.encode_datagram(v9.V9Header(1000, 1_700_000_000, 0, 4),
                                  [TemplateSet((t,)), DataBlock(t, rows)])]
    packets += [v9.encode_datagram(v9.V9Header(1000 + i, 1_700_000_000 + i, i, 4),
                                   [DataBlock(t, rows)]) for i in range(1, 6)]
    assert (len(packets[1]) - 24) % 4 == 0 and (len(packets[1]) - 24) > 3 * 13
    assert same([(x, "e") for x in packets]) == 4  # the first two teach the shape
