"""Zeek dns.log: TSV and JSON lines read into dns_map rows, bad lines counted, writer round trip."""

import io
import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch import schema
from minewatch.ingest import dnslog

HEADER = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tdns
#open\t2023-11-14-22-13-20
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool
"""
LINES = [
    "1700000000.123456\tCHhAvVGS1DHFjwGM9\t10.1.2.3\t53124\t10.0.0.53\t53\tudp\t4660\t0.012345"
    "\tpool.minexmr.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0"
    "\tlb.minexmr.com,5.39.1.2,5.39.1.3\t300.000000,60.000000,60.000000\tF",
    "1700000001.000000\tC2\t10.1.2.4\t5000\t10.0.0.53\t53\tudp\t1\t-\tXmr.Pool.Example."
    "\t1\tC_INTERNET\t28\tAAAA\t0\tNOERROR\tF\tF\tT\tT\t0\t2001:db8::7\t30.000000\tF",
    "1700000002.000000\tC3\t10.1.2.5\t5001\t10.0.0.53\t53\tudp\t2\t-\tgone.example"
    "\t1\tC_INTERNET\t1\tA\t3\tNXDOMAIN\tF\tF\tT\tT\t0\t-\t-\tF",
    "garbage that is not a log line",
    "1700000003.0\tC4\tnot-an-address" + "\t-" * 21,
    "1700000004.0\tC5\t10.1.2.6\t5002",
]
TSV = HEADER + "\n".join(LINES) + "\n#close\t2023-11-14-22-13-25\n"


def test_tsv_rows_follow_cnames_and_bad_lines_are_counted():
    rows, skipped = dnslog.read_dnslog(io.BytesIO(TSV.encode()), input_id="sha")
    assert skipped == 3
    assert rows == [
        {"ts": 1700000000.123456, "client_ip": "10.1.2.3", "query": "pool.minexmr.com",
         "answer": "5.39.1.2", "ttl": 60, "input_id": "sha"},
        {"ts": 1700000000.123456, "client_ip": "10.1.2.3", "query": "pool.minexmr.com",
         "answer": "5.39.1.3", "ttl": 60, "input_id": "sha"},
        {"ts": 1700000001.0, "client_ip": "10.1.2.4", "query": "xmr.pool.example",
         "answer": "2001:db8::7", "ttl": 30, "input_id": "sha"}]
    assert schema.to_table("dns_map", rows).num_rows == 3


def test_reordered_fields_and_text_files():
    fields = ["query", "ts", "answers", "id.orig_h", "TTLs"]
    text = ("#separator \\x09\n#fields\t" + "\t".join(fields) + "\n"
            "pool.example\t1.5\t1.2.3.4\t10.0.0.1\t77.000000\n")
    rows, skipped = dnslog.read_dnslog(io.StringIO(text))
    assert skipped == 0 and rows[0]["answer"] == "1.2.3.4" and rows[0]["ttl"] == 77


def test_json_lines():
    text = "\n".join([
        '{"ts":1700000000.5,"uid":"C1","id.orig_h":"10.1.2.3","id.orig_p":5353,'
        '"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":1,'
        '"query":"pool.example","qtype":1,"rcode":0,"answers":["alias.example","1.2.3.4"],'
        '"TTLs":[300.0,120.0]}',
        '{"ts":"2023-11-14T22:13:20.500000Z","id.orig_h":"10.1.2.4","query":"b.example",'
        '"answers":["5.6.7.8"],"TTLs":[10.0]}',
        '{"ts":1700000000.5,"id.orig_h":"10.1.2.5","query":"no.answer.example"}',
        '{"broken json',
        '{"ts":1.0,"query":"missing.client"}',
        '{"ts":1.0,"id.orig_h":"10.0.0.1","answers":["1.1.1.1"],"TTLs":[1e999]}',
        '{"ts":"NaN","id.orig_h":"10.0.0.1","answers":["1.1.1.1"],"TTLs":[1]}',
    ])
    rows, skipped = dnslog.read_dnslog(io.BytesIO(text.encode()))
    assert skipped == 4
    assert [(r["ts"], r["client_ip"], r["query"], r["answer"], r["ttl"]) for r in rows] == [
        (1700000000.5, "10.1.2.3", "pool.example", "1.2.3.4", 120),
        (1700000000.5, "10.1.2.4", "b.example", "5.6.7.8", 10)]


def test_sniff():
    assert dnslog.sniff_dnslog(TSV.encode()[:200])
    assert dnslog.sniff_dnslog(b'{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","query":"a.b"')
    assert not dnslog.sniff_dnslog(TSV.replace("#path\tdns", "#path\tconn").replace(
        "answers", "x").encode())
    assert not dnslog.sniff_dnslog(b'{"ts":1.0,"id.orig_h":"10.0.0.1","conn_state":"SF"}')
    assert not dnslog.sniff_dnslog(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00")


def test_writer_output_reads_back_and_matches_zeek_layout():
    entries = [dnslog.DnsLogEntry(1700000000.25, "10.1.2.3", "pool.minexmr.com",
                                  ("lb.minexmr.com", "5.39.1.2"), (300.0, 60.0), 40000,
                                  "10.0.0.53", 53, 77, rtt=0.01),
               dnslog.DnsLogEntry(1700000001.0, "10.1.2.4", "odd\tname,with\\x41", ("1.1.1.1",),
                                  (5.0,))]
    buf = io.StringIO()
    assert dnslog.write_dnslog(buf, entries) == 2
    text = buf.getvalue()
    lines = text.splitlines()
    assert lines[0] == "#separator \\x09" and lines[-1].startswith("#close\t2023-11-14-22-13")
    assert all(len(ln.split("\t")) == 24 for ln in lines if not ln.startswith("#"))
    assert dnslog.sniff_dnslog(text.encode())
    first = next(dnslog.iter_entries(io.StringIO(text)))
    assert first.uid.startswith("C") and first == replace(entries[0], uid=first.uid)
    rows, skipped = dnslog.read_dnslog(io.BytesIO(text.encode()))
    assert skipped == 0
    assert [(r["query"], r["answer"], r["ttl"]) for r in rows] == [
        ("pool.minexmr.com", "5.39.1.2", 60), ("odd\tname,with\\x41", "1.1.1.1", 5)]


def test_writer_takes_simulator_rows_with_answer_lists():
    rows = [{"ts": 1.5, "client_ip": "10.0.0.1", "client_port": 4000, "server_ip": "10.0.0.53",
             "query": "pool.example", "answers": ["2001:db8::1"], "ttls": [60], "trans_id": 9}]
    buf = io.BytesIO()
    dnslog.write_dnslog(buf, rows)
    [entry] = dnslog.iter_entries(io.BytesIO(buf.getvalue()))
    assert (entry.client_port, entry.resolver_ip, entry.trans_id, entry.qtype) == (
        4000, "10.0.0.53", 9, 28)
    assert dnslog.read_dnslog(io.BytesIO(buf.getvalue()))[0][0]["answer"] == "2001:db8::1"


label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
address = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
entry = st.tuples(
    st.integers(0, 2 * 10**15).map(lambda us: round(us / 1e6, 6)), address,
    st.lists(label, min_size=1, max_size=3).map(".".join),
    st.lists(st.tuples(address, st.integers(0, 2**31 - 1)), min_size=1, max_size=4))


@settings(max_examples=150, deadline=None)
@given(st.lists(entry, max_size=8))
def test_dns_map_rows_round_trip_through_writer(entries):
    rows = [{"ts": ts, "client_ip": client, "query": query, "answer": a, "ttl": ttl,
             "input_id": ""} for ts, client, query, answers in entries for a, ttl in answers]
    buf = io.BytesIO()
    dnslog.write_dnslog(buf, rows)
    assert dnslog.read_dnslog(io.BytesIO(buf.getvalue())) == (rows, 0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    rows, skipped = dnslog.read_dnslog(io.BytesIO(TSV.encode()[:900] + data))
    assert skipped >= 0 and all(set(r) == set(schema.column_names("dns_map")) for r in rows)


json_value = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
                          lambda inner: st.lists(inner, max_size=3), max_leaves=5)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["ts", "id.orig_h", "query", "answers", "TTLs",
                                        "id.orig_p", "rtt", "qtype", "uid"]), json_value))
def test_odd_json_values_are_skipped_not_fatal(record):
    line = json.dumps(record)
    rows, skipped = dnslog.read_dnslog(io.StringIO("{" + line[1:] + "\n"))
    assert skipped in (0, 1) and all(isinstance(r["ttl"], int) for r in rows)
