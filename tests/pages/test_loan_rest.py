"""The loan page: a payoff while tranches are still to come is refused until the officer cancels the rest."""
from decimal import Decimal

from creditline import clock
from creditline.extensions import db
from creditline.loans import services as loans
from creditline.loans.schemas import LoanCreateSchema

from .conftest import sign_in
from .test_loans import actor, eligible


def half_disbursed(live_app, title: str) -> int:
    """A USD 80,000 loan approved and USD 50,000 of it paid out today, through the services."""
    pid = eligible(live_app, title)
    with live_app.app_context():
        terms = LoanCreateSchema().load({"proposal_id": pid, "principal": "80000.00", "annual_rate": 0.12,
                                         "tenor_months": 12, "frequency": "monthly", "method": "annuity"})
        loan_id = loans.propose_loan(actor("officer@bank.example"), terms).id
        loans.approve_loan(actor("committee@bank.example"), loan_id)
        db.session.remove()
    with live_app.app_context():
        loans.disburse(actor("officer@bank.example"), loan_id, {"amount": Decimal("50000.00"),
                                                                "value_date": clock.today()})
        db.session.remove()
    return loan_id


def pay_off(page) -> None:
    pay = page.get_by_test_id("payment-form")
    pay.get_by_label("Amount").fill("50000.00")
    pay.get_by_label("Value date").fill(clock.today().isoformat())
    pay.get_by_label("If it prepays principal").select_option("shorten")
    pay.get_by_role("button", name="Record the payment").click()


def test_officer_cancels_the_undisbursed_rest_then_pays_the_loan_off(page, live_app):
    loan_id = half_disbursed(live_app, "Journey C jet dyeing line")
    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/{loan_id}")
    assert "Disbursed" in page.locator("h1").inner_text()

    pay_off(page)
    page.get_by_text("cancel the undisbursed rest first").wait_for()
    assert "Disbursed" in page.locator("h1").inner_text()

    form = page.get_by_test_id("cancel-rest-form")
    assert "USD 30,000" in form.inner_text()
    form.get_by_label("Reason for cancelling").fill("the second dyeing line was dropped")
    form.get_by_role("button", name="Cancel the undisbursed rest").click()
    page.get_by_text("The undisbursed rest is cancelled.").wait_for()
    assert "the second dyeing line was dropped" in page.get_by_test_id("cancelled-rest").inner_text()
    assert "Active" in page.locator("h1").inner_text()
    assert page.get_by_test_id("cancel-rest-form").count() == 0
    assert page.get_by_test_id("disburse-form").count() == 0

    pay_off(page)
    page.get_by_text("Payment recorded.").wait_for()
    assert "Repaid" in page.locator("h1").inner_text()


def test_over_the_total_cover_limit_the_officer_sees_the_capped_cover_and_confirms_it(page, live_app):
    pid = eligible(live_app, "Journey D jet dyeing line")
    with live_app.app_context():
        terms = LoanCreateSchema().load({"proposal_id": pid, "principal": "80000.00", "annual_rate": 0.12,
                                         "tenor_months": 12, "frequency": "monthly", "method": "annuity"})
        loan_id = loans.propose_loan(actor("officer@bank.example"), terms).id
        loans.approve_loan(actor("committee@bank.example"), loan_id)
        db.session.remove()
    sign_in(page, "officer@bank.example")
    page.goto(f"/loans/{loan_id}")
    form = page.get_by_test_id("guarantee-request-form")
    form.get_by_label("Share other guarantors cover").fill("0.3")
    form.get_by_role("button", name="Request the fund's guarantee").click()

    offer = page.get_by_test_id("capped-cover")
    offer.wait_for()
    text = " ".join(offer.inner_text().split())
    assert "at most 70 % of the loan and other guarantors cover 30 %" in text
    assert "the fund can cover 40 %: USD 32,000.00 of USD 80,000.00" in text
    assert "No guarantee." not in page.get_by_test_id("guarantee").inner_text()
    offer.get_by_role("button", name="Confirm the capped cover").click()
    page.get_by_text("Guarantee requested from the fund.").wait_for()
    card = page.get_by_test_id("guarantee").inner_text()
    assert "40 % cover: USD 32,000" in card and "Requested" in card
