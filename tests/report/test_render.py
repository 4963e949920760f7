"""The situation report renders the figures it is given: numbers formatted as published, hashrate
per algorithm, every string escaped, and one HTML file that needs nothing from the network."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from minewatch.report import charts
from minewatch.report.render import (
    evidence_items, format_count, format_energy, format_hashrate, format_interval, format_power,
    format_share, render_html, render_text,
)

INJECTION = "<script>alert(1)</script>"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "report-schema.md"


def _hashrate(value, low, high, ips, measured, unit="H/s"):
    return {"value_hs": value, "low_hs": low, "high_hs": high, "unit": unit,
            "miner_ips": ips, "measured_ips": measured}


def _energy(low, typical, high):
    return {"low": low, "typical": typical, "high": high}


@pytest.fixture
def report() -> dict:
    return {
        "generated_at": "2026-11-28T14:00:00Z",
        "period_start": "2021-05-01T00:00:00Z", "period_end": "2021-05-01T01:00:00Z",
        "period_s": 3600.0, "pool_egress_mbps": 136.77, "pool_ingress_mbps": 80.1,
        "miner_ips": 4502, "sessions": 5100,
        "visibility": {"plaintext": 3000, "tls": 900, "flow-only": 602},
        "hashrate": {
            "sha256d": _hashrate(1.0e16, 9.8e15, 1.02e16, 700, 650),
            "ethash": _hashrate(5.86e13, 5.52e13, 6.21e13, 3762, 3250),
            "equihash": _hashrate(None, None, None, 40, 0, unit="Sol/s"),
        },
        "power_kw": {"low": 5000.0, "typical": 10830.0, "high": 15000.0},
        "energy_kwh_day": _energy(120000.0, 260000.0, 360000.0),
        "by_city": [
            {"city": "南京市", "coin": "ETH", "algorithm": "ethash", "miner_ips": 1200,
             "hashrate_hs": 3.1e13, "energy_kwh_day": 54000.0},
            {"city": "南京市", "coin": "BTC", "algorithm": "sha256d", "miner_ips": 300,
             "hashrate_hs": 4.0e15, "energy_kwh_day": 4000.0},
            {"city": "苏州市", "coin": "ETH", "algorithm": "ethash", "miner_ips": 900,
             "hashrate_hs": 2.0e13, "energy_kwh_day": 40000.0},
            {"city": "无锡市", "coin": "ZEC", "algorithm": "equihash", "miner_ips": 40,
             "hashrate_hs": None, "energy_kwh_day": 1200.0},
            {"city": "<img src=x onerror=alert(1)>", "coin": "BTC", "algorithm": "sha256d",
             "miner_ips": 2, "hashrate_hs": 1.0e13, "energy_kwh_day": 10.0},
        ],
        "by_coin": [
            {"coin": "ETH", "algorithm": "ethash", "miner_ips": 3762, "hashrate_hs": 5.86e13,
             "low_hs": 5.52e13, "high_hs": 6.21e13,
             "energy_kwh_day": _energy(110000.0, 248000.0, 335000.0), "egress_mbps": 120.5},
            {"coin": "BTC", "algorithm": "sha256d", "miner_ips": 700, "hashrate_hs": 1.0e16,
             "low_hs": 9.8e15, "high_hs": 1.02e16,
             "energy_kwh_day": _energy(5160.0, 10800.0, 23520.0), "egress_mbps": 14.8},
            {"coin": "ZEC", "algorithm": "equihash", "miner_ips": 40, "hashrate_hs": None,
             "low_hs": None, "high_hs": None,
             "energy_kwh_day": _energy(840.0, 1200.0, 1480.0), "egress_mbps": 1.47},
        ],
        "owner_types": {"government": 300, "education": 400, "enterprise": 250, "hospital": 20,
                        "idc": 900, "internet_cafe": 100, "residential": 2500, "unknown": 32},
        "by_owner_type": [
            {"owner_type": "government", "miner_ips": 300, "compromised": 250,
             "deliberate": 30, "unknown": 20},
            {"owner_type": "education", "miner_ips": 400, "compromised": 380,
             "deliberate": 10, "unknown": 10},
            {"owner_type": "enterprise", "miner_ips": 250, "compromised": 215,
             "deliberate": 20, "unknown": 15},
            {"owner_type": "residential", "miner_ips": 2500, "compromised": 100,
             "deliberate": 2300, "unknown": 100},
        ],
        "compromised_ips": 945, "compromised_share": 0.21, "unmeasured_miner_ips": 602,
        "labelled": {"daemon-rpc": 1, "node": 125},
        "inputs": [{"path": "packets.pcap", "format": "pcap", "status": "ok",
                    "records": 123456, "skipped": 0}],
    }


def _miner(**over) -> dict:
    row = {
        "ip": "10.1.2.3", "city": "南京市", "isp": "电信", "province": "江苏省",
        "owner_org": "南京大学", "owner_type": "education", "coin": "ETH", "algorithm": "ethash",
        "hashrate_hs": 1.2e8, "hashrate_low_hs": 1.0e8, "hashrate_high_hs": 1.4e8,
        "hashrate_method": "shares", "visibility": "plaintext",
        "pools": "eth.f2pool.com:6688,asia1.ethermine.org:4444", "wallets": "0xabc.rig1",
        "workers": "rig1", "energy_typical_kwh_day": 57.75, "egress_bps": 3000.0,
        "verdict": "compromised", "verdict_score": 0.82,
        "verdict_evidence": json.dumps(["mining at night on a campus network",
                                        {"signal": "xmrig agent", "weight": 0.3}],
                                       ensure_ascii=False),
        "evidence": json.dumps(["stratum mining.submit seen"]),
    }
    return row | over


@pytest.fixture
def miners() -> list[dict]:
    return [
        _miner(),
        _miner(ip="10.9.9.9", owner_org=INJECTION, owner_type="enterprise", coin="ZEC",
               algorithm="equihash", hashrate_hs=None, hashrate_low_hs=None,
               hashrate_high_hs=None, hashrate_method="none", verdict_score=None,
               energy_typical_kwh_day=None, egress_bps=None,
               verdict_evidence=json.dumps([f"wallet note {INJECTION}"]), evidence="not json"),
        _miner(ip="10.0.0.7", owner_org=None, city=None, isp=None, pools=None, wallets=None,
               verdict=None, verdict_evidence=None, evidence=None),
    ]


def _empty_report(report: dict) -> dict:
    empty = copy.deepcopy(report)
    empty.update(miner_ips=0, sessions=0, pool_egress_mbps=0.0, pool_ingress_mbps=0.0,
                 visibility={}, hashrate={}, by_city=[], by_coin=[], by_owner_type=[],
                 owner_types={}, compromised_ips=0, compromised_share=0.0,
                 unmeasured_miner_ips=0, power_kw=_energy(0.0, 0.0, 0.0),
                 energy_kwh_day=_energy(0.0, 0.0, 0.0))
    return empty


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


# --- number formats ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, unit, expected", [
    (5.86e13, "H/s", "58.6 TH/s"), (1.0e16, "H/s", "10.0 PH/s"), (2.35e6, "H/s", "2.35 MH/s"),
    (123.0, "H/s", "123 H/s"), (0.0, "H/s", "0 H/s"), (999.96e9, "H/s", "1.00 TH/s"),
    (4.2e3, "Sol/s", "4.20 kSol/s"), (None, "H/s", "n/a"), (float("nan"), "H/s", "n/a"),
])
def test_hashrate_uses_si_prefixes_in_the_native_unit(value, unit, expected):
    assert format_hashrate(value, unit) == expected


def test_interval_shares_a_prefix_when_it_can():
    assert format_interval(9.8e15, 1.02e16) == "9.80–10.2 PH/s"
    assert format_interval(9.8e11, 1.02e12) == "980 GH/s – 1.02 TH/s"
    assert format_interval(None, 1.0) == "n/a"


def test_counts_energy_power_and_shares():
    assert format_count(4502) == "4,502"
    assert format_energy(260000.0) == "260,000"
    assert format_energy(57.75) == "57.8"
    assert format_power(10830.0) == "10.83 MW"
    assert format_power(950.0) == "950 kW"
    assert format_share(0.21) == "21%"
    assert format_share(0.051) == "5.1%"


def test_evidence_items_accept_strings_objects_and_bad_json():
    assert evidence_items('["a", {"k": 1}]') == ["a", "k: 1"]
    assert evidence_items("not json") == ["not json"]
    assert evidence_items(None) == []


# --- text ---------------------------------------------------------------------------------------

def test_text_states_the_headline_figures(report):
    text = render_text(report)
    for expected in ("2021-05-01 00:00 and 01:00 UTC", "4,502 internal IPs", "5,100 pool sessions",
                     "136.77 Mbps", "Ethash 58.6 TH/s (95% CI 55.2–62.1 TH/s)",
                     "SHA-256d 10.0 PH/s (95% CI 9.80–10.2 PH/s)",
                     "Equihash not measured (40 IPs)",
                     "602 miner IPs (TLS or flow records only) could not be measured", "260,000 kWh per day",
                     "120,000–360,000", "10.83 MW", "南京市 (1,500)", "苏州市 (900)",
                     "ETH (3,762)", "21% of miner IPs (945)",
                     "education (380), government (250) and enterprise (215)"):
        assert expected in text, expected


def test_text_never_totals_hashrate(report):
    text = render_text(report)
    total = next(line for line in text.splitlines() if line.startswith("Total  "))
    assert "4,502" in total and "not additive" in total
    assert "H/s" not in total


def test_text_tables_align_chinese_by_display_width(report):
    text = render_text(report)
    block = text.split("By city and coin\n")[1].split("\n\n")[0].splitlines()
    # The coin column starts at the same terminal column on every row although 南京市 is 6 wide.
    starts = {_display_width(line[:line.index(coin)]) for line in block[2:]
              for coin in ("ETH", "BTC", "ZEC") if f" {coin} " in line}
    assert len(starts) == 1


def _display_width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_text_says_what_was_recognised_and_not_counted(report):
    text = render_text(report)
    assert ("It also recognised 125 connections of coin nodes to their peers and 1 client of "
            "coin daemons' RPC, and counted none of them as mining") in text
    assert "It also recognised 125 connections" in render_text(_empty_report(report))
    report["labelled"] = {}
    assert "It also recognised" not in render_text(report)


def test_html_sets_the_summarys_commands_as_code_and_escapes_the_rest(report, miners):
    html = render_html(report, miners)
    assert "(<code>minewatch labelled</code> lists them)" in html
    assert "`minewatch" not in html
    report["labelled"] = {"node": 1}
    report["period_start"] = "`<b>`"  # (never in a real report: text that looks like a span)
    assert "<code><b></code>" not in render_html(report, miners)


def test_text_with_zero_miners(report):
    text = render_text(_empty_report(report))
    assert "observed no internal IPs mining" in text
    assert "n/a" not in text.split("\n\n")[1]
    assert "By city and coin\n" in text and "(none)" in text


def test_an_algorithm_with_no_measured_ip_is_not_measured_rather_than_zero(report, miners):
    report["hashrate"]["equihash"].update(value_hs=0.0, low_hs=0.0, high_hs=0.0)
    assert "Equihash not measured (40 IPs)" in render_text(report)
    assert "0 Sol/s" not in render_html(report, miners)


# --- HTML -------------------------------------------------------------------------------------

def test_html_is_self_contained(report, miners):
    html = render_html(report, miners)
    assert '<meta charset="utf-8">' in html
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link\b|@import|url\(", html, re.I)
    assert "default-src 'none'" in html


def test_html_escapes_every_string(report, miners):
    html = render_html(report, miners)
    assert INJECTION not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert html.count("<script") == 1          # only the page's own sorting script


def test_html_shows_chinese_names_and_a_cjk_font(report, miners):
    html = render_html(report, miners)
    assert "南京市" in html and "南京大学" in html and "电信" in html
    assert "Noto Sans CJK SC" in html and "Microsoft YaHei" in html


def test_html_has_headline_cards_and_per_algorithm_table(report, miners):
    html = render_html(report, miners)
    for expected in ("4,502", "136.77 Mbps", "260,000 kWh", "10.83 MW", "21%", "58.6 TH/s",
                     "10.0 PH/s", "9.80–10.2 PH/s", "not measured", "— not additive"):
        assert expected in html, expected


def test_html_miners_table_lists_evidence_and_handles_nulls(report, miners):
    html = render_html(report, miners)
    table = html.split('<table id="miners">')[1].split("</table>")[0]
    assert table.count("<tr data-verdict=") == 3
    assert "<li>mining at night on a campus network</li>" in table
    assert "<li>signal: xmrig agent, weight: 0.3</li>" in table
    assert "<li>not json</li>" in table
    assert "120 MH/s" in table and "100–140 MH/s" in table
    assert '<div>asia1.ethermine.org:4444</div>' in table
    assert "None" not in table


def test_html_charts_are_well_formed_svg(report, miners):
    svgs = _svgs(render_html(report, miners))
    assert len(svgs) == 3
    for svg in svgs:
        assert svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert svg.findall(".//{http://www.w3.org/2000/svg}rect")


def test_html_is_balanced(report, miners):
    checker = _TagBalance()
    checker.feed(render_html(report, miners))
    checker.close()
    assert checker.stack == [] and checker.errors == []


def test_html_with_zero_miners(report):
    html = render_html(_empty_report(report), [])
    assert "No miner IPs in this period." in html
    assert "<script" not in html
    for svg in _svgs(html):
        assert "No data" in ET.tostring(svg, encoding="unicode")


def test_html_is_deterministic(report, miners):
    assert render_html(report, miners) == render_html(copy.deepcopy(report), miners)


def test_charts_with_no_bars_are_still_svg():
    ET.fromstring(charts.stacked_bar_chart("t", [], {}))
    ET.fromstring(charts.whisker_bar_chart("t", []))


def test_chart_labels_are_escaped():
    bar = charts.StackedBar(INJECTION, (("a&b", 1.0),), "1")
    svg = charts.stacked_bar_chart("<t>", [bar], charts.series_colours(["a&b"]))
    ET.fromstring(svg)
    assert INJECTION not in svg


# --- docs -------------------------------------------------------------------------------------

def test_docs_describe_every_report_key(report):
    documented = set(re.findall(r"`([^`]+)`", DOCS.read_text(encoding="utf-8")))
    keys = set(report) | set(report["hashrate"]["sha256d"]) | set(report["visibility"])
    keys |= set(report["power_kw"]) | set(report["owner_types"])
    for rows in ("by_city", "by_coin", "by_owner_type", "inputs"):
        keys |= set(report[rows][0])
    assert keys - documented == set()


class _TagBalance(HTMLParser):
    VOID = {"meta", "br", "input", "img", "link", "hr", "col", "wbr", "source", "area"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
