"""Grant conditions: the rulebook's list, re-checked at approval and payment; double funding however it appears."""

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.grants.models import Grant
from creditline.loans.models import Loan
from creditline import clock

from .test_verification_chain import (_confirmed_grant, disbursed_on, financed, planned, reported,  # noqa: F401
                                      textile, verified)

INCENTIVE = {"source": "Provincial clean-technology fund", "amount": "5000.00", "date": "2026-10-01"}
ADMIN = "fund_admin"


@pytest.fixture
def calculated(client, token_for, textile, layer):
    """The dyeing proposal with a confirmed verification and its USD 20,000 grant, calculated (built once, copied back)."""
    def build() -> dict:
        planned(client, token_for, textile)
        reported(client, token_for, textile)
        v, g = _confirmed_grant(client, token_for, textile)
        assert g["status"] == "calculated" and g["amount"] == "20000.00"
        return {"p": textile, "v": v["id"], "g": g["id"]}

    return layer(f"grant-conditions-calculated-{clock.today()}", build)


def grant(client, token_for, gid):
    return client.get(f"/api/v1/grants/{gid}", headers=token_for(ADMIN)).get_json()


def approve(client, token_for, gid, paid_as="enterprise"):
    return client.post(f"/api/v1/grants/{gid}/approve", headers=token_for(ADMIN), json={"paid_as": paid_as})


def pay(client, token_for, gid):
    return client.post(f"/api/v1/grants/{gid}/pay", headers=token_for(ADMIN), json={"reference": "SWIFT-9"})


def events(app, action):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def set_loan_status(app, status):
    # The loan's own lifecycle is not under test here; only what the grant makes of it.
    with app.app_context():
        db.session.scalar(select(Loan)).status = status
        db.session.commit()


# --- other incentives declared for a financed investment (double funding) -----------------------

def test_the_sme_declares_an_incentive_and_the_calculated_grant_is_blocked(app, client, token_for, calculated):
    res = client.post(f"/api/v1/proposals/{calculated['p']}/other-incentives", headers=token_for("sme"), json=INCENTIVE)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert [(i["source"], i["amount"], i["currency"], i["date"]) for i in body["other_incentives"]] == [
        ("Provincial clean-technology fund", "5000.00", "USD", "2026-10-01")]
    reason = ("double funding: the enterprise declared another incentive for this investment "
              "(Provincial clean-technology fund, USD 5000.00 on 2026-10-01)")
    assert body["grants"] == [{"id": calculated["g"], "status": "blocked", "reason": reason}]
    g = grant(client, token_for, calculated["g"])
    assert (g["status"], g["amount"], g["reason"]) == ("blocked", "0.00", reason)
    assert approve(client, token_for, calculated["g"]).status_code == 409
    assert events(app, "proposal.other_incentive_declared") == 1 and events(app, "grant.blocked") == 1
    shown = client.get(f"/api/v1/verifications/{calculated['v']}", headers=token_for("sme")).get_json()["grant"]
    assert shown["status"] == "blocked" and shown["reason"] == reason


def test_the_fund_declares_one_after_approval_and_the_payment_is_refused(app, client, token_for, calculated):
    assert approve(client, token_for, calculated["g"]).status_code == 200
    res = client.post(f"/api/v1/proposals/{calculated['p']}/other-incentives", headers=token_for(ADMIN),
                      json={**INCENTIVE, "currency": "VND", "amount": "120000000.00"})
    assert res.status_code == 201
    assert pay(client, token_for, calculated["g"]).status_code == 409
    g = grant(client, token_for, calculated["g"])
    assert g["status"] == "blocked" and "VND 120000000.00" in g["reason"] and g["payment_reference"] is None


@pytest.mark.parametrize("body,field", [
    ({**INCENTIVE, "amount": "0"}, "amount"), ({**INCENTIVE, "amount": "-5"}, "amount"),
    ({k: v for k, v in INCENTIVE.items() if k != "source"}, "source"), ({**INCENTIVE, "date": "soon"}, "date"),
    ({**INCENTIVE, "currency": "dollars"}, "currency"),
    # Money is whole cents everywhere: a third decimal is refused, never rounded away.
    ({**INCENTIVE, "amount": "100.001"}, "amount"), ({**INCENTIVE, "amount": "1e30"}, "amount"),
])
def test_a_bad_declaration_names_the_field_and_changes_nothing(app, client, token_for, calculated, body, field):
    res = client.post(f"/api/v1/proposals/{calculated['p']}/other-incentives", headers=token_for("sme"), json=body)
    assert res.status_code == 422 and field in res.get_json()["errors"]
    assert grant(client, token_for, calculated["g"])["status"] == "calculated"
    assert events(app, "proposal.other_incentive_declared") == 0


def test_who_may_declare(client, token_for, textile, outsiders):
    path = f"/api/v1/proposals/{textile}/other-incentives"
    for role in ("verifier", "bank_officer", "auditor"):
        assert client.post(path, headers=token_for(role), json=INCENTIVE).status_code == 403
    assert client.post(path, headers=token_for("owner@rolling.example"), json=INCENTIVE).status_code == 404
    assert client.get(path, headers=token_for("owner@rolling.example")).status_code == 404
    assert client.get(path, headers=outsiders["headers"]["verifier"]).status_code == 404
    assert client.get(path, headers=token_for("sme")).get_json()["other_incentives"] == []


def test_only_a_financed_investment_takes_declarations_here(client, token_for):
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    res = client.post(f"/api/v1/proposals/{pid}/other-incentives", headers=token_for("sme"), json=INCENTIVE)
    assert res.status_code == 409 and "draft" in res.get_json()["message"]


def test_declared_before_the_verification_the_grant_is_calculated_blocked(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    assert client.post(f"/api/v1/proposals/{textile}/other-incentives", headers=token_for("sme"),
                       json=INCENTIVE).status_code == 201
    _, g = _confirmed_grant(client, token_for, textile)
    assert g["status"] == "blocked" and "Provincial clean-technology fund" in g["reason"]


def same_investment_again(app):
    """The textile SME proposes the same machines again (same title and investment): scored, lent, disbursed."""
    from creditline.auth.models import User
    from creditline.auth.permissions import Actor
    from creditline.demo import DEMO_PROPOSALS
    from creditline.enterprises.models import Enterprise
    from creditline.proposals.models import Proposal
    from creditline.proposals.services import create_proposal, submit_proposal
    from creditline.scoring.services import score_and_store
    with app.app_context():
        sme = Actor.of(db.session.scalar(select(User).where(User.email == "owner@textile.example")))
        ent = db.session.scalar(select(Enterprise).where(Enterprise.organisation_id == sme.organisation_id))
        line = db.session.scalar(select(Proposal.credit_line_id).where(Proposal.enterprise_id == ent.id))
        data = {**DEMO_PROPOSALS["owner@textile.example"][0], "credit_line_id": line, "enterprise_id": ent.id,
                "currency": "USD"}
        p = create_proposal(sme, data)
        submit_proposal(sme, p.id, None, score_and_store, submitted_on=disbursed_on() - relativedelta(months=1))
        pid = p.id
        db.session.remove()
    return pid


def test_a_grant_paid_for_the_same_investment_under_another_proposal_blocks_this_one(app, client, token_for,
                                                                                   calculated):
    assert approve(client, token_for, calculated["g"]).status_code == 200
    assert pay(client, token_for, calculated["g"]).status_code == 200
    again = same_investment_again(app)
    financed(client, token_for, again)
    planned(client, token_for, again)
    reported(client, token_for, again)
    _, g = _confirmed_grant(client, token_for, again)
    assert g["status"] == "blocked" and g["amount"] == "0.00"
    assert (f"grant {calculated['g']} (paid) was committed for proposal {calculated['p']} "
            "'Low liquor ratio jet dyeing machines', the same investment") in g["reason"]


# --- one committed grant per proposal ------------------------------------------------------------

def second_grant_row(app, gid):
    """A second calculated grant for the same proposal, as the code before the fix could leave behind."""
    from creditline.verifications.models import Verification
    with app.app_context():
        g = db.session.get(Grant, gid)
        v = db.session.get(Verification, g.verification_id)
        twin = Verification(**{c: getattr(v, c) for c in ("proposal_id", "plan_id", "status", "decision", "ipmvp_option",
                                                           "periods", "result", "evidence", "rulebook_id",
                                                           "rulebook_version", "rulebook_hash", "created_by")})
        db.session.add(twin)
        db.session.flush()
        copy = Grant(**{c: getattr(g, c) for c in ("proposal_id", "credit_line_id", "currency", "improvement", "rate",
                                                   "basis", "basis_amount", "amount", "status", "paid_as")},
                     verification_id=twin.id)
        db.session.add(copy)
        db.session.commit()
        return copy.id


def test_approval_re_checks_another_committed_grant_for_the_proposal(app, client, token_for, calculated):
    twin = second_grant_row(app, calculated["g"])
    assert approve(client, token_for, calculated["g"]).status_code == 200
    res = approve(client, token_for, twin)
    assert res.status_code == 409 and res.get_json()["current_state"] == "blocked"
    g = grant(client, token_for, twin)
    assert g["status"] == "blocked" and f"grant {calculated['g']} has already been committed" in g["reason"]
    assert pay(client, token_for, calculated["g"]).status_code == 200
    line = client.get("/api/v1/credit-lines", headers=token_for(ADMIN)).get_json()["items"][0]
    paid = [x for x in client.get("/api/v1/grants?status=paid", headers=token_for(ADMIN)).get_json()["items"]]
    assert [x["amount"] for x in paid] == ["20000.00"] and line["id"] == paid[0]["credit_line_id"]


def test_the_database_refuses_two_committed_grants_for_one_proposal(app, client, token_for, calculated):
    twin = second_grant_row(app, calculated["g"])
    with app.app_context():
        for gid in (calculated["g"], twin):
            db.session.get(Grant, gid).status = "approved"
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.get(Grant, twin).status = "superseded"  # a committed grant beside others is fine
        db.session.get(Grant, calculated["g"]).status = "paid"
        db.session.commit()


# --- the rulebook's conditions -------------------------------------------------------------------

def test_a_loan_repaid_before_approval_blocks_the_grant(app, client, token_for, calculated):
    loan = client.get("/api/v1/loans", headers=token_for("bank_officer")).get_json()["items"][0]["id"]
    set_loan_status(app, "repaid")
    res = approve(client, token_for, calculated["g"])
    assert res.status_code == 409
    reason = f"loan {loan} is repaid: a grant is due only while the loan is outstanding"
    assert reason in res.get_json()["message"]
    assert grant(client, token_for, calculated["g"])["reason"] == reason


def test_a_loan_written_off_before_payment_to_the_enterprise_blocks_it(app, client, token_for, calculated):
    assert approve(client, token_for, calculated["g"]).status_code == 200
    set_loan_status(app, "written_off")
    assert pay(client, token_for, calculated["g"]).status_code == 409
    g = grant(client, token_for, calculated["g"])
    assert g["status"] == "blocked" and "is written off" in g["reason"] and g["paid_at"] is None


@pytest.fixture
def conditions(app, monkeypatch):
    """Set the gctf-vn rulebook's ``grant_bands.conditions`` for one test."""
    from creditline.rulebooks import registry

    def set_to(names):
        with app.app_context():
            monkeypatch.setitem(registry().latest("gctf-vn").grant_bands, "conditions", names)
    return set_to


def test_a_rulebook_without_loan_outstanding_pays_after_repayment(app, client, token_for, calculated, conditions):
    conditions(["no_other_grant"])
    set_loan_status(app, "repaid")
    assert approve(client, token_for, calculated["g"]).status_code == 200
    assert pay(client, token_for, calculated["g"]).status_code == 200


def test_a_rulebook_without_no_other_grant_ignores_declarations_but_not_a_second_grant(app, client, token_for,
                                                                                       textile, conditions):
    conditions(["loan_outstanding"])
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    client.post(f"/api/v1/proposals/{textile}/other-incentives", headers=token_for("sme"), json=INCENTIVE)
    _, g = _confirmed_grant(client, token_for, textile)
    assert g["status"] == "calculated" and g["reason"] is None
    twin = second_grant_row(app, g["id"])
    assert approve(client, token_for, g["id"]).status_code == 200
    assert approve(client, token_for, twin).status_code == 409


def test_an_unknown_condition_blocks_rather_than_passes(client, token_for, textile, conditions):
    conditions(["loan_outstanding", "board_approval"])
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    _, g = _confirmed_grant(client, token_for, textile)
    assert g["status"] == "blocked"
    assert g["reason"] == "the rulebook requires 'board_approval', a grant condition this system does not know"


def test_the_ebrd_rulebook_lists_the_conditions_the_system_checks(app):
    from creditline.grants.services import CONDITIONS
    from creditline.rulebooks import registry
    with app.app_context():
        listed = registry().latest("ebrd-ee").grant_bands["conditions"]
    assert listed == ["loan_outstanding", "no_other_grant"] and set(listed) <= set(CONDITIONS)


def test_the_grants_page_shows_the_budget_to_the_fund_only(app, demo, session_for):

    from creditline.demo_story import seed_story
    with app.app_context():
        seed_story(clock.today())
        db.session.remove()
    html = session_for("fund_admin").get("/grants").get_data(as_text=True)
    # The demo line's USD 3,000,000 budget less the dyeing grant of USD 20,000 paid in the story.
    assert 'data-testid="grant-budget"' in html
    assert "USD 3,000,000" in html and "USD 20,000" in html and "USD 2,980,000" in html
    assert 'data-testid="grant-budget"' not in session_for("owner@textile.example").get("/grants").get_data(as_text=True)
