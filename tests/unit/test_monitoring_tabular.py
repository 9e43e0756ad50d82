"""Reading monitoring uploads: every bad row named by row number and column, templates round-trip."""
import io
import zipfile

import pandas as pd

from creditline.monitoring.tabular import parse, template
from creditline.pdf_layout import latin1

UNITS = {"water": "m3", "electricity": "kWh"}


def csv(rows):
    return pd.DataFrame(rows).to_csv(index=False).encode()


def good_rows():
    return [{"period": p, "production_output": "420", "stream": s, "unit": u, "quantity": q}
            for p in ("M01", "M02") for (s, u), q in zip(UNITS.items(), ("3780", "58800.5"))]


def test_a_good_csv_and_the_same_xlsx_read_the_same():
    from_csv = parse(csv(good_rows()), "r.csv", UNITS)
    buf = io.BytesIO()
    pd.DataFrame(good_rows()).to_excel(buf, index=False)
    from_xlsx = parse(buf.getvalue(), "r.xlsx", UNITS)
    assert from_csv.errors == [] and from_xlsx.errors == []
    assert [i["period"] for i in from_csv.items] == ["M01", "M02"]
    assert str(from_csv.items[0]["quantities"][1]["quantity"]) == "58800.5"
    assert [(i["period"], str(i["production_output"])) for i in from_xlsx.items] == \
        [(i["period"], str(i["production_output"])) for i in from_csv.items]


def test_every_bad_row_is_reported_at_once():
    rows = good_rows()
    rows[0]["quantity"] = "-1"
    rows[1]["unit"] = "MWh"
    rows[2]["production_output"] = "0"
    rows.append({"period": "M02", "production_output": "420", "stream": "steam", "unit": "t", "quantity": "1"})
    out = parse(csv(rows), "r.csv", UNITS)
    # Exactly these: the bad quantity on row 2 does not also make "M01 has no row for water".
    assert [(e.row, e.column) for e in out.errors] == [(2, "quantity"), (3, "unit"), (4, "production_output"),
                                                       (6, "stream")]


def test_a_bad_cell_is_one_problem_not_two():
    rows = good_rows()
    rows[0]["quantity"] = "lots"
    rows[3]["unit"] = ""
    out = parse(csv(rows), "r.csv", UNITS)
    assert [(e.row, e.column) for e in out.errors] == [(2, "quantity"), (5, "unit")]
    assert "no row for" not in " ".join(e.reason for e in out.errors)


def test_periods_outside_the_plan_and_already_reported_come_with_the_row_errors():
    rows = good_rows() + [{"period": "M13", "production_output": "400", "stream": s, "unit": u, "quantity": "1"}
                          for s, u in UNITS.items()]
    rows[2]["quantity"] = "-3"  # M02 water
    out = parse(csv(rows), "r.csv", UNITS, {"M01": True, "M02": False, "M03": False})
    assert [(e.row, e.column, e.reason) for e in out.errors] == [
        (2, "period", "period M01 has already been reported"),
        (4, "quantity", "must be a number, zero or more, not '-3'"),
        (6, "period", "period 'M13' is not in the plan (periods: M01, M02, M03)")]


def test_duplicates_different_outputs_and_missing_indicators():
    rows = good_rows()
    rows[1]["production_output"] = "421"
    rows.append(dict(rows[2]))
    rows = [r for r in rows if not (r["period"] == "M02" and r["stream"] == "electricity")]
    out = parse(csv(rows), "r.csv", UNITS)
    assert [(e.row, e.column, e.reason) for e in out.errors] == [
        (3, "production_output", "period M01 has 420 on another row"),
        (5, "stream", "water for period M02 is already on row 4"),
        (5, "stream", "period M02 has no row for electricity")]


def zipped(name, content):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, content)
    return buf.getvalue()


def test_files_that_are_not_what_they_claim():
    assert "not an Excel workbook" in parse(b"period,stream\n", "r.xlsx", UNITS).errors[0].reason
    # A zip archive, but not a workbook: openpyxl's KeyError becomes the same clear problem.
    for archive in (zipped("report.csv", "period,stream\nM01,water\n"), zipped("[Content_Types].xml", "<x/>")):
        out = parse(archive, "r.xlsx", UNITS)
        assert [(e.row, e.column) for e in out.errors] == [(0, "file")] and out.items == []
        assert "r.xlsx is not an Excel workbook" in out.errors[0].reason
    assert parse(bytes(range(256)) * 4, "r.csv", UNITS).errors
    assert "missing column" in parse(b"a,b\n1,2\n", "r.csv", UNITS).errors[0].reason
    assert ".csv or .xlsx" in parse(b"x", "r.pdf", UNITS).errors[0].reason


def test_templates_round_trip_once_filled():
    for fmt in ("csv", "xlsx"):
        raw = template(["M01"], UNITS, "t", fmt)
        frame = pd.read_csv(io.BytesIO(raw), dtype=str) if fmt == "csv" else pd.read_excel(io.BytesIO(raw), dtype=str)
        frame["production_output"], frame["quantity"] = "100", "5"
        out = parse(frame.to_csv(index=False).encode(), "t.csv", UNITS)
        assert out.errors == [] and out.items[0]["period"] == "M01"


def test_certificate_text_survives_vietnamese_names():
    assert latin1("Công ty Đông Á → 25% ≥ 30%") == "Cong ty Dong A -> 25% >= 30%"
