"""The home page tells each role what it has waiting, from the demo story's real state."""
from __future__ import annotations

from datetime import date

import re

import pytest

from creditline.demo import DEMO_PASSWORD
from creditline.demo_story import seed_story
from creditline.extensions import db


@pytest.fixture
def story(app, demo) -> None:
    with app.app_context():
        seed_story(date.today())
        db.session.remove()


def home_of(client, email: str, password: str = DEMO_PASSWORD) -> str:
    res = client.post("/login", data={"email": email, "password": password})
    assert res.status_code == 302, res.data
    page = client.get("/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def steps_text(client, email: str, password: str = DEMO_PASSWORD) -> str:
    html = home_of(client.application.test_client(), email, password)
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("What to do next")[-1]).split())


def test_the_sme_sees_its_next_installment(client, story):
    text = steps_text(client, "owner@textile.example")
    # After the grant the dyeing loan's installments are lower; the next one is the 17th.
    assert re.search(r"Loan \d+: next installment USD [\d,]+\.\d\d Installment 17 is due on", text), text


def test_the_sme_in_arrears_is_told_and_sees_its_reports_due(client, story):
    text = steps_text(client, "owner@coconut.example")
    assert re.search(r"Loan \d+ is in arrears \d+ days past due", text), text
    assert "Monitoring reports to send" in text


def test_the_bank_and_the_fund_see_what_waits_for_them(client, story):
    assert "Loans in arrears" in steps_text(client, "officer@bank.example")
    assert "Loan decisions waiting" in steps_text(client, "committee@bank.example")
    fund = steps_text(client, "admin@fund.example")
    assert "Guarantee requests and claims" in fund and "Grants to approve and pay" in fund
    assert "Verifications to confirm" in steps_text(client, "senior@ncpc.example")


def test_an_outsider_sees_nothing_of_the_demo_line(client, story, outsiders):
    text = steps_text(client, "officer@otherbank.example", "outsider-pass")
    assert "Loans in arrears" not in text and "Loans to disburse" not in text
    # The step is always there for a committee member; the demo line's loans never count in it.
    committee = steps_text(client, "committee@otherbank.example", "outsider-pass")
    assert "Loan decisions waiting" in committee and not re.search(r"\d+ Loan decisions waiting", committee)
