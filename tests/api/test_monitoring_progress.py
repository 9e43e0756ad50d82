"""Monitoring you can see: specific consumption by month against baseline, target and grant bands,
drawn by Chart.js from the JSON the page carries, whose figures are also the table under the chart."""
import html
import json
import re

from dateutil.relativedelta import relativedelta

from creditline.monitoring.band_progress import month_label

from .test_monitoring_pages import signed_in  # noqa: F401  (a fixture)
from .test_verification_chain import monthly, planned, reported, reporting_start, textile  # noqa: F401


def chart_blocks(page: str) -> dict[str, dict]:
    """Every line chart's JSON (its canvas's data-chart) of a page, by the canvas's id."""
    return {m.group(1): json.loads(html.unescape(m.group(2))) for m in
            re.finditer(r'<canvas class="line-chart" id="([^"]+)" data-chart=\'([^\']*)\'', page)}


def test_progress_shows_each_month_and_the_distance_to_the_next_band(client, token_for, signed_in, textile):  # noqa: F811
    planned(client, token_for, textile)
    # Water 12 m3/t against the baseline's 20: 40% better, over the 30% band, short of the 50% one
    # (10 m3/t), so 2 m3/t less on average (10 points more) reaches it: 25% of the USD 80,000 loan.
    reported(client, token_for, textile, monthly(water_per_t="12")[:3], accept=False)
    page = signed_in("owner@textile.example").get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert 'data-testid="progress"' in page and '<canvas class="line-chart" id="chart-m1"' in page
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/line_charts.js" in page
    sentence = " ".join(page.split('data-testid="next-band-m1"')[1].split("</p>")[0].split())
    assert "So far 40.0 % better than the baseline." in sentence
    assert "10.0 points more improvement reaches the 50.0 % band</strong> (over 50.0 %): a 25.0 % grant, USD 20,000.00" \
        in sentence and "That is 2 m3 per t less on average" in sentence

    water = chart_blocks(page)["chart-m1"]
    start = reporting_start()
    months = [month_label(start + relativedelta(months=k)) for k in range(3)]
    assert water["labels"] == months and water["titles"][0] == f"M01, {months[0]}"
    assert water["y_title"] == "m3 per t" and [s["data"] for s in water["series"]] == [[12.0, 12.0, 12.0]]
    assert [(t["label"], t["value"]) for t in water["thresholds"]][0] == ("baseline", 20.0)
    assert [(t["label"], t["value"]) for t in water["thresholds"]][-2:] == [
        ("30.0 % band: 15.0 % grant", 14.0), ("50.0 % band: 25.0 % grant", 10.0)]
    table = page.split('data-testid="progress-m1"')[1].split("</table>")[0]
    assert table.count('data-testid="month-row"') == 3 and f"<td>{months[0]}</td>" in table
    assert ">10<" in table and ">14<" in table and ">12<" in table  # the bands and the months, as charted
    # Electricity is not the main indicator: charted against its baseline and target, without bands.
    electricity = next(c for c in chart_blocks(page).values() if c["title"].startswith("electricity"))
    assert [t["label"] for t in electricity["thresholds"]][0] == "baseline"
    assert not [t for t in electricity["thresholds"] if "band" in t["label"]]
    assert "next-band-m2" not in page and "next-band-m3" not in page


def test_before_any_report_the_page_says_the_chart_starts_with_the_first(client, token_for, signed_in, textile):  # noqa: F811
    planned(client, token_for, textile)
    page = signed_in("owner@textile.example").get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert "No reported month yet: the chart starts with the first report." in page
    assert "line-chart" not in page and "line_charts.js" not in page
