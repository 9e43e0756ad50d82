"""The fund admin opens the portfolio dashboard, filters it, sees the charts and downloads the Excel file,
whose figures agree with the API's. The demo story (loans, a paid grant, arrears) is served by a
server of its own, so the other page tests' data stay as they expect."""
from __future__ import annotations

import io
import re
import threading
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from werkzeug.serving import make_server

from creditline import clock
from creditline.extensions import db

from ..conftest import make_app
from .conftest import go_to, sign_in


@pytest.fixture(scope="module")
def story_server(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('reports') / 'story.db'}")
    with app.app_context():
        db.create_all()
        from creditline.demo import seed_demo
        from creditline.demo_story import seed_story
        seed_demo()
        seed_story(clock.today())
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_the_fund_admin_filters_the_dashboard_sees_charts_and_downloads_matching_excel(browser, story_server):
    context = browser.new_context(base_url=story_server, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, "admin@fund.example")
        go_to(page, "Reports")
        page.wait_for_url("**/reports")
        page.get_by_label("Sector (ISIC code or start, e.g. C13)").fill("C13")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/reports?*isic=C13*")
        # Every chart is drawn by the vendored Chart.js (no inline script, no network).
        charts = page.locator("canvas.report-chart")
        assert charts.count() == 4
        page.wait_for_function("document.querySelectorAll('canvas.report-chart[data-drawn]').length === 4")
        # Months read "Jan 2026", amounts on the axis and in the tooltips carry thousands separators.
        month = page.evaluate("""() => { const c = [...document.querySelectorAll('canvas.report-chart')].find(
            e => e.chart.options.plugins.title.text === "By month").chart;
            return {labels: c.data.labels, series: c.data.datasets.map(d => d.label),
                    tick: c.options.scales.y.ticks.callback(80000), legend: c.options.plugins.legend.position}; }""")
        assert month["labels"] and all(re.fullmatch(r"[A-Z][a-z]{2} \d{4}", label) for label in month["labels"])
        assert month["series"] == ["Disbursed (USD)", "Grants paid (USD)"]
        assert month["tick"] == "80,000" and month["legend"] == "bottom"
        shown = page.get_by_test_id("total-outstanding").inner_text()

        with page.expect_download() as info:
            page.get_by_test_id("download-xlsx").click()
        assert info.value.suggested_filename == f"portfolio-{clock.today().isoformat()}.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
        api = page.request.get("/api/v1/reports/portfolio?isic=C13").json()
    finally:
        context.close()
    (totals,) = api["totals"]
    assert totals["loans"] == 1 and api["filters"] == {"isic": "C13"}
    header = [c.value for c in book["Totals"][1]]
    row = dict(zip(header, [c.value for c in book["Totals"][2]]))
    assert row["Loans"] == totals["loans"]
    for column, key in (("Outstanding principal (USD)", "outstanding"), ("Disbursed (USD)", "disbursed"),
                        ("Grants paid (USD)", "grants_paid"), ("Guarantee capacity used (USD)", "guarantee_committed")):
        assert Decimal(str(row[column])) == Decimal(totals[key]), column
    assert f"{Decimal(totals['outstanding']):,}" in shown
    sectors = [r[0].value for r in book["By sector"].iter_rows(min_row=2)]
    assert sectors == ["ISIC C13"]


def test_the_fund_admin_checks_a_loan_tape_and_reads_its_problems_by_row(browser, story_server, tmp_path):
    # "Check only" stores nothing, so the story's figures stay as the test above expects.
    context = browser.new_context(base_url=story_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page, "admin@fund.example")
        page.goto("/reports")
        page.get_by_role("link", name="Import a loan tape").click()
        page.wait_for_url("**/reports/loan-tape/import")
        tape = page.request.get("/api/v1/reports/loan-tape?format=csv").text()
        good, bad = tmp_path / "book.csv", tmp_path / "bad.csv"
        good.write_text(tape)
        lines = tape.splitlines()
        bad.write_text("\n".join([lines[0], lines[1].replace(",USD,", ",EUR,", 1), *lines[2:]]) + "\n")
        page.get_by_label("Loan tape (.csv or .xlsx)").set_input_files(str(bad))
        page.get_by_role("button", name="Check only").click()
        problems = page.get_by_test_id("tape-problems")
        assert "1 problem(s)" in problems.get_by_role("alert").inner_text()
        cells = problems.locator("tbody tr").first.locator("td").all_inner_texts()
        assert cells == ["2", "Currency", "the credit line lends in USD, not EUR"]
        page.get_by_label("Loan tape (.csv or .xlsx)").set_input_files(str(good))
        page.get_by_role("button", name="Check only").click()
        result = page.get_by_test_id("tape-result")
        assert "The file is valid: nothing was stored" in result.inner_text()
        assert len(page.request.get("/api/v1/reports/loan-tape?format=json").json()["items"]) == len(lines) - 1
    finally:
        context.close()
