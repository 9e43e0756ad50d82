"""Writing a loan off takes four eyes: the bank's officer proposes, another member of the credit
committee confirms or declines; the loan stays defaulted, and serviced, until then."""
from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from creditline.audit.models import AuditEvent
from creditline.auth.models import User
from creditline.auth.services import create_user
from creditline.extensions import db
from creditline.loans.models import Loan

from .races import audit_chain_ok, race_calls
from .test_guarantees import default, disbursed
from .test_loans import START, approved, counts, pay, proposal_id  # noqa: F401  (fixtures and helpers)


def url(loan_id: int, step: str = "") -> str:
    return f"/api/v1/loans/{loan_id}/write-off" + (f"/{step}" if step else "")


def defaulted(app, client, token_for, loan_id: int) -> None:
    disbursed(client, token_for, loan_id)
    assert default(app, loan_id) == "defaulted"


def colleague(app, email: str, *roles: str) -> None:
    """Another person of the demo bank, with these roles."""
    with app.app_context():
        bank = db.session.scalar(select(User).where(User.email == "officer@bank.example")).organisation_id
        create_user(None, email=email, name=email.split("@")[0].title(), password="colleague-pass",
                    organisation_id=bank, roles=list(roles))
        db.session.commit()
        db.session.remove()


def user_id(app, email: str) -> int:
    with app.app_context():
        uid = db.session.scalar(select(User.id).where(User.email == email))
        db.session.remove()
    return uid


def inbox(client, headers) -> dict[str, dict]:
    items = client.get("/api/v1/notifications?per_page=100", headers=headers).get_json()["items"]
    return {n["kind"]: n for n in items}


def loan_actions(app, loan_id: int) -> list[str]:
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "loan",
                                                                     AuditEvent.entity_id == loan_id)
                                     .order_by(AuditEvent.seq)).all()
        db.session.remove()
    return list(actions)


def test_the_officer_proposes_the_committee_declines_then_confirms(app, client, token_for, approved):  # noqa: F811
    officer, committee = token_for("bank_officer"), token_for("credit_committee")
    defaulted(app, client, token_for, approved)
    assert client.post(url(approved, "confirm"), headers=committee).status_code == 409  # nothing proposed yet

    res = client.post(url(approved), headers=officer, json={"reason": "the enterprise closed its dye house"})
    loan = res.get_json()
    assert res.status_code == 200 and loan["status"] == "defaulted"
    assert (loan["write_off_proposed_by"], loan["write_off_reason"]) == (
        user_id(app, "officer@bank.example"), "the enterprise closed its dye house")
    assert loan["written_off_by"] is None and loan["write_off_proposed_at"]
    again = client.post(url(approved), headers=officer, json={"reason": "closed"})
    assert again.status_code == 409 and "already proposed" in again.get_json()["message"]
    assert inbox(client, committee)["write_off_to_confirm"]["resolved_at"] is None

    # A decline needs its reason and, refused, changes nothing.
    before = counts(app)
    assert client.post(url(approved, "decline"), headers=committee, json={}).status_code == 422
    assert client.post(url(approved, "decline"), headers=officer, json={"reason": "not now"}).status_code == 403
    assert counts(app) == before
    res = client.post(url(approved, "decline"), headers=committee, json={"reason": "the mill is being sold"})
    loan = res.get_json()
    assert res.status_code == 200 and loan["status"] == "defaulted"
    assert (loan["write_off_proposed_by"], loan["write_off_reason"]) == (None, None)
    told = inbox(client, officer)["write_off_declined"]
    assert "the mill is being sold" in told["body"] and told["url"] == f"/loans/{approved}"
    assert inbox(client, committee)["write_off_to_confirm"]["resolved_at"] is not None  # nothing waits now

    # Payments go on while the loan is defaulted; the officer proposes again, the committee confirms.
    assert pay(client, token_for, approved, "500.00", START + relativedelta(months=6)).status_code == 201
    assert client.post(url(approved), headers=officer, json={"reason": "the sale fell through"}).status_code == 200
    res = client.post(url(approved, "confirm"), headers=committee)
    loan = res.get_json()
    assert res.status_code == 200 and (loan["status"], loan["allowed_transitions"]) == ("written_off", [])
    assert (loan["write_off_proposed_by"], loan["written_off_by"], loan["write_off_reason"]) == (
        user_id(app, "officer@bank.example"), user_id(app, "committee@bank.example"), "the sale fell through")
    assert "written_off" in inbox(client, officer)
    assert client.post(url(approved, "confirm"), headers=committee).status_code == 409  # once
    assert loan_actions(app, approved)[-5:] == ["loan.write_off_proposed", "loan.write_off_declined", "loan.payment",
                                                 "loan.write_off_proposed", "loan.written_off"]
    assert audit_chain_ok(app)


def test_the_proposer_may_not_decide_their_own_write_off(app, client, token_for, approved):  # noqa: F811
    # One person may hold both roles at a small bank; the four-eyes rule still holds for them.
    colleague(app, "both@bank.example", "bank_officer", "credit_committee")
    both = token_for("both@bank.example")
    defaulted(app, client, token_for, approved)
    assert client.post(url(approved), headers=both, json={"reason": "insolvent"}).status_code == 200
    assert "write_off_to_confirm" not in inbox(client, both)  # not asked to confirm their own
    for step, body in (("confirm", None), ("decline", {"reason": "second thoughts"})):
        res = client.post(url(approved, step), headers=both, json=body)
        assert res.status_code == 403 and res.get_json()["code"] == "four_eyes", res.get_json()
    res = client.post(url(approved, "confirm"), headers=token_for("credit_committee"))
    assert res.status_code == 200 and res.get_json()["written_off_by"] == user_id(app, "committee@bank.example")


def test_other_banks_and_roles_cannot_write_a_loan_off(app, client, token_for, outsiders, approved):  # noqa: F811
    defaulted(app, client, token_for, approved)
    sme, fund = token_for("sme"), token_for("fund_admin")  # signing in is audited: before the counts
    before = counts(app)
    assert client.post(url(approved), headers=outsiders["headers"]["bank_officer"],
                       json={"reason": "insolvent"}).status_code == 404
    assert client.post(url(approved), headers=sme, json={"reason": "insolvent"}).status_code in (403, 404)
    assert client.post(url(approved), headers=token_for("credit_committee"),
                       json={"reason": "insolvent"}).status_code == 403  # the committee does not propose
    assert counts(app) == before
    assert client.post(url(approved), headers=token_for("bank_officer"), json={"reason": "insolvent"}).status_code == 200
    assert client.post(url(approved, "confirm"), headers=outsiders["headers"]["credit_committee"]).status_code == 404
    assert client.post(url(approved, "confirm"), headers=fund).status_code == 403
    with app.app_context():
        assert db.session.get(Loan, approved).status == "defaulted"
        db.session.remove()


def test_committee_members_deciding_at_once_decide_once(app, client, token_for, approved):  # noqa: F811
    colleague(app, "second@bank.example", "credit_committee")
    defaulted(app, client, token_for, approved)
    assert client.post(url(approved), headers=token_for("bank_officer"), json={"reason": "insolvent"}).status_code == 200
    first, second = token_for("credit_committee"), token_for("second@bank.example")
    results = race_calls(app, [(url(approved, "confirm"), first, None),
                               (url(approved, "decline"), second, {"reason": "wait for the auction"}),
                               (url(approved, "confirm"), second, None),
                               (url(approved, "decline"), first, {"reason": "not yet"})])
    assert sorted(s for s, _ in results) == [200, 409, 409, 409]
    (winner,) = [body for s, body in results if s == 200]
    with app.app_context():
        loan = db.session.get(Loan, approved)
        assert loan.status == winner["status"] and loan.status in ("written_off", "defaulted")
        assert (loan.written_off_by is not None) == (loan.status == "written_off")
        db.session.remove()
    decided = [a for a in loan_actions(app, approved) if a in ("loan.written_off", "loan.write_off_declined")]
    assert len(decided) == 1
    assert audit_chain_ok(app)


def test_officers_proposing_at_once_propose_once(app, client, token_for, approved):  # noqa: F811
    colleague(app, "officer2@bank.example", "bank_officer")
    defaulted(app, client, token_for, approved)
    results = race_calls(app, [(url(approved), token_for("bank_officer"), {"reason": "insolvent"}),
                               (url(approved), token_for("officer2@bank.example"), {"reason": "closed down"})])
    assert sorted(s for s, _ in results) == [200, 409]
    (winner,) = [body for s, body in results if s == 200]
    with app.app_context():
        loan = db.session.get(Loan, approved)
        assert (loan.write_off_proposed_by, loan.write_off_reason) == (winner["write_off_proposed_by"],
                                                                        winner["write_off_reason"])
        db.session.remove()
    assert loan_actions(app, approved).count("loan.write_off_proposed") == 1
    assert audit_chain_ok(app)


def test_the_proposer_withdraws_a_wrong_proposal(app, client, token_for, approved):  # noqa: F811
    colleague(app, "officer2@bank.example", "bank_officer")
    officer, committee = token_for("bank_officer"), token_for("credit_committee")
    other = token_for("officer2@bank.example")
    defaulted(app, client, token_for, approved)
    assert client.post(url(approved, "withdraw"), headers=officer).status_code == 409  # nothing to withdraw
    assert client.post(url(approved), headers=officer, json={"reason": "wrong loan: meant L2"}).status_code == 200
    before = counts(app)
    res = client.post(url(approved, "withdraw"), headers=other)
    assert res.status_code == 422 and "only the officer who proposed" in res.get_json()["message"]
    assert client.post(url(approved, "withdraw"), headers=committee).status_code == 403
    assert counts(app) == before
    res = client.post(url(approved, "withdraw"), headers=officer)
    loan = res.get_json()
    assert res.status_code == 200 and loan["status"] == "defaulted"
    assert (loan["write_off_proposed_by"], loan["write_off_proposed_at"], loan["write_off_reason"]) == (None, None, None)
    assert inbox(client, committee)["write_off_to_confirm"]["resolved_at"] is not None  # nothing waits now
    assert client.post(url(approved, "confirm"), headers=committee).status_code == 409
    assert client.post(url(approved), headers=officer, json={"reason": "the enterprise closed"}).status_code == 200
    assert loan_actions(app, approved)[-3:] == ["loan.write_off_proposed", "loan.write_off_withdrawn",
                                                "loan.write_off_proposed"]


def test_a_withdrawal_and_a_confirmation_at_once_one_wins(app, client, token_for, approved):  # noqa: F811
    defaulted(app, client, token_for, approved)
    assert client.post(url(approved), headers=token_for("bank_officer"), json={"reason": "insolvent"}).status_code == 200
    results = race_calls(app, [(url(approved, "withdraw"), token_for("bank_officer"), None),
                               (url(approved, "confirm"), token_for("credit_committee"), None)])
    assert sorted(s for s, _ in results) == [200, 409]
    with app.app_context():
        loan = db.session.get(Loan, approved)
        withdrawn = results[0][0] == 200
        assert loan.status == ("defaulted" if withdrawn else "written_off")
        assert (loan.write_off_proposed_by is None) == withdrawn
        db.session.remove()
    assert audit_chain_ok(app)
