"""An uploaded table scored column by column gives exactly what the per-row path gives it.

Generated uploads (plain rows, rows with one or two bad or odd cells) are scored both ways: the
columnar path (:func:`score_frame`, its flat table written as ``flask score`` writes it, and its
per-row objects as the API answers) and the per-row path (each row a proposal dict, loaded by the
schema: :func:`score_rows`, its results flattened by :func:`result_rows` and written as before).
"""
from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditline import clock, exports
from creditline.rules import engine
from creditline.scoring.batch import score_frame, score_rows, score_table
from creditline.scoring.batch_frame import frame_check
from creditline.scoring.batch_io import _read_csv_c, _table_of, flat_to_proposal, read_frame
from creditline.scoring.batch_table import write_csv
from creditline.scoring.results import result_rows
from creditline.vocabulary import CP_OPTIONS, DOCUMENT_KINDS, STREAM_UNITS, TECHNOLOGY_READINESS

from .rule_data import book
from .test_batch_fixed_file import DATA, without_hash

BOOK = book("gctf-vn")
TODAY = date(2026, 11, 17)
STREAMS = list(STREAM_UNITS)
PARTS = ("baseline_quantity", "baseline_output", "projected_quantity", "projected_output")
COLUMNS = ["id", "title", "currency", "investment", "eligible_cost", "loan_amount", "own_contribution",
           "economic_life_years", "annual_savings", "annual_extra_operating_cost", "implementation_months",
           "output_unit", "main_indicator", "cp_options", "documents", "technology_readiness", "technology_class",
           "technology_supplier", "employees", "annual_turnover", "total_assets", "domestic_ownership_share",
           "operating_since", "isic_code", "country", "legal_name",
           *(f"{s}_{p}" for s in STREAMS[:4] for p in PARTS)]
money = st.decimals(min_value="0.01", max_value="3000000", places=2).map(str)
quantity = st.one_of(st.decimals(min_value="0.5", max_value="5000000", places=3).map(str),
                     st.integers(min_value=1, max_value=10_000_000).map(str))
# Cells that break a column in one way or another, or look odd yet are valid (the schema decides).
ODD_CELLS = [
    "", " ", "x", "-1", "0", "0.00", "-0", "1.5", " 12 ", "1e5", "1e30", "+5", "5.005", "12.", ".5", "NaN", "inf",
    "1_000", "1,000", "10.0", "99999999999999.99", "99999999999999.995", "100000000000000", "9999999999999999",
    "123456789012.3456", "\u0661\u0662", "5\u00a0", "\x1f5", "2001-02-30", "2999-01-01", "20010301", "2015-01-01",
    "yesterday", "USD", "VND", "EUR", "VN", "vn", "C1313", "pilot", "magic", "technology_change;", ";",
    "good_housekeeping;magic", "energy_audit", "=HYPERLINK(1)", "-5", "@x", "A title", "a" * 300, "tab\there",
    "line\nbreak", "electricity", "water", "coal", "0.5", "1.0001", "2", "51", "121", "5000001",
]
ODD = st.sampled_from(ODD_CELLS)


@st.composite
def plain_row(draw: Any) -> dict[str, str]:
    streams = draw(st.lists(st.sampled_from(STREAMS[:4]), min_size=1, max_size=3, unique=True))
    investment = draw(st.integers(min_value=1000, max_value=3_000_000))
    out = {c: "" for c in COLUMNS}
    out.update(
        id=draw(st.sampled_from(["", "A-1", "B 2", "7"])), title=draw(st.sampled_from(["", "Boiler", "LED retrofit"])),
        currency=draw(st.sampled_from(["", BOOK.currency])), investment=f"{investment}.00",
        loan_amount=str(draw(st.integers(min_value=1, max_value=investment))),
        eligible_cost=draw(st.one_of(st.just(""), money)), own_contribution=draw(money),
        economic_life_years=str(draw(st.integers(1, 30))), annual_savings=draw(st.one_of(st.just("0"), money)),
        annual_extra_operating_cost=draw(st.one_of(st.just(""), money)),
        implementation_months=draw(st.sampled_from(["", "0", "12"])), main_indicator=draw(st.sampled_from(streams)),
        cp_options=";".join(draw(st.lists(st.sampled_from(CP_OPTIONS), min_size=1, max_size=3))),
        documents=";".join(draw(st.lists(st.sampled_from(list(DOCUMENT_KINDS)), max_size=3))),
        technology_readiness=draw(st.sampled_from(["", *TECHNOLOGY_READINESS])),
        technology_class=draw(st.sampled_from(["", "boiler_economiser"])),
        employees=draw(st.sampled_from(["", "12", "250"])), annual_turnover=draw(st.one_of(st.just(""), money)),
        total_assets=draw(st.one_of(st.just(""), money)), domestic_ownership_share=draw(st.sampled_from(["", "0.4", "1"])),
        operating_since=draw(st.sampled_from(["", "2015-01-01", "2026-06-30"])),
        isic_code=draw(st.sampled_from(["", "1313", "C2011"])), country=draw(st.sampled_from(["", "VN"])),
    )
    for s in streams:
        out.update({f"{s}_{p}": draw(quantity) for p in PARTS})
        out[f"{s}_projected_quantity"] = draw(st.one_of(st.just("0"), quantity))
    return out


@st.composite
def upload_row(draw: Any) -> dict[str, str]:
    out = draw(plain_row())
    for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=2)):
        out[column] = draw(ODD)
    return out


def per_row_csv(frame: pa.Table) -> tuple[str, dict[str, Any]]:
    """The per-row path as ``flask score`` ran it before the columnar path."""
    out = score_rows(BOOK, [flat_to_proposal(r) for r in frame.to_pylist()])
    table = pd.DataFrame(result_rows(out["results"], out["errors"]))
    for col in [c for c in table.columns if c.startswith("score_")]:
        table[col] = table[col].astype("Int64")
    text = io.StringIO()
    exports.frame(table).to_csv(text, index=False)
    return text.getvalue(), out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=st.lists(upload_row(), min_size=1, max_size=6), drop=st.sets(st.sampled_from(COLUMNS), max_size=3))
def test_the_columnar_path_gives_what_the_per_row_path_gives(rows, drop):
    upload = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in drop]).to_csv(index=False).encode()
    with clock.today_is(TODAY):
        frame = read_frame(upload)
        want_csv, want = per_row_csv(frame)
        table = score_frame(BOOK, frame, table=True)
        objects = score_frame(BOOK, frame)
    got_csv = io.StringIO()
    write_csv(table["table"], got_csv)
    assert got_csv.getvalue() == want_csv
    assert (table["scored"], table["rejected"], table["errors"]) == (want["scored"], want["rejected"], want["errors"])
    assert engine.to_json(objects) == engine.to_json(want)


def both_paths_agree(rows: list[dict[str, str]]) -> None:
    upload = pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False).encode()
    with clock.today_is(TODAY):
        frame = read_frame(upload)
        want_csv, want = per_row_csv(frame)
        table = score_frame(BOOK, frame, table=True)
    got_csv = io.StringIO()
    write_csv(table["table"], got_csv)
    assert got_csv.getvalue() == want_csv
    assert table["errors"] == want["errors"]


def test_every_odd_cell_in_every_column_is_judged_as_the_per_row_path_judges_it():
    # Exhaustive over one bad cell at a time (the property above mixes them at random).
    base = {**{c: "" for c in COLUMNS}, "investment": "1000.00", "loan_amount": "900", "economic_life_years": "10",
            "annual_savings": "300.5", "cp_options": "technology_change", "main_indicator": "electricity",
            "currency": BOOK.currency, **{f"electricity_{p}": "100" for p in PARTS}}
    both_paths_agree([{**base, column: cell} for column in COLUMNS for cell in ODD_CELLS if "\n" not in cell])


def test_plain_rows_are_checked_as_columns_and_odd_ones_by_the_schema():
    # Without the column checks every row would go through the schema (and the test above could
    # not tell the two paths apart): plain rows must be accepted here, odd ones left to the schema.
    plain = {"investment": "1000.00", "loan_amount": "900", "economic_life_years": "10", "annual_savings": "300.5",
             "cp_options": "technology_change", "main_indicator": "electricity",
             **{f"electricity_{p}": "100" for p in PARTS}}
    rows = [plain, {**plain, "investment": " 1000"}, {**plain, "employees": "10.0"}, {**plain, "loan_amount": "1000.01"},
            {**plain, "title": "Boiler\u200e"}, {**plain, "water_baseline_output": "5"}]
    with clock.today_is(TODAY):
        fast = frame_check(BOOK, read_frame(pd.DataFrame(rows).to_csv(index=False).encode()))
    assert fast.ok.tolist() == [True, False, False, False, False, False]


@pytest.mark.parametrize("data", [
    b'title,investment\n"two\nlines",5\nshort\n',  # a line break in a cell, a short row: Arrow refuses
    b"\xef\xbb\xbftitle,investment\r\n A ,NA\r\n\r\n  ,\r\n",  # a byte-order mark, CRLF, a blank line
    b'"title","investment","title"\n"x,y","1"\n',  # a repeated column (the C reader names it title.1)
    b"title,,investment\nA,B,5\n",  # a column without a name
    b"title,investment\rBoiler,5\rLED,7\r",  # old Mac line ends (the header's check once raised csv.Error: a 500)
])
def test_the_arrow_reader_reads_the_cells_the_c_reader_reads(data):
    fast, (_, before) = read_frame(data), _table_of(_read_csv_c(data, None))
    assert fast.column_names == before.column_names
    assert fast.to_pylist() == before.to_pylist()


def test_the_fixed_csv_scores_column_by_column_as_main_scored_it():
    with clock.today_is(TODAY):
        out = score_frame(BOOK, read_frame((DATA / "batch_fixed.csv").read_bytes()))
    expected = json.loads((DATA / "batch_fixed.expected.json").read_text())
    assert without_hash(json.loads(json.dumps(engine.to_json(out)))) == expected


def test_negative_money_is_written_as_a_number_and_text_that_could_run_is_quoted():
    # Savings far below the investment: a negative NPV, which exports.cell must leave a number.
    row = {**{c: "" for c in COLUMNS}, "title": "=HYPERLINK(1)", "investment": "100000.00", "loan_amount": "900",
           "economic_life_years": "5", "annual_savings": "10", "cp_options": "technology_change",
           "main_indicator": "electricity", "currency": BOOK.currency, **{f"electricity_{p}": "100" for p in PARTS}}
    upload = pd.DataFrame([row], columns=COLUMNS).to_csv(index=False).encode()
    with clock.today_is(TODAY):
        frame = read_frame(upload)
        per_row, _ = per_row_csv(frame)
        table = score_frame(BOOK, frame, table=True)
    columnar = io.StringIO()
    write_csv(table["table"], columnar)
    for text in (per_row, columnar.getvalue()):
        got = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).iloc[0]
        assert got["npv"].startswith("-") and float(got["npv"]) < 0
        assert got["title"] == "'=HYPERLINK(1)"


def test_an_upload_s_other_columns_are_not_read():
    data = b"title,notes,investment,internal ref\nBoiler,call back,5,x\n"
    assert read_frame(data).column_names == ["title", "investment"]
    # A file with none of the proposal's columns still has its rows: each is refused by the schema.
    with clock.today_is(TODAY):
        out = score_frame(BOOK, read_frame(b"notes\nx\ny\n"))
    assert out["scored"] == 0 and [e["row"] for e in out["errors"]] == [1, 2]
    assert "investment" in out["errors"][0]["errors"]


def test_flask_score_s_blocks_write_the_file_scored_in_one_pass():
    good = {**{c: "" for c in COLUMNS}, "title": "Boiler, new", "investment": "1000.00", "loan_amount": "900",
            "economic_life_years": "10", "annual_savings": "300.5", "cp_options": "technology_change",
            "main_indicator": "electricity", **{f"electricity_{p}": "100" for p in PARTS}}
    rows = [good, {**good, "employees": "0"}, {**good, "title": "=SUM(A1)"}, good, {**good, "investment": "x"}]
    upload = pd.DataFrame(rows, columns=COLUMNS).to_csv(index=False).encode()
    with clock.today_is(TODAY):
        table = read_frame(upload)
        whole = score_frame(BOOK, table, table=True)
        blocks = score_table(BOOK, table, 2)
    one, two = io.BytesIO(), io.BytesIO()
    write_csv(whole["table"], one)
    write_csv(blocks["table"], two)
    assert blocks["table"].column("row").num_chunks == 3
    assert two.getvalue() == one.getvalue()
    assert (blocks["scored"], blocks["errors"]) == (3, whole["errors"]) and [e["row"] for e in blocks["errors"]] == [2, 5]
