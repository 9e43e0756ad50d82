"""The home page tells each role what it has waiting, from the demo story's real state."""
from __future__ import annotations


import re

import pytest

from creditline.demo import DEMO_PASSWORD
from creditline.demo_story import seed_story
from creditline.extensions import db
from creditline import clock

# What each person has waiting after the story, whatever day it is played to (test_story_dates
# plays it on many): patterns searched in the text of their home page's next steps.
WAITING = {
    # After the grant the dyeing loan's installments are lower; the next one is the 17th.
    "owner@textile.example": [r"Loan \d+: next installment USD [\d,]+\.\d\d Installment 17 is due on"],
    "owner@coconut.example": [r"Loan \d+ is in arrears \d+ days past due", "Monitoring reports to send"],
    "officer@bank.example": ["Loans in arrears"],
    "committee@bank.example": ["Loan decisions waiting"],
    "admin@fund.example": ["Guarantee requests and claims", "Grants to approve and pay"],
    "senior@ncpc.example": ["Verifications to confirm"],
}


def next_steps_text(html: str) -> str:
    """The words of a home page's 'What to do next' list."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("What to do next")[-1]).split())


@pytest.fixture
def story(app, demo) -> None:
    with app.app_context():
        seed_story(clock.today())
        db.session.remove()


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
    assert "Guarantee requests and claims" in fund and "Grants to approve and pay" in fund
    assert "Verifications to confirm" in steps_of("senior@ncpc.example")


def test_an_outsider_sees_nothing_of_the_demo_line(steps_of, story, outsiders):
    text = steps_of("officer@otherbank.example", "outsider-pass")
    assert "Loans in arrears" not in text and "Loans to disburse" not in text
    # The step is always there for a committee member; the demo line's loans never count in it.
    committee = steps_of("committee@otherbank.example", "outsider-pass")
    assert "Loan decisions waiting" in committee and not re.search(r"\d+ Loan decisions waiting", committee)
