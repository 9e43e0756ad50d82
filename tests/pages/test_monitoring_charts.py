"""The SME's monitoring page draws each indicator's months with the vendored Chart.js (baseline,
target and grant bands as labelled lines), the table under each chart holds the same figures, and
the page passes axe and fits a 390 px phone."""
from datetime import timedelta

from creditline.extensions import db
from creditline.monitoring import services as monitoring

from .conftest import sign_in
from .test_phone_and_access import PHONE, axe_problems
from .test_verification import actor, financed  # noqa: F401  (financed: a fixture)

DRAWN = "document.querySelectorAll('canvas.line-chart[data-drawn]').length === 3"
# What the first chart (water, the main indicator) holds, read from its Chart.js instance.
WATER = """() => { const c = document.querySelector('canvas.line-chart').chart;
  return {labels: c.data.labels, datasets: c.data.datasets.map(d => d.label), reported: c.data.datasets[0].data,
          y: c.options.scales.y.title.text, tick: c.options.scales.y.ticks.callback(12345.6)}; }"""


def test_monitoring_charts_match_their_tables_and_read_on_a_phone(page, live_app, financed):  # noqa: F811
    pid, _ = financed
    with live_app.app_context():
        plan = monitoring.plan_of(actor("verifier@ncpc.example"), pid)
        # Water 12 m3/t against 20: 40% better, over the 30% band, 10 points short of the 50% one.
        monitoring.submit_reports(actor("owner@textile.example"), pid, [
            {"period": q.label, "production_output": str(out), "reported_on": q.end + timedelta(days=5),
             "quantities": [{"stream": "water", "unit": "m3", "quantity": str(out * 12)},
                            {"stream": "electricity", "unit": "kWh", "quantity": str(out * 140)},
                            {"stream": "wastewater", "unit": "m3", "quantity": f"{out * 8.2:.1f}"}]}
            for q, out in zip(plan.periods[:3], (420, 410, 430))])
        db.session.remove()

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "owner@textile.example")
    page.goto(f"/proposals/{pid}/monitoring")
    page.wait_for_function(DRAWN)
    water = page.evaluate(WATER)
    assert water["datasets"] == ["reported", "baseline", "target (proposal)", "30.0 % band: 15.0 % grant",
                                 "50.0 % band: 25.0 % grant"]
    assert water["reported"] == [12, 12, 12] and water["y"] == "m3 per t" and water["tick"] == "12,346"
    table = page.get_by_test_id("progress-m1")
    rows = table.get_by_test_id("month-row")
    assert rows.count() == 3
    assert [rows.nth(k).locator("td").nth(1).inner_text() for k in range(3)] == water["labels"]
    assert [rows.nth(k).locator("td").nth(3).inner_text() for k in range(3)] == ["12", "12", "12"]
    assert table.get_by_role("row", name="50.0 % band: 25.0 % grant").locator("td").nth(3).inner_text() == "10"
    sentence = page.get_by_test_id("next-band-m1").inner_text()
    assert "10.0 points more improvement reaches the 50.0 % band" in sentence and "USD 20,000.00" in sentence
    problems = axe_problems(page)

    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_function(DRAWN)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.querySelector('canvas.line-chart').getBoundingClientRect().width") <= PHONE["width"]
    problems += axe_problems(page)
    assert not problems, "\n".join(problems)
