"""The home page tells each role what it has waiting, from the demo story's real state."""
from __future__ import annotations


import re

import pytest

from creditline.demo import DEMO_PASSWORD
from creditline.extensions import db

from ..conftest import OTHER_SME, ROLE_USERS

# What each person has waiting after the story, whatever day it is played to (test_story_dates
# plays it on many): patterns searched in the text of their home page's next steps.
WAITING = {
    # After the grant the dyeing loan's installments are lower; the next one is the 17th.
    "owner@textile.example": [r"Loan \d+: next installment USD [\d,]+\.\d\d Installment 17 is due on"],
    "owner@coconut.example": [r"Loan \d+ is in arrears \d+ days past due", "Monitoring reports to send"],
    "officer@bank.example": ["Loans in arrears"],
    "committee@bank.example": ["Loan decisions waiting"],
    "admin@fund.example": ["Guarantee requests to decide", "Grants to approve"],
    "senior@ncpc.example": ["Verifications to confirm"],
}


def next_steps_text(html: str) -> str:
    """The words of a home page's 'What to do next' list."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("What to do next")[-1]).split())


@pytest.fixture
def steps_of(session_for):
    """Return a function giving the text of a user's 'What to do next' list."""
    def text(email: str, password: str = DEMO_PASSWORD) -> str:
        page = session_for(email, password).get("/")
        assert page.status_code == 200
        return next_steps_text(page.get_data(as_text=True))
    return text


def test_the_sme_sees_its_next_installment(steps_of, story):
    text = steps_of("owner@textile.example")
    # After the grant the dyeing loan's installments are lower; the next one is the 17th.
    assert re.search(r"Loan \d+: next installment USD [\d,]+\.\d\d Installment 17 is due on", text), text


def test_the_sme_in_arrears_is_told_and_sees_its_reports_due(steps_of, story):
    text = steps_of("owner@coconut.example")
    assert re.search(r"Loan \d+ is in arrears \d+ days past due", text), text
    assert "Monitoring reports to send" in text


def test_the_bank_and_the_fund_see_what_waits_for_them(steps_of, story):
    assert "Loans in arrears" in steps_of("officer@bank.example")
    assert "Loan decisions waiting" in steps_of("committee@bank.example")
    fund = steps_of("admin@fund.example")
    assert "Guarantee requests to decide" in fund and "Grants to approve" in fund
    assert "Verifications to confirm" in steps_of("senior@ncpc.example")


def test_an_outsider_sees_nothing_of_the_demo_line(steps_of, story, outsiders):
    text = steps_of("officer@otherbank.example", "outsider-pass")
    assert "Loans in arrears" not in text and "Loans to disburse" not in text
    # The step is always there for a committee member; the demo line's loans never count in it.
    committee = steps_of("committee@otherbank.example", "outsider-pass")
    assert "Loan decisions waiting" in committee and not re.search(r"\d+ Loan decisions waiting", committee)


STEP = re.compile(r'<li class="card step">\s*<span class="count">(\d+)</span>\s*<div><strong><a href="([^"]+)">([^<]+)</a>')
# A step's link -> the API list that answers the same question (the page lists the same rows).
API_OF = {"/loans": "/api/v1/loans", "/guarantees": "/api/v1/guarantees", "/grants": "/api/v1/grants",
          "/verifications": "/api/v1/verifications", "/proposals": "/api/v1/proposals"}


def test_every_count_is_the_total_of_the_filtered_list_it_links_to(app, session_for, story, client, token_for):
    from urllib.parse import urlsplit

    from creditline.grants.models import Grant
    from creditline.guarantees.models import Guarantee

    # The story leaves nothing waiting on the fund: put a grant back to approved and a guarantee to called.
    with app.app_context():
        db.session.execute(db.update(Grant).where(Grant.status == "paid").values(status="approved"))
        db.session.execute(db.update(Guarantee).where(Guarantee.id == db.session.scalar(
            db.select(db.func.min(Guarantee.id)).where(Guarantee.status == "issued"))).values(status="called"))
        db.session.commit()
        db.session.remove()
    checked = []
    for role, email in ROLE_USERS.items():
        html = session_for(email).get("/").get_data(as_text=True)
        for count, href, title in STEP.findall(html):
            url = urlsplit(href.replace("&amp;", "&"))
            if url.path not in API_OF or "status=" not in url.query:
                continue
            listed = client.get(f"{API_OF[url.path]}?{url.query}", headers=token_for(email))
            assert listed.status_code == 200, (email, href)
            assert int(count) == listed.get_json()["total"], (email, title, href)
            checked.append((role, title))
    # The story leaves work of each kind waiting, so the comparison is never empty.
    assert ("bank_officer", "Loans in arrears") in checked
    assert ("fund_admin", "Grants to pay") in checked and ("fund_admin", "Guarantee claims to pay") in checked


def test_the_bank_officer_counts_the_applications_waiting_for_terms(session_for, demo):
    # Before the story the demo's dyeing proposal is eligible with no loan.
    html = session_for("officer@bank.example").get("/").get_data(as_text=True)
    counted = {title: int(n) for n, _, title in STEP.findall(html)}
    with_no_loan = session_for("officer@bank.example").get("/loans").get_data(as_text=True)
    rows = with_no_loan.split('data-testid="applications"')[1].split("</section>")[0].count("<tr>") - 1
    assert rows > 0 and counted["Applications waiting for loan terms"] == rows


def test_the_sme_is_told_whose_move_it_is_before_the_loan(session_for, demo):
    # Before the story the dyeing proposal is eligible with no loan: the bank proposes terms next.
    text = next_steps_text(session_for("owner@textile.example").get("/").get_data(as_text=True))
    assert re.search(r"Proposal P\d+ “Low liquor ratio jet dyeing machines” is eligible "
                     r"Mekong Partner Bank screens it and proposes loan terms", text), text
    # Nobody else's home names it.
    assert "Low liquor" not in next_steps_text(session_for(OTHER_SME)
                                               .get("/").get_data(as_text=True))


def test_the_sme_sees_an_approved_loan_waiting_for_its_first_tranche(session_for, story, app):
    from creditline.loans.models import Loan

    with app.app_context():
        loan = db.session.scalar(db.select(Loan).where(Loan.status.in_(("active", "disbursed"))).order_by(Loan.id))
        db.session.execute(db.update(Loan).where(Loan.id == loan.id).values(status="approved"))
        db.session.commit()
        loan_id = loan.id
        db.session.remove()
    texts = [next_steps_text(session_for(email).get("/").get_data(as_text=True))
             for email in ("owner@textile.example", "owner@coconut.example")]
    assert any(re.search(rf"Loan {loan_id} for “[^”]+”: approved \S.* pays out the first tranche", t) for t in texts), texts


def test_the_fund_admin_home_shows_each_line_as_the_dashboard_does(session_for, story, client, token_for):
    from decimal import Decimal

    html = session_for("admin@fund.example").get("/").get_data(as_text=True)
    text = next_steps_text(html)
    report = client.get("/api/v1/reports/portfolio", headers=token_for("admin@fund.example")).get_json()
    assert report["lines"]
    for line in report["lines"]:
        cur = line["currency"]
        used, cap = Decimal(line["guarantee_used"]), Decimal(line["guarantee_capacity"])
        assert line["line"] in text
        assert f"Guarantee capacity used {cur} {used:,.0f}" in text.replace(".00 ", " "), text
        assert f"of {cur} {cap:,.0f}" in text
        assert f"Grants paid {cur} {Decimal(line['grants_paid']):,.0f}" in text.replace(".00 ", " ")
    assert "In arrears over 30 days (PAR30)" in text
    # Only the fund administrator gets the cards.
    assert "Guarantee capacity used" not in next_steps_text(session_for("officer@bank.example").get("/").get_data(as_text=True))
