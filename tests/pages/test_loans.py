"""Loans through the pages: terms with a tranche plan, the committee's queue, the fund's guarantee
queue, disbursement and payments until repaid; default, call, claim, recovery and write-off.

Payments cannot be dated in the future, so the loans here start 14 months ago: the proposals were
submitted a month before, and the committee enters the day it approved in the page's date input.
"""
import re
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect
from sqlalchemy import select

from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.demo import DEMO_PROPOSALS
from creditline.enterprises.models import Enterprise
from creditline.extensions import db
from creditline.guarantees import services as guarantees
from creditline.jobs.daily import run_daily
from creditline.loans import repayments, services as loans
from creditline.loans.models import Loan
from creditline.proposals.services import create_proposal, submit_proposal
from creditline.scoring.services import score_and_store

from .conftest import go_to, sign_in
from .test_phone_and_access import axe_problems
from creditline import clock

START = clock.today().replace(day=1) - relativedelta(months=14)


def actor(email: str) -> Actor:
    return Actor.of(db.session.scalar(select(User).where(User.email == email)))


def eligible(live_app, title: str) -> int:
    """Another eligible dyeing proposal of the textile SME (one loan per proposal)."""
    with live_app.app_context():
        sme = actor("owner@textile.example")
        ent = db.session.scalar(select(Enterprise).where(Enterprise.organisation_id == sme.organisation_id))
        p = create_proposal(sme, {**DEMO_PROPOSALS["owner@textile.example"][0], "title": title,
                                  "credit_line_id": 1, "enterprise_id": ent.id, "currency": "USD"})
        submit_proposal(sme, p.id, None, score_and_store, submitted_on=START - relativedelta(months=1))
        pid = p.id
        db.session.remove()
    return pid


def approve_on_start(page) -> None:
    """As the committee on the loan page: approve, entering START as the day of the decision."""
    page.get_by_test_id("decision").get_by_label("Decided on").first.fill(START.isoformat())
    page.get_by_role("button", name="Approve the loan").click()
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text("Loan approved.").wait_for()


def loan_id_of(url: str) -> int:
    return int(re.search(r"/loans/(\d+)", url).group(1))


def disburse_in_full(page, loan_url: str) -> None:
    """As the bank officer, pay out the whole USD 80,000 on the start date through the loan page."""
    sign_in(page, "officer@bank.example")
    page.goto(loan_url)
    form = page.get_by_test_id("disburse-form")
    form.get_by_label("Amount").fill("80000")
    form.get_by_label("Value date").fill(START.isoformat())
    form.get_by_role("button", name="Record the disbursement").click()
    # Money moves only after the confirmation step: the figures and the day carried from the form.
    figures = page.get_by_test_id("confirm-figures").inner_text()
    assert "Pays out\nUSD 80,000.00" in figures and "Left to disburse after\nUSD 0.00" in figures, figures
    assert page.get_by_label("Value date").input_value() == START.isoformat()
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Disbursement recorded.").wait_for()


def test_officer_proposes_committee_approves_then_disbursement_and_payment(page, live_app):
    sign_in(page, "officer@bank.example")
    page.get_by_role("link", name="Loans", exact=True).first.click()
    apps = page.get_by_test_id("applications")
    apps.get_by_role("row", name="Low liquor ratio jet dyeing machines").get_by_role("link", name="Propose terms").click()
    page.get_by_label("Annual rate").fill("10")
    page.get_by_label("Tenor (months)").fill("36")
    page.get_by_role("button", name="Propose to the credit committee").click()
    page.get_by_text("Loan terms proposed").wait_for()
    loan_url = page.url
    assert "Applied" in page.locator("h1").inner_text()
    # The officer who proposed sees no approval form.
    assert page.get_by_test_id("decision").count() == 0

    sign_in(page, "committee@bank.example")
    page.goto(loan_url)
    approve_on_start(page)

    disburse_in_full(page, loan_url)
    schedule = page.get_by_test_id("schedule")
    assert schedule.locator("tbody tr").count() == 36
    first_total = schedule.locator("tbody tr").first.locator("td").nth(5).inner_text()

    pay = page.get_by_test_id("payment-form")
    pay.get_by_label("Amount").fill(first_total.replace("USD", "").replace(",", "").strip())
    pay.get_by_label("Value date").fill((START + relativedelta(months=1)).isoformat())
    pay.get_by_role("button", name="Record the payment").click()
    page.get_by_text("Payment recorded.").wait_for()
    assert "paid" in page.get_by_test_id("schedule").locator("tbody tr").first.inner_text()
    outstanding = page.get_by_test_id("outstanding").locator("p.big").inner_text()
    assert outstanding.startswith("USD 78,"), outstanding


def test_application_to_repaid_with_a_tranche_plan_and_the_guarantee_released(page, live_app):
    pid = eligible(live_app, "Journey A jet dyeing line")
    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/new?proposal_id={pid}")
    page.get_by_label("Annual rate").fill("12")
    page.get_by_label("Tenor (months)").fill("12")
    tranches = page.get_by_test_id("tranches")
    tranches.get_by_label("Tranche 1 date").fill(START.isoformat())
    tranches.get_by_label("Tranche 1 amount").fill("50000")
    tranches.get_by_role("button", name="Add a tranche").click()
    tranches.get_by_label("Tranche 2 date").fill((START + timedelta(days=10)).isoformat())
    tranches.get_by_label("Tranche 2 amount").fill("30000.01")
    page.get_by_role("button", name="Propose to the credit committee").click()
    # One cent too much across the tranches: the form comes back with the message and the rows.
    page.get_by_text("80000.01").first.wait_for()
    assert tranches.get_by_label("Tranche 2 amount").input_value() == "30000.01"
    tranches.get_by_label("Tranche 2 amount").fill("30000")
    page.get_by_role("button", name="Propose to the credit committee").click()
    page.get_by_text("Loan terms proposed").wait_for()
    loan_url = page.url
    loan_id = loan_id_of(loan_url)
    with live_app.app_context():
        plan = db.session.get(Loan, loan_id).disbursement_plan
        db.session.remove()
    assert plan == [{"date": START.isoformat(), "amount": "50000.00"},
                    {"date": (START + timedelta(days=10)).isoformat(), "amount": "30000.00"}]

    # The committee finds it in its queue.
    sign_in(page, "committee@bank.example")
    page.get_by_role("link", name="Loan decisions", exact=True).click()
    page.get_by_test_id("decisions").get_by_role("row", name="Journey A jet dyeing line").get_by_role(
        "link", name="Decide").click()
    approve_on_start(page)

    sign_in(page, "officer@bank.example")
    page.goto(loan_url)
    page.get_by_role("button", name="Request the fund's guarantee").click()
    page.get_by_text("Guarantee requested from the fund.").wait_for()
    assert "Requested" in page.get_by_test_id("guarantee").inner_text()

    sign_in(page, "admin@fund.example")
    go_to(page, "Guarantees")
    queue = page.get_by_test_id("guarantee-requests")
    queue.get_by_role("row", name=f"L{loan_id}").get_by_role("button", name=re.compile("^Issue G")).click()
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text(re.compile(r"Guarantee G-\d+ issued")).wait_for()

    disburse_in_full(page, loan_url)
    assert "valid to" in page.get_by_test_id("guarantee").inner_text()
    pay = page.get_by_test_id("payment-form")
    pay.get_by_label("Amount").fill("80800.00")  # installment 1's interest and the whole principal
    pay.get_by_label("Value date").fill((START + relativedelta(months=1)).isoformat())
    pay.get_by_role("button", name="Record the payment").click()
    page.get_by_text("Payment recorded.").wait_for()
    assert "Repaid" in page.locator("h1").inner_text()

    with live_app.app_context():
        run_daily(clock.today(), replay=True)  # what `flask jobs run-daily` does
        db.session.remove()
    page.reload()
    assert "Released" in page.get_by_test_id("guarantee").inner_text()


def test_default_call_claim_recovery_and_write_off(page, live_app):
    pid = eligible(live_app, "Journey B jet dyeing line")
    with live_app.app_context():
        officer = actor("officer@bank.example")
        loan = loans.propose_loan(officer, {"proposal_id": pid, "principal": Decimal("80000.00"),
                                            "annual_rate": Decimal("0.12"), "tenor_months": 12,
                                            "frequency": "monthly", "method": "annuity"})
        loans.approve_loan(actor("committee@bank.example"), loan.id, on=START)
        g = guarantees.request_guarantee(officer, loan.id, {})
        guarantees.issue_guarantee(actor("admin@fund.example"), g.id)
        loans.disburse(officer, loan.id, {"amount": Decimal("80000.00"), "value_date": START})
        # Nothing paid for five months: the daily job's one-loan path defaults it.
        repayments.update_arrears(loan, START + relativedelta(months=5))
        loan_id = loan.id
        db.session.remove()

    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/{loan_id}")
    assert "Defaulted" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Call the guarantee").click()
    page.get_by_text("Guarantee called.").wait_for()
    assert "Claim USD 40,000" in page.get_by_test_id("guarantee").inner_text()

    sign_in(page, "admin@fund.example")
    page.goto(f"/loans/{loan_id}")
    page.get_by_role("button", name="Pay the claim").click()
    assert "USD 40,000" in page.get_by_test_id("confirm-figures").inner_text()
    page.get_by_label("Transfer reference").fill("FUND-TT-0042")
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text("Claim paid.").wait_for()
    assert "(FUND-TT-0042)" in page.get_by_test_id("guarantee").inner_text()

    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/{loan_id}")
    recovery = page.get_by_test_id("recovery-form")
    recovery.get_by_label("recovered amount").fill("10000.01")
    recovery.get_by_label("recovery date").fill((START + relativedelta(months=6)).isoformat())
    recovery.get_by_label("recovery reference").fill("collateral sale")
    recovery.get_by_role("button", name="Record a recovery").click()
    figures = page.get_by_test_id("confirm-figures").inner_text()
    assert "The fund's part\nUSD 5,000.01" in figures and "Loan principal after\nUSD 69,999.99" in figures, figures
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Recovery recorded.").wait_for()
    row = page.get_by_test_id("recoveries").locator("tbody tr").first.inner_text()
    assert "USD 10,000.01" in row and "USD 5,000.01" in row and "USD 5,000" in row
    assert "Recovered" in page.get_by_test_id("guarantee").inner_text()
    assert page.get_by_test_id("outstanding").locator("p.big").inner_text() == "USD 69,999.99"

    # The write-off takes four eyes: the officer proposes it, the credit committee decides. A
    # proposal with the wrong reason is withdrawn by its officer before anyone decides it.
    write_off = page.get_by_test_id("write-off-form")
    write_off.get_by_label("Reason").fill("the borrower moved abroad")
    write_off.get_by_role("button", name="Propose the write-off").click()
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Write-off proposed; the credit committee decides.").wait_for()
    page.get_by_role("button", name="Withdraw my proposal").click()
    page.get_by_text("Write-off proposal withdrawn; the loan stays defaulted.").wait_for()
    assert page.get_by_test_id("write-off-proposal").count() == 0

    write_off = page.get_by_test_id("write-off-form")
    write_off.get_by_label("Reason").fill("the enterprise is insolvent")
    write_off.get_by_role("button", name="Propose the write-off").click()
    assert "USD 69,999.99" in page.get_by_test_id("confirm-figures").inner_text()
    page.get_by_test_id("confirm-button").click()  # the confirmation step shows the figures first
    page.get_by_text("Write-off proposed; the credit committee decides.").wait_for()
    assert "Defaulted" in page.locator("h1").inner_text()
    assert "credit committee" in page.get_by_test_id("write-off-proposal").inner_text()
    assert page.get_by_test_id("write-off-form").count() == 0  # one proposal at a time

    sign_in(page, "committee@bank.example")
    page.get_by_role("link", name="Write-offs to confirm").first.click()
    page.wait_for_url("**/loans/write-offs")
    queue = page.get_by_test_id("write-off-queue")
    assert "the enterprise is insolvent" in queue.inner_text() and "USD 69,999.99" in queue.inner_text()
    queue.get_by_role("row").filter(has_text=f"L{loan_id}").get_by_role("link", name="Decide").click()
    page.wait_for_url(f"**/loans/{loan_id}")
    # Declined first (a reason is needed), then proposed again and confirmed.
    decline = page.get_by_test_id("decline-write-off-form")
    decline.get_by_role("button", name="Decline the write-off").click()
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    assert not axe_problems(page)  # the proposal's card, its two forms and the refused decline
    decline = page.get_by_test_id("decline-write-off-form")
    decline.get_by_label("Reason for declining").fill("the collateral auction is next month")
    decline.get_by_role("button", name="Decline the write-off").click()
    page.get_by_text("Write-off declined; the loan stays defaulted.").wait_for()
    assert page.get_by_test_id("write-off-proposal").count() == 0

    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/{loan_id}")
    write_off = page.get_by_test_id("write-off-form")
    write_off.get_by_label("Reason").fill("the auction found no buyer")
    write_off.get_by_role("button", name="Propose the write-off").click()
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Write-off proposed; the credit committee decides.").wait_for()

    sign_in(page, "committee@bank.example")
    page.goto(f"/loans/{loan_id}")
    page.get_by_role("button", name="Confirm the write-off").click()
    figures = page.get_by_test_id("confirm-figures").inner_text()
    assert "the auction found no buyer" in figures and "Proposed by" in figures, figures
    page.get_by_test_id("confirm-button").click()
    page.get_by_text("Loan written off.").wait_for()
    assert "Written off" in page.locator("h1").inner_text()
    assert "the auction found no buyer" in page.get_by_test_id("written-off").inner_text()
