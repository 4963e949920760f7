"""Register import: the same malformed rows as CSV (UTF-8, GBK) and as .xlsx, by line number.

Issue 5: a bad CIDR, a reversed range, a partial overlap and an empty name are each reported
by their line (spreadsheet row for .xlsx) and skipped; the good rows are imported. Also the
round trip through the ``owner_register`` table the engine keeps the register in.
"""

from __future__ import annotations

import io

import openpyxl
import pyarrow as pa
import pytest

from minewatch import schema
from minewatch.enrich.registry import OwnerRange, OwnerRegister
from minewatch.errors import InputError

HEADER = ["prefix", "organisation", "owner_type", "city", "contact"]
ROWS = [
    ["58.192.0.0/16", "东南大学", "教育", "南京市", "网络中心 025-83790000"],  # 2 ok
    ["58.192.0.0/33", "东南大学", "", "", ""],  # 3 bad CIDR
    ["202.119.63.255-202.119.32.0", "南京大学", "education", "", ""],  # 4 reversed range
    ["58.192.255.0-58.193.0.255", "某公司", "", "", ""],  # 5 partly overlaps line 2
    ["10.20.0.0/16", "", "government", "", ""],  # 6 empty organisation
    ["10.30.0.0/24", "南京市第一中学", "", "南京市", "王老师"],  # 7 ok, type from the name
    ["58.192.118.0/24", "东南大学附属中大医院", "", "南京市", ""],  # 8 ok, nested in line 2
]
BAD_LINES = {3: "CIDR", 4: "reversed", 5: "partly overlaps", 6: "organisation"}
GOOD = {"58.192.1.1": ("东南大学", "education"), "10.30.0.9": ("南京市第一中学", "education"),
        "58.192.118.9": ("东南大学附属中大医院", "hospital")}


def csv_bytes(encoding: str) -> bytes:
    lines = [",".join(HEADER)] + [",".join(row) for row in ROWS]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows=ROWS, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def check(register: OwnerRegister, errors) -> None:
    assert [e.line for e in errors] == sorted(BAD_LINES)
    for e in errors:
        assert BAD_LINES[e.line] in e.message, e
    assert len(register) == 3
    table = register.lookup(list(GOOD))
    got = zip(table.column("owner_org").to_pylist(), table.column("owner_type").to_pylist())
    assert dict(zip(GOOD, got)) == GOOD


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_malformed_rows_in_csv(tmp_path, encoding):
    path = tmp_path / f"register-{encoding}.csv"
    path.write_bytes(csv_bytes(encoding))
    check(*OwnerRegister.from_file(path))


def test_malformed_rows_in_xlsx(tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx_bytes())
    check(*OwnerRegister.from_file(path))
    check(*OwnerRegister.from_xlsx(path))


def test_gbk_and_utf8_csv_and_xlsx_give_the_same_register(tmp_path):
    registers = []
    for name, data in [("u.csv", csv_bytes("utf-8")), ("g.csv", csv_bytes("gbk")),
                       ("x.xlsx", xlsx_bytes())]:
        (tmp_path / name).write_bytes(data)
        registers.append(OwnerRegister.from_file(tmp_path / name)[0])
    tables = [r.to_table().drop_columns(["source"]) for r in registers]
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])


def test_xlsx_cells_that_are_numbers_dates_or_blank_rows(tmp_path):
    rows = [["1.2.3.0/24", "某公司", None, None, 2583790000], [None] * 5, [],
            ["1.2.4.0/24", "某网吧", "网吧", "苏州市", 25.0]]
    register, errors = OwnerRegister.from_xlsx(xlsx_bytes(rows))
    assert errors == []
    assert [(r.line, r.contact) for r in register.ranges] == [(2, "2583790000"), (5, "25")]


def test_xlsx_with_chinese_headers():
    header = ["IP段", "单位名称", "单位类型", "城市", "联系人"]
    register, errors = OwnerRegister.from_xlsx(xlsx_bytes([["1.2.3.0/24", "某医院", "", "", ""]],
                                                          header))
    assert errors == [] and register.ranges[0].owner_type == "hospital"


def test_unreadable_workbooks_raise_input_error(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    for name in ("broken.xlsx", "old.xls", "missing.xlsx"):
        with pytest.raises(InputError):
            OwnerRegister.from_file(tmp_path / name)
    with pytest.raises(InputError):
        OwnerRegister.from_xlsx(xlsx_bytes([["1.2.3.0/24", "x"]], ["network", "name"]))


def test_table_round_trip_keeps_source_and_line(tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes("gbk"))
    register, _ = OwnerRegister.from_file(path)
    table = register.to_table()
    assert table.schema.equals(schema.arrow_schema("owner_register"))
    assert table.column("line").to_pylist() == [2, 7, 8]
    assert set(table.column("source").to_pylist()) == {str(path)}
    again = OwnerRegister.from_table(table)
    assert again.ranges == register.ranges
    assert again.lookup(list(GOOD)).equals(register.lookup(list(GOOD)))


def test_from_table_refuses_tables_that_are_not_registers():
    with pytest.raises(InputError):
        OwnerRegister.from_table(pa.table({"prefix": ["1.2.3.0/24"]}))
    clash = OwnerRegister([OwnerRange(0, 10, "a", "enterprise", line=2),
                           OwnerRange(5, 20, "b", "enterprise", line=3)]).to_table()
    with pytest.raises(InputError):
        OwnerRegister.from_table(clash)


def test_empty_register_round_trips():
    table = OwnerRegister([]).to_table()
    assert table.num_rows == 0
    assert len(OwnerRegister.from_table(table)) == 0
