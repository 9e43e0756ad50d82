"""The whole chain as people walk it, through the pages only.

A new SME (its organisation and account made by the fund's admin) registers its enterprise,
drafts a proposal, edits it twice, uploads a document and submits; the NCPC reviews it; the bank
lends in two tranches paid out on past dates with the fund's guarantee; monthly reports arrive,
one is returned and corrected; the NCPC verifies, the fund pays the grant and the SME downloads
its certificate. Nothing moves the story but the pages and the clock: the live server runs in
this process, so `clock.set_today` lets the months pass. Each step leaves a screenshot in
CREDITLINE_ARTIFACTS (default .artifacts/journey/) for a person to look at.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from creditline import clock
from creditline.extensions import db
from creditline.loans.models import Loan
from creditline.proposals.models import Proposal
from creditline.vocabulary import label as code_label

from .conftest import go_to, sign_in
from .journey_steps import Camera, confirm, draft_proposal, indicator, save_draft

SME = "owner@ricemill.example"
PASSWORD = "rice-husk-dryers-2025"
TITLE = "Rice husk dryer with rinse water reuse"
# Per tonne of output as the reports will show it: water and wastewater down by half.
PER_T = {"water": 9.5, "electricity": 150, "wastewater": 8.6}


def proposal_id(live_app) -> int:
    with live_app.app_context():
        pid = db.session.scalar(select(Proposal.id).where(Proposal.title == TITLE))
        db.session.remove()
    return pid


def fund_admin_opens_the_account(page, shot) -> None:
    sign_in(page, "admin@fund.example")
    page.goto("/admin/organisations")
    page.get_by_label("Kind", exact=True).select_option("sme")
    page.get_by_label("Name", exact=True).fill("Can Tho Rice Milling Co.")
    page.get_by_label("Country", exact=True).fill("VN")
    page.get_by_role("button", name="Create organisation").click()
    page.get_by_test_id("organisations").get_by_role("row", name="Can Tho Rice Milling Co.").wait_for()
    page.goto("/admin/users/new")
    page.get_by_label("E-mail", exact=True).fill(SME)
    page.get_by_label("Organisation").select_option(label="Can Tho Rice Milling Co. (SME)")
    page.get_by_label("Name", exact=True).fill("Tran Thi Lan")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("sme", exact=False).first.check()
    page.get_by_role("button", name="Create user").click()
    page.get_by_text(SME).first.wait_for()
    shot("fund", "sme-account-opened")


def sme_registers_and_drafts(page, shot, tmp_path: Path) -> None:
    sign_in(page, SME, PASSWORD)
    page.goto("/enterprises/new")
    for label, value in (("Legal name", "Can Tho Rice Milling Co., Ltd."), ("Tax id", "VN1800123456"),
                         ("Country", "VN"), ("Sector (ISIC Rev.4)", "C1061"), ("Employees", "120"),
                         ("Operating since", "2009-05-01"), ("Annual turnover", "5200000"),
                         ("Total assets", "3100000"), ("Domestic ownership (%)", "100")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Can Tho Rice Milling Co., Ltd. is saved.").wait_for()
    shot("sme", "enterprise-registered")

    draft_proposal(page, TITLE, "Rice husk fired dryer and rinse water loop", "Satake", months="2")
    shot("sme", "draft-saved")

    # First edit: two more streams; the dryer's fans draw more power than the old sun-drying yard.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_role("button", name="Add a stream").click()
    indicator(page, 2, "electricity", "900000", "960000")
    page.get_by_role("button", name="Add a stream").click()
    indicator(page, 3, "wastewater", "92000", "41000")
    save_draft(page)
    shot("sme", "draft-edited-streams")

    # Second edit: a figure corrected after the supplier's quote.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Annual savings").fill("26000")
    save_draft(page)
    assert "26,000" in page.content()
    shot("sme", "draft-edited-savings")

    quote = tmp_path / "supplier-quote.pdf"
    quote.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    docs = page.get_by_test_id("documents")
    docs.get_by_label("Document").select_option(index=0)
    docs.get_by_label("File").set_input_files(str(quote))
    docs.get_by_role("button", name="Upload").click()
    page.get_by_test_id("documents").get_by_role("link", name="supplier-quote.pdf").wait_for()
    shot("sme", "document-uploaded")

    page.get_by_role("button", name="Submit for scoring").click()
    page.wait_for_url("**/assessment")
    assert page.get_by_role("heading", name="Every rule, explained").is_visible()
    assert "Referred" in page.locator("h1").inner_text()
    shot("sme", "submitted-referred")


def referral_decided_and_resubmitted(page, shot, pid: int) -> None:
    sign_in(page, "verifier@ncpc.example")
    page.goto("/")
    page.get_by_role("link", name="Referrals to decide").click()
    page.get_by_test_id("referral-desk").locator("tr", has_text=TITLE).filter(
        has_text="worse indicator").get_by_role("link", name="Decide").click()
    assert "1 indicator(s) get worse" in page.get_by_test_id("referral-evidence").inner_text()
    page.get_by_label("Return to the SME to revise").check()
    page.get_by_label("How the worse indicators offset the main gain").select_option("deduct_worse")
    page.get_by_label("Why (the SME and the auditors read it)").fill(
        "Deduct the extra power; size the dryer fans so electricity does not rise")
    page.get_by_role("button", name="Record the decision").click()
    decision = page.get_by_test_id("referral-decision").inner_text()
    assert "Decision: Return" in decision and "Offset Deduct worse" in decision  # labels, not codes
    shot("ncpc", "referral-returned-with-offset")

    sign_in(page, SME, PASSWORD)
    page.goto(f"/proposals/{pid}")
    assert "size the dryer fans" in page.get_by_test_id("proposal-referrals").inner_text()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("projected quantity 2", exact=True).fill("860000")
    save_draft(page)
    page.get_by_role("button", name="Submit for scoring").click()
    page.wait_for_url("**/assessment")
    assert "Eligible" in page.locator("h1").inner_text()
    shot("sme", "resubmitted-eligible")


def ncpc_reviews(page, shot, pid: int) -> None:
    sign_in(page, "verifier@ncpc.example")
    page.goto("/proposals/reviews")
    page.get_by_role("row", name=TITLE).get_by_role("link", name="Review").click()
    page.get_by_label("Comments for the SME").fill("Site visit: the water meters agree with the stated baseline.")
    page.get_by_role("button", name="Record the review").click()
    page.wait_for_url(f"**/proposals/{pid}**")
    shot("ncpc", "technical-review")


def bank_lends(page, shot, pid: int) -> str:
    sign_in(page, "officer@bank.example")
    page.goto("/loans")
    page.get_by_test_id("applications").get_by_role("row", name=TITLE).get_by_role(
        "link", name="Propose terms").click()
    page.get_by_label("Annual rate").fill("10")
    page.get_by_label("Tenor (months)").fill("36")
    tranches = page.get_by_test_id("tranches")
    tranches.get_by_label("Tranche 1 date").fill("2025-01-20")
    tranches.get_by_label("Tranche 1 amount").fill("50000")
    tranches.get_by_role("button", name="Add a tranche").click()
    tranches.get_by_label("Tranche 2 date").fill("2025-02-17")
    tranches.get_by_label("Tranche 2 amount").fill("30000")
    page.get_by_role("button", name="Propose to the credit committee").click()
    page.get_by_text("Loan terms proposed").wait_for()
    loan_url = page.url
    shot("bank", "terms-proposed")

    sign_in(page, "committee@bank.example")
    page.get_by_role("link", name="Loan decisions", exact=True).click()
    page.get_by_test_id("decisions").get_by_role("row", name=TITLE).get_by_role("link", name="Decide").click()
    page.get_by_label("Comment").fill("Within the line's limits; two tranches as planned.")
    page.get_by_role("button", name="Approve the loan").click()
    shot("committee", "approval-to-confirm")
    confirm(page, "committee@bank.example", "USD 80,000", "2025-01-20: USD 50,000.00; 2025-02-17: USD 30,000.00")
    page.get_by_text("Loan approved.").wait_for()
    shot("committee", "loan-approved")
    return loan_url


def guarantee_issued(page, shot, loan_url: str) -> None:
    sign_in(page, "officer@bank.example")
    page.goto(loan_url)
    page.get_by_role("button", name="Request the fund's guarantee").click()
    page.get_by_text("Guarantee requested from the fund.").wait_for()
    shot("bank", "guarantee-requested")

    sign_in(page, "admin@fund.example")
    go_to(page, "Guarantees")
    # By the enterprise: "L1" would also name L10 to L19 once other page tests have lent.
    page.get_by_test_id("guarantee-requests").get_by_role("row", name="Can Tho Rice Milling").get_by_role(
        "button", name=re.compile("^Issue G")).click()
    confirm(page, "admin@fund.example", "Capacity left after issuing")
    page.get_by_text(re.compile(r"Guarantee G-\d+ issued")).wait_for()
    shot("fund", "guarantee-issued")


def disburse(page, amount: str, on: str) -> None:
    form = page.get_by_test_id("disburse-form")
    form.get_by_label(re.compile("^Amount")).fill(amount)
    form.get_by_label("Value date").fill(on)
    form.get_by_role("button", name="Record the disbursement").click()
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the tranche first
    page.get_by_text("Disbursement recorded.").wait_for()


def monthly_reports(page, shot, tmp_path: Path, pid: int) -> None:
    sign_in(page, SME, PASSWORD)
    # Lent on: the proposal's figures are final, so it offers neither Revise nor Withdraw any more.
    page.goto(f"/proposals/{pid}")
    assert "Its figures are final" in page.get_by_test_id("fixed").inner_text()
    assert page.get_by_role("button", name="Revise").count() == 0
    assert page.get_by_text("Withdraw this proposal").count() == 0
    page.goto(f"/proposals/{pid}/monitoring")
    with page.expect_download() as dl:
        page.get_by_role("link", name="CSV template").click()
    frame = pd.read_csv(dl.value.path(), dtype=str)
    frame["production_output"] = "420"
    frame["quantity"] = [f"{420 * PER_T[s]:.1f}" for s in frame["stream"]]
    # M03's water in litres by mistake: the verifier will send it back.
    frame.loc[(frame["period"] == "M03") & (frame["stream"] == "water"), "quantity"] = "3990000"
    path = tmp_path / "monitoring.csv"
    frame.to_csv(path, index=False)
    page.get_by_label("Report file").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("6 period(s) stored").wait_for()
    shot("sme", "reports-uploaded")

    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    review = page.get_by_test_id("review-M03")
    review.get_by_label("reason to return M03").fill("Water is in litres; the plan counts m3")
    review.get_by_role("button", name="Return").click()
    page.get_by_text("Report M03 returned").wait_for()
    shot("ncpc", "report-returned")

    sign_in(page, SME, PASSWORD)
    page.get_by_text("Reports returned to you").wait_for()
    page.goto(f"/proposals/{pid}/monitoring")
    assert page.get_by_test_id("return-reason").inner_text() == "Water is in litres; the plan counts m3"
    form = page.get_by_test_id("report-form")
    form.get_by_label("Period").select_option("M03")
    form.get_by_label(re.compile("^Production output")).fill("420")
    for stream, unit in (("water", "m3"), ("electricity", "kWh"), ("wastewater", "m3")):
        form.get_by_label(f"{code_label(stream)} ({unit})", exact=True).fill(f"{420 * PER_T[stream]:.1f}")
    form.get_by_role("button", name="Report").click()
    page.get_by_text("Period M03 reported.").wait_for()
    shot("sme", "report-corrected")


def ncpc_verifies(page, shot, pid: int) -> str:
    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    for k in range(1, 7):  # only accepted reports count in a verification
        page.get_by_test_id(f"review-M{k:02d}").get_by_role("button", name="Accept").click()
        page.get_by_text(f"Report M{k:02d} accepted").wait_for()
    row = page.get_by_test_id("periods").locator("tr", has_text="M03")
    assert "Accepted" in row.inner_text() and "version 2" in row.inner_text()
    shot("ncpc", "reports-accepted")
    page.get_by_role("button", name="Verify the accepted periods").click()
    page.wait_for_url("**/verifications/*")
    verification_url = page.url
    form = page.get_by_test_id("propose-form")
    form.get_by_label("Decision").select_option("verified")
    form.get_by_label("Comment").fill("Meter readings and invoices agree; M03 corrected to m3")
    form.get_by_role("button", name="Propose").click()
    page.get_by_text("Decision proposed").wait_for()
    shot("ncpc", "verification-proposed")

    sign_in(page, "senior@ncpc.example")
    page.goto(verification_url)
    page.get_by_role("button", name="Confirm the decision").click()
    confirm(page, "senior@ncpc.example", "Main improvement")
    page.get_by_text("Verification confirmed.").wait_for()
    shot("ncpc", "verification-confirmed")
    return verification_url


def fund_pays_the_grant(page, shot) -> None:
    sign_in(page, "admin@fund.example")
    page.goto("/grants")
    page.get_by_test_id("grant-queue").get_by_role("row", name=TITLE).get_by_role("button", name="Approve").click()
    page.get_by_text("approved.").wait_for()
    shot("fund", "grant-approved")
    page.goto("/grants?status=approved")
    page.get_by_test_id("grant-queue").get_by_role("row", name=TITLE).get_by_role("button", name="Pay").click()
    page.get_by_label("Payment reference").fill("SWIFT-GR-2025-10")
    confirm(page, "admin@fund.example", "Amount", "How")
    page.get_by_text("paid.").wait_for()
    shot("fund", "grant-paid")


def sme_downloads_the_certificate(page, shot) -> bytes:
    sign_in(page, SME, PASSWORD)
    page.get_by_role("link", name="Proposals", exact=True).first.click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Monitoring and verification").click()
    page.get_by_test_id("confirmed-verification").get_by_role("link", name="certificate").click()
    page.get_by_role("link", name="PDF", exact=True).wait_for()
    assert "Can Tho Rice Milling Co., Ltd." in page.content() and "USD 20,000.00</strong> (paid)" in page.content()
    shot("sme", "certificate")
    # The PDF opens inline: fetch the link's target with the SME's own session.
    pdf = page.request.get(page.get_by_role("link", name="PDF", exact=True).get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    return pdf.body()


def test_the_whole_chain_through_the_pages(page, live_app, tmp_path):
    shot = Camera(page)
    try:
        walk(page, live_app, tmp_path, shot)
    except Exception:
        shot("failed", "here")  # the page the story stopped on, for whoever reads the failure
        raise


def walk(page, live_app, tmp_path: Path, shot: Camera) -> None:
    clock.set_today(date(2025, 1, 6))
    fund_admin_opens_the_account(page, shot)
    sme_registers_and_drafts(page, shot, tmp_path)
    pid = proposal_id(live_app)

    clock.set_today(date(2025, 1, 7))
    referral_decided_and_resubmitted(page, shot, pid)

    clock.set_today(date(2025, 1, 9))
    ncpc_reviews(page, shot, pid)

    clock.set_today(date(2025, 1, 14))
    loan_url = bank_lends(page, shot, pid)
    guarantee_issued(page, shot, loan_url)

    # Both tranches are recorded after the fact, on the days the money went out.
    clock.set_today(date(2025, 3, 3))
    sign_in(page, "officer@bank.example")
    page.goto(loan_url)
    disburse(page, "50000", "2025-01-20")
    disburse(page, "30000", "2025-02-17")
    assert page.get_by_test_id("outstanding").locator("p.big").inner_text() == "USD 80,000.00"
    assert "Issued" in page.get_by_test_id("guarantee").inner_text()
    shot("bank", "both-tranches-paid-out")
    with live_app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.proposal_id == pid))
        assert [(d.value_date, d.amount) for d in loan.disbursements] == [
            (date(2025, 1, 20), 50000), (date(2025, 2, 17), 30000)]
        db.session.remove()

    sign_in(page, "verifier@ncpc.example")
    page.goto(f"/proposals/{pid}/monitoring")
    plan = page.get_by_test_id("plan-form")
    plan.get_by_label("Baseline from").fill("2024-01-01")
    plan.get_by_label("Baseline to").fill("2024-12-31")
    plan.get_by_label("First reporting month").fill("2025-04-01")
    plan.get_by_label("Reporting months").fill("6")
    plan.get_by_role("button", name="Set the plan").click()
    page.get_by_test_id("periods").wait_for()
    shot("ncpc", "monitoring-plan")

    # Six months of reports have ended (April to September).
    clock.set_today(date(2025, 10, 13))
    monthly_reports(page, shot, tmp_path, pid)
    ncpc_verifies(page, shot, pid)

    clock.set_today(date(2025, 10, 20))
    fund_pays_the_grant(page, shot)
    pdf = sme_downloads_the_certificate(page, shot)
    assert pdf.startswith(b"%PDF")
    with live_app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.proposal_id == pid))
        assert loan.status == "active" and loan.outstanding_principal < 80000
        db.session.remove()
