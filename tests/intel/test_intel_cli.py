"""`minewatch intel`: import, list, export; usage errors exit 2, unreadable input 65."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "minewatch", "intel", *args], capture_output=True,
                       text=True, timeout=120)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def test_import_list_export_round(tmp_path):
    db = tmp_path / "db.duckdb"
    (tmp_path / "pools.txt").write_text("pool.example.com\nbad..name\nxmr.example.net:3333\n")
    (tmp_path / "ips.txt").write_text("198.51.100.7\n")
    p = run("import", str(tmp_path / "pools.txt"), str(tmp_path / "ips.txt"), "--db", str(db))
    assert p.returncode == 0, p.stderr
    assert "pools.txt: 2 indicators imported (domains, pool), 1 lines not used" in p.stdout
    assert "line 2: not a host name: bad..name" in p.stdout
    p = run("import", str(tmp_path / "pools.txt"), "--db", str(db), "--category", "proxy")
    assert p.returncode == 0
    listed = run("list", "--db", str(db)).stdout.splitlines()
    assert len(listed) == 3 and "xmr.example.net:3333\tproxy" in "\n".join(listed)
    assert run("list", "--db", str(db), "--kind", "ip").stdout.startswith("ip\t198.51.100.7\tpool")
    rows = json.loads(run("export", "--db", str(db), "--format", "json").stdout)
    assert {r["value"] for r in rows} == {"pool.example.com", "xmr.example.net", "198.51.100.7"}
    out = tmp_path / "out" / "intel.hosts"
    assert run("export", "--db", str(db), "--format", "hosts", "--out", str(out)).returncode == 0
    assert "0.0.0.0 pool.example.com" in out.read_text()


def test_format_and_source_options(tmp_path):
    db = tmp_path / "db.duckdb"
    (tmp_path / "l.txt").write_text("||coinhive.com^\n/miner.js\n")
    p = run("import", str(tmp_path / "l.txt"), "--db", str(db), "--format", "adblock", "--source", "nocoin")
    assert "1 indicators imported (adblock, browser-miner), 1 lines not used" in p.stdout
    assert run("list", "--db", str(db)).stdout.split("\t")[4] == "nocoin"


def test_unreadable_files_exit_65_after_importing_the_rest(tmp_path):
    db = tmp_path / "db.duckdb"
    (tmp_path / "ok.txt").write_text("pool.example.com\n")
    (tmp_path / "words.txt").write_text("just some words\n")
    p = run("import", str(tmp_path / "missing.txt"), str(tmp_path / "words.txt"),
            str(tmp_path / "ok.txt"), "--db", str(db))
    assert p.returncode == 65
    assert "missing.txt" in p.stderr and "unrecognised list format" in p.stderr
    assert "ok.txt: 1 indicators imported" in p.stdout
    assert run("list", "--db", str(tmp_path / "none.duckdb")).returncode == 65


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "a.txt").write_text("a.example.com\n")
    assert run("import", str(tmp_path / "a.txt")).returncode == 2  # no --db
    assert run("import", str(tmp_path / "a.txt"), "--db", "x", "--format", "nope").returncode == 2
    assert run("import", str(tmp_path / "a.txt"), str(tmp_path / "a.txt"), "--db",
               str(tmp_path / "d.duckdb"), "--source", "s").returncode == 2
    assert run("export", "--db", "x", "--format", "xml").returncode == 2
