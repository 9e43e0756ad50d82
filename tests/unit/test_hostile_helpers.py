"""The pure helpers behind the hostile-input fixes: text, file names, formulas, JSON depth, workbooks."""
import io
import json
import zipfile

import pandas as pd
import pytest
from marshmallow import Schema, ValidationError

from creditline import exports
from creditline.errors import PayloadTooLarge
from creditline.files.disposition import content_disposition
from creditline.files.names import clean_content_type, clean_filename, served_type
from creditline.files.tabular_limits import MAX_ERRORS_SHOWN, TableLimits, capped, check_workbook
from creditline.request_guards import json_depth_exceeds
from creditline.safe_text import strip_unsafe, text_problem
from creditline.schemas import Count, Day, Text

from ..xlsx_bomb import bomb, shared_strings_bomb, workbook


@pytest.mark.parametrize("value,multiline,fragment", [
    ("a\x00b", False, "control character (U+0000) at position 2"),
    ("a\ud800", True, "lone surrogate"),
    ("x\u202ey", True, "text-direction control (U+202E)"),
    ("one\ntwo", False, "line break"),
    ("a\x85b", True, "control character (U+0085)"),
])
def test_text_problem_names_the_character(value, multiline, fragment):
    assert fragment in text_problem(value, multiline=multiline)


@pytest.mark.parametrize("value", ["báo-cáo-nước", "Nguyễn Văn A", "مرحبا", "line one\nline two\tcol"])
def test_ordinary_text_in_any_script_passes(value):
    assert text_problem(value, multiline=True) is None


def test_strip_unsafe_drops_only_what_is_refused():
    assert strip_unsafe("a\x00b\u202ec\r\nd nước") == "abcd nước"


@pytest.mark.parametrize("raw,clean", [
    ("báo-cáo-nước.csv", "báo-cáo-nước.csv"),
    ("C:\\Users\\lan\\report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("evil\r\nSet-Cookie: x.csv", "evilSet-Cookie: x.csv"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("  ..hidden. ", "hidden"),
    ("\x00", "upload"),
    ("", "upload"),
    ("a" * 300 + ".xlsx", "a" * 195 + ".xlsx"),  # 200 characters, the extension kept
])
def test_clean_filename(raw, clean):
    assert clean_filename(raw) == clean


def test_content_disposition_has_an_ascii_fallback_and_the_exact_utf8_name():
    value = content_disposition("báo-cáo-nước.csv")
    assert value == "attachment; filename=\"bao-cao-nuoc.csv\"; filename*=UTF-8''b%C3%A1o-c%C3%A1o-n%C6%B0%E1%BB%9Bc.csv"
    value.encode("latin-1")  # a header value Werkzeug can send
    hostile = content_disposition('a"b\r\nX: y;.pdf', "inline")
    assert "\r" not in hostile and "\n" not in hostile and hostile.count('"') == 2
    assert 'filename="Nuoc thai.pdf"' in content_disposition("Nước thải.pdf")
    assert 'filename="download"' in content_disposition("報告")


@pytest.mark.parametrize("given,stored,served", [
    ("text/html", "text/html", "application/octet-stream"),
    ("image/svg+xml", "image/svg+xml", "application/octet-stream"),
    ("application/PDF; charset=x", "application/pdf", "application/pdf"),
    ("text/csv\r\nX-Evil: 1", "application/octet-stream", "application/octet-stream"),
    ("", "application/octet-stream", "application/octet-stream"),
])
def test_types_are_stored_bare_and_served_from_an_allow_list(given, stored, served):
    assert clean_content_type(given) == stored and served_type(given) == served


@pytest.mark.parametrize("value,out", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("M01", "M01"), ("", ""), (-5, -5), (None, None),
])
def test_formula_cells_are_quoted(value, out):
    assert exports.cell(value) == out


def test_frames_and_writers_quote_every_text_cell():
    table = exports.frame(pd.DataFrame({"=label": ["=1+1", "ok"], "n": [-1, 2]}))
    assert list(table.columns) == ["'=label", "n"] and table["'=label"].tolist() == ["'=1+1", "ok"]
    assert table["n"].tolist() == [-1, 2]
    out = io.StringIO()
    exports.Writer(out, lineterminator="\n").writerow(["@x", 3])
    assert out.getvalue() == "'@x,3\n"


def test_json_depth_is_measured_without_parsing():
    assert json_depth_exceeds(b"[" * 100_000 + b"]" * 100_000)
    assert json_depth_exceeds(b'{"a":' * 33 + b"1" + b"}" * 33, limit=32)
    assert not json_depth_exceeds(b'{"a":' * 32 + b"1" + b"}" * 32, limit=32)
    text_of_brackets = json.dumps({"t": "[" * 1000, "u": "a\\\"[[[[" * 100}).encode()
    assert not json_depth_exceeds(text_of_brackets)


LIMITS = TableLimits(max_rows=5000)


@pytest.mark.parametrize("data,fragment", [
    (bomb(6, dimension="A1:E1000001"), "1,000,000 rows"),
    (bomb(6), "more than 5,000 rows"),
    (bomb(64), "unpacks to 64 MB"),
    (shared_strings_bomb(64), "unpacks to 64 MB"),
    (bomb(1, dimension="A1:ZZZ2"), "18,278 columns"),
])
def test_workbook_bombs_are_refused_from_the_zip_directory_and_the_sheet_head(data, fragment):
    with pytest.raises(PayloadTooLarge) as refused:
        check_workbook(data, LIMITS, "r.xlsx")
    assert fragment in refused.value.message and refused.value.status == 413


def test_a_normal_workbook_and_a_non_zip_pass_the_check():
    check_workbook(workbook([["period"], ["M01"]], dimension="A1:A2"), LIMITS)
    check_workbook(b"not a zip", LIMITS)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>" + "<row/>" * 5001 + "</sheetData></worksheet>")
    check_workbook(buf.getvalue(), LIMITS)  # 5,000 data rows below the header: the limit itself


def test_errors_are_capped_with_the_total():
    errors = {f"row {n}: quantity": ["bad", "worse"] for n in range(2, 302)}
    shown, total = capped(errors)
    assert total == 600 and sum(len(v) for v in shown.values()) == MAX_ERRORS_SHOWN
    assert list(shown)[0] == "row 2: quantity"


class Sample(Schema):
    name = Text()
    note = Text(multiline=True, max_length=10)
    tenor = Count(lo=1, hi=360, what="months")
    paid_on = Day(past_only=True)
    planned = Day()


@pytest.mark.parametrize("body,field,fragment", [
    ({"name": "a\nb"}, "name", "line break"),
    ({"note": "x" * 11}, "note", "at most 10 characters"),
    ({"note": "a\x00"}, "note", "U+0000"),
    ({"tenor": 1_200_000}, "tenor", "from 1 to 360 months"),
    ({"paid_on": "2026-11-18"}, "paid_on", "cannot be in the future"),
    ({"planned": "9999-12-31"}, "planned", "must be on or before"),
    ({"planned": "1066-10-14"}, "planned", "on or after 1900-01-01"),
])
def test_shared_fields_refuse_out_of_bounds_values(body, field, fragment):
    with pytest.raises(ValidationError) as refused:
        Sample().load(body)
    assert fragment in refused.value.messages[field][0]


def test_shared_fields_accept_sane_values():
    loaded = Sample().load({"name": "Nhà máy", "note": "a\nb", "tenor": 360, "paid_on": "2026-11-17",
                            "planned": "2040-01-01"})
    assert loaded["tenor"] == 360 and loaded["note"] == "a\nb"
