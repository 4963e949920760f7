"""`minewatch registry` and `minewatch orgs`: outputs, exit codes, one-line errors, docs."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from minewatch.cli.attribution import orgs_app, registry_app
from minewatch.cli.main import app
from minewatch.enrich.public_owner import ASN_FILE, QQWRY_FILE, encode_ipdb
from minewatch.enrich.registry import write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs" / "attribution.md"
REGISTER = [
    {"prefix": "58.192.0.0/16", "organisation": "东南大学", "owner_type": "", "city": "南京市",
     "contact": "网络中心 025-83790000"},
    {"prefix": "58.192.118.0/24", "organisation": "东南大学附属中大医院", "owner_type": "",
     "city": "南京市", "contact": ""},
    {"prefix": "1.2.3.9-1.2.3.1", "organisation": "某公司", "owner_type": "", "city": "",
     "contact": ""},  # line 4: reversed
    {"prefix": "10.0.0.0/8", "organisation": "", "owner_type": "", "city": "", "contact": ""},
]
runner = CliRunner()


def invoke(*args: str, stdin: bytes | None = None):
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture
def register_csv(tmp_path) -> Path:
    path = tmp_path / "register.csv"
    write_csv(path, REGISTER, encoding="gb18030")
    return path


@pytest.fixture
def db(tmp_path, register_csv) -> Path:
    path = tmp_path / "mw.duckdb"
    assert invoke("registry", "import", str(register_csv), "--db", str(path)).exit_code == 0
    return path


def test_import_reports_bad_rows_by_line_and_counts(tmp_path, register_csv):
    result = invoke("registry", "import", str(register_csv), "--db", str(tmp_path / "a.duckdb"))
    assert result.exit_code == 0
    assert f"{register_csv}:4: reversed range" in result.output
    assert f"{register_csv}:5: empty organisation" in result.output
    assert "imported 2 ranges, rejected 2 rows" in result.output


def test_import_xlsx_replaces_the_stored_register(tmp_path, db):
    book = openpyxl.Workbook()
    book.active.append(["网段", "单位名称", "单位类型", "城市", "联系人"])
    book.active.append(["49.64.0.0/24", "某某网吧", "网吧", "苏州市", "王先生"])
    book.save(tmp_path / "new.xlsx")
    result = invoke("registry", "import", str(tmp_path / "new.xlsx"), "--db", str(db))
    assert result.exit_code == 0 and "imported 1 ranges" in result.output
    rows = json.loads(invoke("registry", "show", "--db", str(db), "--format", "json").output)
    assert [(r["organisation"], r["owner_type"], r["line"]) for r in rows] == [
        ("某某网吧", "internet_cafe", 2)]


def test_import_of_a_file_without_good_rows_keeps_the_stored_register(tmp_path, db):
    (tmp_path / "bad.csv").write_text("prefix,organisation\n1.2.3.0/33,x\n", encoding="utf-8")
    result = invoke("registry", "import", str(tmp_path / "bad.csv"), "--db", str(db))
    assert result.exit_code == 65
    assert "unchanged" in result.output
    assert "2 ranges" in invoke("registry", "show", "--db", str(db)).output


def test_show_formats(db):
    text = invoke("registry", "show", "--db", str(db)).output.splitlines()
    assert text[0] == "2 ranges"
    assert text[1].startswith("58.192.0.0/16") and "education" in text[1] and "东南大学" in text[1]
    assert "hospital" in text[2] and "register.csv:3" in text[2]
    rows = list(csv.DictReader(io.StringIO(invoke("registry", "show", "--db", str(db),
                                                  "--format", "csv").output)))
    assert [r["prefix"] for r in rows] == ["58.192.0.0/16", "58.192.118.0/24"]
    assert rows[0]["contact"] == "网络中心 025-83790000"


def test_lookup_from_db_or_register_file(db, register_csv, tmp_path):
    empty = tmp_path / "no-sources"
    empty.mkdir()
    for where in (["--db", str(db)], ["--registry", str(register_csv)]):
        result = invoke("registry", "lookup", "58.192.118.7", *where, "--sources", str(empty),
                        "--format", "json")
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout)[0]
        assert (row["owner_org"], row["owner_type"], row["owner_city"]) == (
            "东南大学附属中大医院", "hospital", "南京市")
        assert row["owner_source"] == "register"
        assert row["province"].startswith("江苏") and row["isp"]
    text = invoke("registry", "lookup", "58.192.1.1", "--db", str(db), "--sources", str(empty))
    assert re.search(r"^owner_contact +网络中心 025-83790000$", text.output, re.M)
    assert re.search(r"^country +中国$", text.output, re.M)


def test_lookup_falls_back_to_public_sources(db, tmp_path):
    fields = ["country_name", "region_name", "city_name", "owner_domain", "isp_domain"]
    ranges = [("49.64.0.0", "49.64.0.255", {"owner_domain": "开心网吧", "isp_domain": "电信"})]
    (tmp_path / QQWRY_FILE).write_bytes(encode_ipdb(ranges, fields))
    (tmp_path / ASN_FILE).write_text("826277888,828375039,4134,Chinanet\n", encoding="utf-8")
    result = invoke("registry", "lookup", "49.64.0.7", "49.70.0.1", "--db", str(db),
                    "--sources", str(tmp_path), "--format", "json")
    rows = json.loads(result.stdout)
    assert [(r["owner_org"], r["owner_type"], r["owner_source"]) for r in rows] == [
        ("开心网吧", "internet_cafe", "qqwry"), ("AS4134 Chinanet", "unknown", "asn")]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_orgs_classify_file_and_stdin(tmp_path, encoding):
    names = "东南大学\n南京市教育局\n\n  某某网络会所有限公司  \nzzz\n".encode(encoding)
    (tmp_path / "names.txt").write_bytes(names)
    expected = ["东南大学\teducation\t0.950", "南京市教育局\tgovernment\t0.950",
                "某某网络会所有限公司\tinternet_cafe\t0.807", "zzz\tunknown\t0.000"]
    assert invoke("orgs", "classify", str(tmp_path / "names.txt")).stdout.splitlines() == expected
    assert invoke("orgs", "classify", "-", stdin=names).stdout.splitlines() == expected


def test_orgs_classify_reads_the_name_of_a_labelled_list():
    """name<TAB>type lines (a labelled list) are classified by the name alone: the label must
    neither leak into the answer nor be echoed as part of the name."""
    lines = "Some Hospital Group\tgovernment\r\nzzz\thospital\n".encode()
    assert invoke("orgs", "classify", "-", stdin=lines).stdout.splitlines() == [
        "Some Hospital Group\thospital\t0.807", "zzz\tunknown\t0.000"]


@pytest.mark.parametrize("args, code, words", [
    (["registry", "import", "missing.csv", "--db", "x.duckdb"], 65, "cannot read"),
    (["registry", "show", "--db", "missing.duckdb"], 65, "no such database"),
    (["registry", "lookup", "1.2.3"], 2, "not an IPv4 address"),
    (["registry", "lookup", "1.2.3.4", "--db", "a", "--registry", "b"], 2, "not both"),
    (["registry", "lookup", "1.2.3.4", "--sources", "missing-dir"], 65, "no such directory"),
    (["orgs", "classify", "missing.txt"], 65, "cannot read"),
    (["registry", "show"], 2, "--db"),
])
def test_errors_are_one_line_with_documented_codes(tmp_path, args, code, words):
    p = subprocess.run([sys.executable, "-m", "minewatch", *args], capture_output=True,
                       cwd=tmp_path, timeout=120)
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err and words in err
    if code == 65:
        assert len(err.strip().splitlines()) == 1


def _commands_and_options() -> list[str]:
    """Every `minewatch registry|orgs` command and option name."""
    names = []
    for group, sub in (("registry", registry_app), ("orgs", orgs_app)):
        for name, command in typer.main.get_group(sub).commands.items():
            names.append(f"minewatch {group} {name}")
            names += [o for p in command.params if p.param_type_name == "option" for o in p.opts]
    return names


def test_every_command_and_option_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [name for name in _commands_and_options() if name not in text]
    assert not missing, f"not in {DOCS.name}: {missing}"
