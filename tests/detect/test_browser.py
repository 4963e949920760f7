"""Browser-miner detection: indicators, one HTTP connection, DNS/SNI names, merging."""

import csv
import gzip
import json
import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch import schema
from minewatch.detect.browser import (CAP, BrowserScan, browser_entities_from_names,
                                      builtin_intel, merge_entities)

INTEL_DIR = Path("/work/shared/data/intel")
LISTS = ("hoshsadiq-adblock-nocoin-list", "keraf-NoCoin", "xd4rker-MinerBlock",
         "sokcryptojacking-SoK")


def get(path, host="blog.example.org", extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n{extra}\r\n".encode()


def ok(body: bytes, ctype="text/html", extra=""):
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            .encode() + body)


def scan(*chunks):
    s = BrowserScan()
    for i, (direction, data) in enumerate(chunks):
        s.feed(direction, 100.0 + i, data)
    return s.entities("10.0.0.9", "input-1"), s


def kinds(rows):
    return {(r["kind"], r["host"], r["url"]) for r in rows}


# --- indicators ---------------------------------------------------------------------------------

def test_builtin_indicators():
    intel = builtin_intel()
    assert intel.host("ws014.coinhive.com").value == "coinhive.com"
    assert intel.host("CoinHive.com.").service == "coinhive"
    assert intel.host("notcoinhive.com") is None and intel.host("") is None
    assert intel.path("/js/DeepMiner.min.js?v=2").value == "deepminer.min.js"
    assert intel.path("/static/app.js") is None
    assert [i.value for i in intel.body_hits(b"x=new CoinHive.Anonymous('k');")] == \
        ["new CoinHive.Anonymous("]


def test_indicator_file_rows_and_sources():
    text = resources.files("minewatch.data").joinpath("browser_miners.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert {r["kind"] for r in rows} == {"host", "path", "marker"}
    values = [(r["kind"], r["value"].lower()) for r in rows]
    assert len(values) == len(set(values))
    for r in rows:
        assert r["service"] and r["source"], r
        if r["kind"] != "marker":
            assert set(r["source"].split(";")) <= set(LISTS), r


def _list_text(name: str) -> str:
    files = [p for p in (INTEL_DIR / name).rglob("*") if p.is_file() and "LICENSE" not in p.name]
    return "\n".join(p.read_text("utf-8", "replace") for p in files).lower()


def test_hosts_and_paths_appear_in_the_lists_they_cite():
    if not all((INTEL_DIR / name).is_dir() for name in LISTS):
        pytest.skip("intel lists not present")
    texts = {name: _list_text(name) for name in LISTS}
    text = resources.files("minewatch.data").joinpath("browser_miners.csv").read_text("utf-8")
    for r in csv.DictReader(text.splitlines()):
        if r["kind"] == "marker" and r["source"] not in LISTS:
            continue
        value = r["value"].lower()
        for name in r["source"].split(";"):
            found = value in texts[name] if r["kind"] != "host" else \
                re.search(rf"(^|[^a-z0-9-]){re.escape(value)}([^a-z0-9.-]|\.?$|\^|/)",
                          texts[name], re.M)
            assert found, (value, name)


# --- one connection ----------------------------------------------------------------------------

def test_page_with_coinhive_calls():
    page = (b"<html><script src='https://coinhive.com/lib/coinhive.min.js'></script>"
            b"<script>var m = new CoinHive.Anonymous('SITE');m.start();</script></html>")
    rows, _ = scan(("up", get("/")), ("down", ok(page)))
    assert kinds(rows) == {("page", "blog.example.org", "http://blog.example.org/"),
                           ("script", "coinhive.com", "https://coinhive.com/lib/coinhive.min.js")}
    page_row = next(r for r in rows if r["kind"] == "page")
    facts = json.loads(page_row["evidence"])
    assert any("new CoinHive.Anonymous(" in f for f in facts)
    assert any("loads https://coinhive.com/lib/coinhive.min.js" in f for f in facts)
    assert all(r["client_ip"] == "10.0.0.9" and r["input_id"] == "input-1" for r in rows)


def test_script_request_and_its_referer():
    rows, _ = scan(("up", get("/js/deepMiner.min.js", extra="Referer: http://shop.example/a\r\n")))
    assert kinds(rows) == {("script", "blog.example.org", "http://blog.example.org/js/deepMiner.min.js"),
                           ("page", "shop.example", "http://shop.example/a")}


def test_request_to_listed_host_and_websocket_upgrade():
    upgrade = get("/proxy", "ws12.coinhive.com", "Upgrade: websocket\r\nConnection: Upgrade\r\n")
    rows, _ = scan(("up", upgrade))
    assert kinds(rows) == {("websocket", "ws12.coinhive.com", "ws://ws12.coinhive.com/proxy")}


def test_gzip_and_chunked_bodies():
    page = b"<p>hello</p>" * 50 + b"<script>new CoinHive.User('k', 'john')</script>"
    packed = gzip.compress(page)
    chunked = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n"
                       for part in (packed[:40], packed[40:])) + b"0\r\n\r\n"
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    rows, _ = scan(("up", get("/a") + get("/b")), ("down", ok(b"plain") + head + chunked))
    assert kinds(rows) == {("page", "blog.example.org", "http://blog.example.org/b")}


def test_only_the_first_cap_bytes_are_read():
    filler = b"x" * CAP
    rows, s = scan(("up", get("/")), ("down", ok(filler + b"new CoinHive.Anonymous(")))
    assert rows == [] and s._seen["down"] == CAP
    cut, _ = scan(("up", get("/")), ("down", ok(b"new CoinHive.Anonymous(" + filler)))
    assert kinds(cut) == {("page", "blog.example.org", "http://blog.example.org/")}


def _frame(obj, mask: bytes = b""):
    payload = json.dumps(obj).encode()
    size = bytes([len(payload) | (0x80 if mask else 0)]) if len(payload) < 126 else \
        bytes([126 | (0x80 if mask else 0)]) + len(payload).to_bytes(2, "big")
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return b"\x81" + size + mask + payload


def test_websocket_mining_protocol_to_an_unlisted_host():
    upgrade = get("/socket", "cdn.example.net", "Upgrade: websocket\r\nConnection: Upgrade\r\n")
    switched = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    auth = _frame({"type": "auth", "params": {"site_key": "k" * 32, "type": "anonymous"}}, b"abcd")
    job = _frame({"type": "job", "params": {"job_id": "1", "blob": "00" * 76, "target": "ffff"}})
    rows, _ = scan(("up", upgrade), ("down", switched), ("up", auth), ("down", job))
    (row,) = rows
    assert (row["kind"], row["host"], row["url"]) == ("websocket", "cdn.example.net",
                                                      "ws://cdn.example.net/socket")
    assert "auth x1, job x1" in json.loads(row["evidence"])[0]


WALLET = "4" + "A" * 94


@pytest.mark.parametrize("up,down,facts", [
    # webminerpool (MoneroOcean's web miner): handshake, job, solved
    ({"identifier": "handshake", "pool": "moneroocean.stream", "login": WALLET,
      "password": "web", "userid": "", "version": 7},
     {"identifier": "job", "job_id": "7", "algo": "cn", "variant": 1, "blob": "07" * 76,
      "target": "b88d0600"}, "handshake x1, job x1"),
    ({"identifier": "solved", "job_id": "7", "nonce": "0a0b0c0d", "result": "ab" * 32},
     {"identifier": "hashsolved"}, "hashsolved x1, solved x1"),
    # a pool's JSON-RPC relayed as it is (a WebSocket-to-Stratum proxy)
    ({"id": 1, "jsonrpc": "2.0", "method": "login", "params": {"login": WALLET, "pass": "x"}},
     {"jsonrpc": "2.0", "method": "job", "params": {"blob": "07" * 76, "job_id": "8",
                                                    "target": "b88d0600"}}, "job x1, login x1"),
    ({"id": 2, "method": "mining.submit", "params": ["w.1", "j1", "00", "5f5e1000", "0a0b"]},
     {"id": 2, "result": True, "error": None}, "mining.submit x1"),
])
def test_other_browser_miner_protocols_in_a_websocket(up, down, facts):
    upgrade = get("/ws", "cdn.example.net", "Upgrade: websocket\r\nConnection: Upgrade\r\n")
    switched = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
    rows, _ = scan(("up", upgrade), ("down", switched), ("up", _frame(up, b"abcd")),
                   ("down", _frame(down)))
    (row,) = rows
    assert row["kind"] == "websocket" and facts in json.loads(row["evidence"])[0]


def test_a_greeting_alone_in_a_websocket_is_no_miner():
    """A chat's JSON-RPC login, or a handshake nothing follows: no job, no share."""
    upgrade = get("/chat", "chat.example.net", "Upgrade: websocket\r\n")
    login = _frame({"id": 1, "method": "login", "params": {"login": "alice", "pass": "pw"}},
                   b"wxyz")
    answer = _frame({"id": 1, "result": {"status": "OK"}, "method": "welcome", "params": []})
    rows, _ = scan(("up", upgrade + login), ("down", b"HTTP/1.1 101 OK\r\n\r\n" + answer))
    assert rows == []


def test_ordinary_traffic_gives_nothing():
    chat = _frame({"type": "message", "params": {"text": "hi"}}, b"wxyz")
    upgrade = get("/chat", extra="Upgrade: websocket\r\n")
    rows, _ = scan(("up", get("/") + get("/app.js")),
                   ("down", ok(b"<html>miner.js processor.js</html>") + ok(b"x", "text/js")))
    assert rows == []
    rows, _ = scan(("up", upgrade + chat), ("down", b"HTTP/1.1 101 OK\r\n\r\n"))
    assert rows == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["up", "down"]), st.binary(max_size=200)), max_size=10),
       st.booleans())
def test_random_bytes_never_raise(chunks, http_start):
    s = BrowserScan()
    if http_start:
        s.feed("up", 0.0, get("/x", extra="Upgrade: websocket\r\n"))
        s.feed("down", 0.0, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for direction, data in chunks:
        s.feed(direction, 1.0, data)
    s.entities(None, None)
    assert not [k for k in s.counters if k.startswith("internal")]


# --- names and merging -------------------------------------------------------------------------

def test_entities_from_dns_and_sni():
    dns = [{"ts": 5.0, "client_ip": "10.0.0.1", "query": "ws001.coinhive.com", "answer": "1.2.3.4",
            "ttl": 60, "input_id": "a"},
           {"ts": 9.0, "client_ip": "10.0.0.1", "query": "ws001.coinhive.com", "answer": "1.2.3.5",
            "ttl": 60, "input_id": "a"},
           {"ts": 6.0, "client_ip": "10.0.0.1", "query": "www.example.com", "answer": "5.6.7.8",
            "ttl": 60, "input_id": "a"}]
    sni = [{"ts": 7.0, "client_ip": "10.0.0.2", "client_port": 50000, "server_ip": "1.2.3.4",
            "server_port": 443, "sni": "authedmine.com", "input_id": "a"}]
    rows = browser_entities_from_names(dns, sni)
    assert [(r["kind"], r["host"], r["client_ip"]) for r in rows] == [
        ("dns", "ws001.coinhive.com", "10.0.0.1"), ("sni", "authedmine.com", "10.0.0.2")]
    assert (rows[0]["ts_first"], rows[0]["ts_last"]) == (5.0, 9.0)
    assert len(json.loads(rows[0]["evidence"])) == 2
    assert schema.to_table("web_entities", rows).num_rows == 2


def test_merge_entities():
    base = {"client_ip": "c", "host": "h", "url": "u", "kind": "page", "input_id": "i"}
    rows = merge_entities([dict(base, ts_first=3.0, ts_last=4.0, evidence=["a"]),
                           dict(base, ts_first=1.0, ts_last=2.0, evidence='["a", "b"]'),
                           dict(base, kind="script", ts_first=2.0, ts_last=2.0, evidence=[])])
    assert [(r["kind"], r["ts_first"], r["ts_last"], json.loads(r["evidence"])) for r in rows] == [
        ("page", 1.0, 4.0, ["a", "b"]), ("script", 2.0, 2.0, [])]


URL_TEXT = st.lists(st.sampled_from([b"http", b"HTTPS", b"ws", b"wss", b"://", b"a", b"x.io",
                                     b"/p", b" ", b"_", b"9", b"\xc3\xa9", b'"', b":80", b"."]),
                    max_size=30).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(URL_TEXT)
def test_urls_finds_what_the_regex_finds(body):
    from minewatch.detect.browser import _URL, _urls

    seen = {}
    for m in _URL.finditer(body):
        seen.setdefault(m.group(0).decode("latin-1"), m.group(2).decode().lower())
    assert _urls(body) == list(seen.items())
