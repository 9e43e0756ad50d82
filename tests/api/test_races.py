"""Money is never lost when people act at once: each race of the issue, on SQLite and PostgreSQL.

Threads are released together at a barrier, each with its own client and app context (its own
session). Each test shows exactly one winner (the others 409 or 422) or the right sum, and an
audit chain still in one line.
"""
from __future__ import annotations

import threading
from decimal import Decimal

from sqlalchemy import func, inspect, select

from creditline.audit.models import AuditEvent
from creditline.auth.models import User
from creditline.creditlines.models import CreditLine
from creditline.extensions import db
from creditline.grants import services as grants
from creditline.grants.models import Grant
from creditline.loans.models import Installment, Loan, Payment
from creditline.verifications.models import Verification

from .races import audit_chain_ok, race, race_calls
from .test_grant_race import proposed
from .test_guarantees import line_exposure, request
from .test_loans import active, approved, propose, proposal_id, schedule  # noqa: F401  (fixtures)
from .test_verification_chain import textile  # noqa: F401  (fixture)

D = Decimal


def clone(obj, **changes):
    """A new row with the same column values (a new id), for a second loan or grant beside the demo's."""
    columns = {c.key: getattr(obj, c.key) for c in inspect(type(obj)).column_attrs if c.key != "id"}
    return type(obj)(**{**columns, **changes})


def twin_proposal(loan: Loan, n: int) -> Loan:
    """Another site of the same enterprise with its own proposal and a loan on the same terms."""
    p = clone(loan.proposal, title=f"{loan.proposal.title} (site {n})")
    db.session.add(p)
    db.session.flush()
    twin = clone(loan, proposal_id=p.id)
    db.session.add(twin)
    db.session.flush()
    return twin


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_racing_payments_each_land_on_the_next_installment(app, client, token_for, active):  # noqa: F811
    rows = schedule(client, token_for, active)
    amount, on = rows[0]["total"], rows[3]["due_date"]
    assert {r["total"] for r in rows[:4]} == {amount}
    body = {"amount": amount, "currency": "USD", "value_date": on}
    statuses = race(app, token_for("bank_officer"), [f"/api/v1/loans/{active}/payments"] * 4, body)
    assert statuses == [201] * 4
    with app.app_context():
        received = db.session.scalar(select(func.sum(Payment.amount)).where(Payment.loan_id == active))
        assert D(str(received)) == 4 * D(amount)
        paid = db.session.scalars(select(Installment).where(Installment.loan_id == active)
                                  .order_by(Installment.number)).all()
        assert [r.status for r in paid[:5]] == ["paid"] * 4 + ["scheduled"]
        credited = sum((r.principal_paid + r.interest_paid + r.fee_paid for r in paid), D("0"))
        assert credited == 4 * D(amount)  # every cent received is on an installment
        # The balances stored on the loan counted every payment once, none overwritten by another.
        loan = db.session.get(Loan, active)
        assert loan.paid_total == 4 * D(amount) and loan.last_payment_on.isoformat() == on
        assert loan.principal_outstanding == sum((r.principal - r.principal_paid for r in paid), D("0"))
        assert loan.oldest_unpaid_due == paid[4].due_date
        db.session.remove()
    assert audit_chain_ok(app)


def test_contradictory_loan_decisions_one_wins_the_others_get_409(app, client, token_for, proposal_id):  # noqa: F811
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    committee = token_for("credit_committee")
    calls = [(f"/api/v1/loans/{loan_id}/approve", committee, {"comment": "sound"}),
             (f"/api/v1/loans/{loan_id}/decline", committee, {"reason": "too risky"}),
             (f"/api/v1/loans/{loan_id}/approve", committee, {"comment": "agreed"}),
             (f"/api/v1/loans/{loan_id}/decline", committee, {"reason": "no collateral"})]
    results = race_calls(app, calls)
    assert sorted(s for s, _ in results) == [200, 409, 409, 409]
    (winner,) = [body for s, body in results if s == 200]
    for status, body in results:
        if status == 409:
            assert body["current_state"] == winner["status"] and body["allowed"] is not None
    with app.app_context():
        loan = db.session.get(Loan, loan_id)
        assert loan.status == winner["status"]
        assert (loan.decline_reason is None) == (loan.status == "approved")
        decided = count(AuditEvent, AuditEvent.entity_id == loan_id,
                        AuditEvent.action.in_(("loan.approved", "loan.declined")))
        assert decided == 1
        db.session.remove()
    assert audit_chain_ok(app)


def test_guarantee_issues_racing_for_the_last_capacity_issue_once(app, client, token_for, approved):  # noqa: F811
    with app.app_context():
        loan = db.session.get(Loan, approved)
        loans = [approved] + [twin_proposal(loan, n).id for n in (2, 3, 4)]
        db.session.commit()
        db.session.remove()
    gids = []
    for loan_id in loans:
        res = request(client, token_for, loan_id)
        assert res.status_code == 201 and res.get_json()["covered_amount"] == "40000.00", res.get_json()
        gids.append(res.get_json()["id"])
    before = line_exposure(client, token_for)
    with app.app_context():  # 60,000 of capacity left: room for one 40,000 guarantee
        line = db.session.get(CreditLine, before["credit_line_id"])
        line.guarantee_capacity = D(before["capacity"]) - D(before["remaining_capacity"]) + D("60000.00")
        db.session.commit()
        db.session.remove()
    statuses = race(app, token_for("fund_admin"), [f"/api/v1/guarantees/{g}/issue" for g in gids], None)
    assert statuses == [200, 422, 422, 422]
    assert line_exposure(client, token_for)["remaining_capacity"] == "20000.00"
    assert audit_chain_ok(app)


def test_grant_approvals_racing_for_the_last_budget_approve_once(app, client, token_for, textile):  # noqa: F811
    v = proposed(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    with app.app_context():
        first = db.session.scalar(select(Grant).where(Grant.proposal_id == textile))
        assert first.status == "calculated" and first.amount == D("20000.00")
        loan = twin_proposal(db.session.scalar(select(Loan).where(Loan.proposal_id == textile)), 2)
        twin_v = clone(db.session.get(Verification, first.verification_id), proposal_id=loan.proposal_id)
        db.session.add(twin_v)
        db.session.flush()
        second = clone(first, proposal_id=loan.proposal_id, verification_id=twin_v.id)
        db.session.add(second)
        line = db.session.get(CreditLine, first.credit_line_id)  # 30,000 left: room for one 20,000 grant
        line.grant_budget = line.grant_budget - grants.remaining_budget(line) + D("30000.00")
        db.session.commit()
        gids, line_id = [first.id, second.id], line.id
        db.session.remove()
    statuses = race(app, token_for("fund_admin"), [f"/api/v1/grants/{g}/approve" for g in gids],
                    {"paid_as": "enterprise"})
    assert statuses == [200, 422]
    with app.app_context():
        line = db.session.get(CreditLine, line_id)
        assert grants.remaining_budget(line) == D("10000.00")
        assert count(Grant, Grant.status == "approved") == 1
        db.session.remove()
    assert audit_chain_ok(app)


def _counting_password_checks(monkeypatch) -> list[int]:
    checked: list[int] = []
    lock = threading.Lock()
    real = User.check_password

    def check(self, password):
        with lock:
            checked.append(1)
        return real(self, password)
    monkeypatch.setattr(User, "check_password", check)
    return checked


def test_parallel_guesses_check_at_most_the_limit_of_passwords(app, demo, monkeypatch):
    checked = _counting_password_checks(monkeypatch)
    email = "owner@rolling.example"
    guesses = [("/api/v1/auth/token", {}, {"email": email, "password": f"guess-{n:03d}-wrong"}) for n in range(48)]
    results = race_calls(app, guesses)
    assert {s for s, _ in results} == {401}
    assert len(checked) <= app.config["LOGIN_MAX_FAILURES"]
    assert audit_chain_ok(app)


def test_the_right_password_after_a_burst_of_wrong_ones_is_refused(app, demo, monkeypatch):
    from creditline.demo import DEMO_PASSWORD

    checked = _counting_password_checks(monkeypatch)
    email = "owner@rolling.example"
    results = race_calls(app, [("/api/v1/auth/token", {}, {"email": email, "password": f"wrong-{n:02d}-password"})
                               for n in range(29)])
    assert {s for s, _ in results} == {401}
    res = app.test_client().post("/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    assert res.status_code == 401  # the account is locked
    assert len(checked) <= app.config["LOGIN_MAX_FAILURES"]
    with app.app_context():
        assert count(AuditEvent, AuditEvent.action == "user.locked") == 1
        db.session.remove()
