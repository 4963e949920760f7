"""`minewatch labelled` lists the connections recognised as no miner's: a wallet asking
bitcoind for its balance (daemon-rpc) and a node's version to a peer (node); `sessions`
lists neither."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from minewatch.cli.main import app
from minewatch.decode import http, p2p
from minewatch.decode.packet import encode_tcp
from minewatch.decode.pcap import PcapWriter


def test_labelled_connections_listed(tmp_path):
    body = b'{"jsonrpc":"1.0","id":1,"method":"getbalance","params":[]}'
    request = http.encode(http.request("POST", "/", (("Host", "10.1.2.50:8332"),
                                                     http.basic_auth_header("u", "p")), body))
    version = p2p.encode_message(bytes.fromhex("f9beb4d9"), "version", p2p.encode_version(
        p2p.Version(70016, 1, 1_700_000_000, 9, "/Satoshi:26.0.0/", 820_000, True)))
    pcap = tmp_path / "wallet.pcap"
    with pcap.open("wb") as f:
        writer = PcapWriter(f)
        writer.write(1.0, encode_tcp("10.1.2.9", "10.1.2.50", 50000, 8332, 1, 1, 0x18, request))
        writer.write(2.0, encode_tcp("10.1.2.9", "10.1.2.51", 50001, 8333, 1, 1, 0x18, version))
    db = tmp_path / "w.duckdb"
    runner = CliRunner()
    assert runner.invoke(app, ["analyze", str(pcap), "--db", str(db)]).exit_code == 0
    out = runner.invoke(app, ["labelled", "--db", str(db)])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [(r["client_ip"], r["server_port"], r["label"], r["methods"], r["agent"])
            for r in rows] == [("10.1.2.9", 8332, "daemon-rpc", "getbalance", None),
                               ("10.1.2.9", 8333, "node", "version", "/Satoshi:26.0.0/")]
    assert json.loads(runner.invoke(app, ["sessions", "--db", str(db)]).stdout) == []
    csv = runner.invoke(app, ["labelled", "--db", str(db), "--format", "csv"]).stdout
    assert csv.splitlines()[0].startswith('"ts_start","client_ip"') and len(csv.splitlines()) == 3


def test_labelled_missing_db(tmp_path):
    out = CliRunner().invoke(app, ["labelled", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 65
