"""The verifier returns a monitoring report with a reason; the SME corrects it and sends it again;
the verifier accepts the new version, and the returned one stays in the history."""
from .conftest import sign_in
from .test_verification import financed  # noqa: F401  (fixture)


def report_m01(page, output: str) -> None:
    form = page.get_by_test_id("report-form")
    form.get_by_label("Period").select_option("M01")
    form.get_by_label("Production output").fill(output)
    for label, per_t in (("Water (m3)", 9), ("Electricity (kWh)", 140), ("Wastewater (m3)", 8.2)):
        form.get_by_label(label, exact=True).fill(f"{float(output) * per_t:.1f}")
    form.get_by_role("button", name="Report").click()
    page.get_by_text("Period M01 reported.").wait_for()


def test_return_correct_resubmit_and_accept(page, financed):  # noqa: F811
    pid, _ = financed
    sign_in(page, "owner@textile.example")
    page.goto(f"/proposals/{pid}/monitoring")
    report_m01(page, "420000")  # kilograms by mistake: the plan counts tonnes

    sign_in(page, "verifier@ncpc.example")
    # The verifier's home links the proposal's reports (other tests' proposals may wait there too).
    page.locator(f'a[href="/proposals/{pid}/monitoring"]', has_text="Reports to review").click()
    page.wait_for_url(f"**/proposals/{pid}/monitoring")
    review = page.get_by_test_id("review-M01")
    review.get_by_label("reason to return M01").fill("Output is in kg; the plan counts tonnes")
    review.get_by_role("button", name="Return").click()
    page.get_by_text("Report M01 returned").wait_for()

    sign_in(page, "owner@textile.example")
    page.get_by_text("Reports returned to you").first.wait_for()
    page.goto(f"/proposals/{pid}/monitoring")
    assert page.get_by_test_id("return-reason").inner_text() == "Output is in kg; the plan counts tonnes"
    report_m01(page, "420")

    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    page.get_by_test_id("review-M01").get_by_role("button", name="Accept").click()
    page.get_by_text("Report M01 accepted").wait_for()
    row = page.get_by_test_id("periods").locator("tr", has_text="M01")
    assert "Accepted" in row.inner_text() and "version 2" in row.inner_text()
    history = page.get_by_test_id("report-history")
    history.locator("summary").click()
    assert "Output is in kg; the plan counts tonnes" in history.inner_text()
    assert page.get_by_role("button", name="Verify the accepted periods").is_visible()
