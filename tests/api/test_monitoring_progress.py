"""Monitoring you can see: specific consumption by month against baseline, target and grant bands."""
from .test_monitoring_pages import signed_in  # noqa: F401  (a fixture)
from .test_verification_chain import monthly, planned, reported, textile  # noqa: F401


def test_progress_shows_each_month_and_the_distance_to_the_next_band(client, token_for, signed_in, textile):  # noqa: F811
    planned(client, token_for, textile)
    # Water 12 m3/t against the baseline's 20: 40% better, over the 30% band, short of the 50% one
    # (10 m3/t), so 2 m3/t less on average reaches it.
    reported(client, token_for, textile, monthly(water_per_t="12")[:3], accept=False)
    page = signed_in("owner@textile.example").get(f"/proposals/{textile}/monitoring").get_data(as_text=True)
    assert 'data-testid="progress"' in page and 'class="chart line-chart"' in page
    assert "So far 40.0 % better than the baseline" in page
    assert "the 50.0 % band (25.0 % grant) needs over" in page and "2 m3/t less on average" in page
    water = page.split('data-testid="progress-water"')[1].split("</table>")[0]
    assert water.count("<td>M0") == 3 and ">10<" in water and ">14<" in water  # the 50% and 30% bands
    assert 'data-testid="progress-electricity"' in page and "next-band" not in page.split('progress-electricity')[1]
