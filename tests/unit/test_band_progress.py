"""The monitoring chart's figures (pure): monthly series, band thresholds, the distance to the next
band; and one series drawn by both renderers (Chart.js JSON for the page, SVG for the PDF)."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from creditline.monitoring.band_progress import MonthReading, band_progress, figure_text, month_label
from creditline.monitoring.progress import progress_chart
from creditline.reports.views import amounts_named, axis_labels
from creditline.monitoring.chart_spec import chart_spec
from creditline.monitoring.line_chart import fit_chart_data, svg

VN = {"scale": "steps", "basis": "loan_amount", "cap": 200000, "inclusive": False,
      "bands": [{"over": 0.50, "rate": 0.25}, {"over": 0.30, "rate": 0.15}]}


def months(*pairs: tuple[float, float]) -> list[MonthReading]:
    return [MonthReading(f"M{k + 1:02d}", date(2026, k + 1, 1), "submitted", q, o) for k, (q, o) in enumerate(pairs)]


def test_monthly_series_thresholds_and_the_next_band_in_points_quantity_and_money():
    # Baseline 20 m3/t; 12 and 13 m3/t reported, the larger month weighing more: 12.6 m3/t so far, 37% better.
    g = band_progress((8000, 400), (3600, 400), months((1200, 100), (1950, 150)), VN, Decimal("80000.00"))
    assert g["baseline"] == 20 and g["target"] == 9
    assert [(r["period"], r["month"], r["specific"]) for r in g["rows"]] == [("M01", "Jan 2026", 12), ("M02", "Feb 2026", 13)]
    assert [r["improvement"] for r in g["rows"]] == [pytest.approx(0.40), pytest.approx(0.35)]
    assert g["so_far"] == pytest.approx(0.37)
    assert [(t["label"], t["value"]) for t in g["thresholds"]] == [
        ("30.0 % band: 15.0 % grant", pytest.approx(14)), ("50.0 % band: 25.0 % grant", pytest.approx(10))]
    nb = g["next_band"]
    assert (nb["band"], nb["rate"], nb["inclusive"]) == (0.5, 0.25, False)
    assert nb["points"] == pytest.approx(13.0) and nb["cut"] == pytest.approx(2.6)
    assert nb["amount"] == Decimal("20000.00") and not g["top_reached"]


def test_the_band_amount_is_capped_and_a_result_on_an_exclusive_threshold_has_not_reached_it():
    g = band_progress((2000, 100), None, months((1400, 100)), VN, Decimal("2000000.00"))
    # Exactly 30%: "over 30%" is not reached yet, so the 30% band is next, 0 points away; 15% of 2 million is capped.
    assert g["next_band"]["band"] == 0.3 and g["next_band"]["points"] == pytest.approx(0, abs=1e-9)
    assert g["next_band"]["amount"] == Decimal("200000.00") and g["target"] is None
    inclusive = band_progress((2000, 100), None, months((1400, 100)), {**VN, "inclusive": True}, Decimal("1000"))
    assert inclusive["next_band"]["band"] == 0.5 and inclusive["next_band"]["amount"] == Decimal("250.00")


def test_top_band_reached_no_band_for_other_indicators_and_nothing_before_the_first_report():
    top = band_progress((2000, 100), None, months((800, 100)), VN, None)
    assert top["top_reached"] and top["next_band"] is None
    other = band_progress((2000, 100), None, months((800, 100)), None)
    assert other["thresholds"] == [] and other["next_band"] is None and not other["top_reached"]
    empty = band_progress((2000, 100), (1000, 100), [], VN, Decimal("1000"))
    assert empty["rows"] == [] and empty["so_far"] is None and empty["next_band"] is None


@settings(max_examples=40, deadline=None)
@given(st.floats(1, 1e6), st.floats(0.01, 1e4), st.floats(0, 1e6))
def test_the_next_band_is_the_first_unreached_and_its_cut_reaches_it(base_q, out, q):
    g = band_progress((base_q, out), None, months((q, out)), VN, Decimal("1000"))
    nb = g["next_band"]
    if nb is None:
        assert g["so_far"] > 0.5
    else:
        x = round(g["so_far"], 9)
        assert x <= nb["band"] and all(x > t["over"] for t in g["thresholds"] if t["over"] < nb["band"])
        # Cutting the average by the stated quantity lands on the band's threshold.
        assert g["rows"][0]["specific"] - nb["cut"] == pytest.approx(base_q / out * (1 - nb["band"]), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("value, text", [(13.3333, "13.33"), (12.0, "12"), (0.00123456, "0.001235"),
                                         (12345.6, "12,346"), (0, "0"), (None, ""), (float("inf"), "")])
def test_figures_read_with_four_significant_digits_and_separators(value, text):
    assert figure_text(value) == text


def test_month_labels_on_charts_read_as_people_name_months():
    assert month_label(date(2026, 1, 31)) == "Jan 2026" and month_label(date(2025, 12, 1)) == "Dec 2025"
    rows = [{"key": "2026-01", "currency": "USD"}, {"key": "undated", "currency": "USD"}]
    assert axis_labels(rows, "key", month=True) == ["Jan 2026", "undated"]
    assert amounts_named(rows, "Disbursed") == "Disbursed (USD)"
    mixed = [{"key": "2026-01", "currency": "USD"}, {"key": "2026-01", "currency": "EUR"}]
    assert axis_labels(mixed, "key", month=True) == ["Jan 2026 (USD)", "Jan 2026 (EUR)"]
    assert amounts_named(mixed, "Disbursed") == "Disbursed"


def test_one_series_two_renderers_the_page_and_the_pdf_draw_the_same_figures():
    g = band_progress((8000, 400), (3600, 400), months((1200, 100), (1950, 150)), VN, Decimal("80000"))
    chart = progress_chart("water", "m3", "t", g)
    spec = chart_spec(chart)
    assert spec["y_title"] == "m3 per t" and spec["labels"] == ["Jan 2026", "Feb 2026"]
    assert spec["series"][0]["data"] == [12, 13]
    assert [t["label"] for t in spec["thresholds"]] == ["baseline", "target (proposal)", "30.0 % band: 15.0 % grant",
                                                        "50.0 % band: 25.0 % grant"]
    picture = str(svg(chart))
    assert "reported Jan 2026: 12</title>" in picture and "reported Feb 2026: 13</title>" in picture
    assert all(f"<title>{t['label']}: " in picture for t in spec["thresholds"])

    model = {"series": {"baseline": [{"label": "B01", "actual": 100.0, "model": 98.0}],
                        "reporting": [{"label": "M01", "actual": 70.0, "adjusted": 99.0}]}}
    fit = fit_chart_data(model, "electricity", "kWh")
    assert fit is not None and fit_chart_data({"series": {}}, "electricity", "kWh") is None
    fit_spec = chart_spec(fit)
    assert [s["data"] for s in fit_spec["series"]] == [[100.0, None], [98.0, None], [None, 99.0], [None, 70.0]]
    assert fit_spec["divider"] == 1 and fit_spec["shade"] == [2, 3]
    assert "baseline, measured B01: 100</title>" in str(svg(fit)) and "adjusted baseline M01: 99</title>" in str(svg(fit))


def test_baseline_months_written_as_data_read_as_months_on_the_fit_chart():
    from creditline.monitoring.band_progress import month_text
    assert [month_text(t) for t in ("2024-07", "2024-07-01", "M01", "2024-13", "undated")] == [
        "Jul 2024", "Jul 2024", "M01", "2024-13", "undated"]
    model = {"series": {"baseline": [{"label": "2024-07", "actual": 1.0, "model": 1.0}],
                        "reporting": [{"label": "M01", "actual": 1.0, "adjusted": 1.0}]}}
    assert fit_chart_data(model, "electricity", "kWh").labels == ["Jul 2024", "M01"]


def test_the_monthly_report_chart_spaces_its_bars_by_time():
    from creditline.reports.views import every_month
    rows = [{"key": "2025-11", "currency": "USD", "disbursed": 5, "grants_paid": 0},
            {"key": "2026-02", "currency": "USD", "disbursed": 0, "grants_paid": 7},
            {"key": "undated", "currency": "USD", "disbursed": 1, "grants_paid": 0}]
    labels, values = every_month(rows, ("disbursed", "grants_paid"))
    assert labels == ["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026", "undated"]
    assert values == {"disbursed": [5, 0, 0, 0, 1], "grants_paid": [0, 0, 0, 7, 0]}
    mixed = [{**rows[0], "currency": "EUR"}, rows[1]]
    assert every_month(mixed, ("disbursed",)) == (["Nov 2025 (EUR)", "Feb 2026 (USD)"], {"disbursed": [5, 0]})
