"""PacketIngest finds browser miners in HTTP connections (simulated visits as ground truth)."""

import json

import numpy as np
import pytest

from minewatch import schema
from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import RawPacket
from minewatch.flows.tcp import ConnKey
from minewatch.ingest.packets import PacketIngest
from minewatch.sim import background as bg
from minewatch.sim.dialogues import _http
from minewatch.sim.packets import Conn, tcp_session

T0 = 1_620_806_400.0


def ingest(packets) -> dict:
    state = PacketIngest("input-1", exporter="test")
    for p in sorted(packets, key=lambda p: p.ts):
        frame = encode_tcp(p.src, p.dst, p.sport, p.dport, p.seq, p.ack, p.flags, p.payload)
        state.add(RawPacket(p.ts, 1, frame, len(frame)))
    return state.finish()


def test_visit_to_a_mining_page_is_reported():
    rng = np.random.default_rng(7)
    visit = bg.browser_miner_visit("10.20.0.5", "203.0.113.80", "games.example.cn", T0, rng)
    web = ingest(visit + bg.http_session("10.20.0.6", "203.0.113.81", "www.example.cn", T0, rng))[
        "web_entities"]
    assert web.schema == schema.arrow_schema("web_entities")
    rows = web.to_pylist()
    got = {(r["kind"], r["url"]) for r in rows}
    assert got == {("page", "http://games.example.cn/"),
                   ("script", "http://games.example.cn/lib/coinhive.min.js"),
                   ("script", "http://games.example.cn/lib/cryptonight.wasm"),
                   ("websocket", "ws://games.example.cn/proxy")}
    assert {r["client_ip"] for r in rows} == {"10.20.0.5"}
    assert {r["host"] for r in rows} == {"games.example.cn"} and {r["input_id"] for r in rows} == {"input-1"}
    socket = next(r for r in rows if r["kind"] == "websocket")
    assert "submit" in json.loads(socket["evidence"])[0] and socket["ts_last"] >= socket["ts_first"]


@pytest.mark.parametrize("head, page", [(b"G", True), (b"GE", True), (b"GET", True),
                                        (b"PO", False), (b"HTT", False)])
def test_a_request_split_inside_its_first_word_opens_the_connection(head, page):
    """A first segment cut inside its first word ("GE", as tools that dodge DPI send it) is
    tracked as the whole word would be: a page fetch for the browser scan alone, a POST or an
    answer for the pool dialects too."""
    state = PacketIngest("input-1", exporter="test")
    key = ConnKey("10.20.0.5", 49094, "203.0.113.80", 80)
    tracked = state._classify(key, "up", head, T0, False)
    assert tracked.browser is not None and (tracked.session is None) == page


def test_two_visits_by_one_visitor_merge():
    rng = np.random.default_rng(8)
    visits = (bg.browser_miner_visit("10.20.0.5", "203.0.113.80", "games.example.cn", T0, rng)
              + bg.browser_miner_visit("10.20.0.5", "203.0.113.80", "games.example.cn", T0 + 900, rng))
    rows = ingest(visits)["web_entities"].to_pylist()
    page = [r for r in rows if r["kind"] == "page"]
    assert len(page) == 1 and page[0]["ts_last"] - page[0]["ts_first"] >= 899


def test_http_miner_is_a_session_not_a_web_entity():
    """An HTTP connection the Stratum tracker calls mining is reported once, as a session."""
    body = b'{"id":1,"jsonrpc":"2.0","method":"eth_getWork","params":[]}\n'
    reply = b'{"id":1,"jsonrpc":"2.0","result":["0x' + b"1" * 64 + b'","0x' + b"2" * 64 + \
        b'","0x' + b"0" * 8 + b"f" * 56 + b'"]}\n'
    msgs = [(T0 + i, True, _http(body, "eth.coinhive.com", 8008, "/0xabc/rig", True, "ethminer"))
            for i in range(3)]
    msgs += [(T0 + i + 0.05, False, _http(reply, "", 0, "", False)) for i in range(3)]
    pkts = tcp_session(Conn("10.20.0.7", 50000, "203.0.113.9", 8008), sorted(msgs), np.random.default_rng(1),
                       True, close_at=T0 + 5)
    tables = ingest(pkts)
    assert tables["payload_sessions"].num_rows == 1 and tables["web_entities"].num_rows == 0


def test_ordinary_browsing_gives_no_entities():
    rng = np.random.default_rng(9)
    pkts = []
    for i in range(5):
        pkts += bg.http_session(f"10.20.1.{i}", "203.0.113.81", "www.example.cn", T0 + i, rng)
        pkts += bg.https_session(f"10.20.1.{i}", "203.0.113.82", "www.example.com", T0 + i, rng)
    assert ingest(pkts)["web_entities"].num_rows == 0


def test_a_page_connection_that_then_polls_for_work_is_a_miner():
    """A connection opened with a GET is read as a page fetch, but a POST on it that speaks a
    pool dialect makes it a pool session all the same (its wallet from the URL path)."""
    page = (b"GET / HTTP/1.1\r\nHost: eth.pool.example:8008\r\nUser-Agent: ethminer\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
    wallet = "0x" + "ab" * 20
    body = b'{"id":1,"jsonrpc":"2.0","method":"eth_getWork","params":[]}\n'
    reply = b'{"id":1,"jsonrpc":"2.0","result":["0x' + b"1" * 64 + b'","0x' + b"2" * 64 + \
        b'","0x' + b"0" * 8 + b"f" * 56 + b'"]}\n'
    msgs = [(T0, True, page[0]), (T0 + 0.05, False, page[1])]
    for i in range(1, 4):
        msgs += [(T0 + i, True, _http(body, "eth.pool.example", 8008, f"/{wallet}/rig1", True,
                                      "ethminer")),
                 (T0 + i + 0.05, False, _http(reply, "", 0, "", False))]
    pkts = tcp_session(Conn("10.20.0.8", 50001, "203.0.113.10", 8008), msgs,
                       np.random.default_rng(2), True, close_at=T0 + 5)
    sessions = ingest(pkts)["payload_sessions"].to_pylist()
    assert [(s["dialect"], s["wallet"], s["client_ip"]) for s in sessions] == [
        ("ethproxy-http", wallet, "10.20.0.8")]
