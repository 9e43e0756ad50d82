"""From monitoring plan to paid grant through the API: four eyes, sufficiency, exactly once."""
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from creditline.extensions import db
from creditline.grants.models import Grant
from creditline.monitoring.models import MonitoringReport
from creditline import clock



def disbursed_on() -> date:
    """The test loans are paid out 16 months before this month: start-up 6 months later, then the
    rulebook's 3 months, so all six reporting months have ended by today (reports are only of ended periods)."""
    return clock.today().replace(day=1) - relativedelta(months=16)


# The year before the money; no reporting_start: reporting starts after start-up (see test_plan_defaults_...).
PLAN = {"baseline_start": (disbursed_on() - relativedelta(months=12)).isoformat(),
        "baseline_end": (disbursed_on() - timedelta(days=1)).isoformat(), "reporting_periods": 6, "ipmvp_option": "B"}


def monthly(water_per_t="9", kwh_per_t="140", outputs=(420, 410, 430, 425, 415, 405)):
    """Six months of the dyeing house after the new machines: water 9 m3/t (was 20), power 140 kWh/t
    (was 180), wastewater 8.2 m3/t (was 18.4)."""
    return [{"period": f"M{k + 1:02d}", "production_output": str(out),
             "quantities": [{"stream": "water", "unit": "m3", "quantity": str(out * float(water_per_t))},
                            {"stream": "electricity", "unit": "kWh", "quantity": str(out * float(kwh_per_t))},
                            {"stream": "wastewater", "unit": "m3", "quantity": f"{out * 8.2:.1f}"}]}
            for k, out in enumerate(outputs)]


def reporting_start() -> date:
    """Where the demo dyeing plan starts by default: six implementation months after the
    disbursement to start-up, then gctf-vn's first follow-up month (3)."""
    return disbursed_on() + relativedelta(months=6 + 3)


def financed(client, token_for, pid):
    """Lend USD 80,000 over three years on the proposal: propose, approve (four eyes), disburse, on their days."""
    res = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "80000.00", "annual_rate": 0.10, "tenor_months": 36,
        "frequency": "monthly", "method": "annuity"})
    assert res.status_code == 201, res.get_json()
    loan = res.get_json()["id"]
    approved_on = (disbursed_on() - timedelta(days=14)).isoformat()
    assert client.post(f"/api/v1/loans/{loan}/approve", headers=token_for("credit_committee"),
                       json={"decided_on": approved_on}).status_code == 200
    res = client.post(f"/api/v1/loans/{loan}/disburse", headers=token_for("bank_officer"),
                      json={"amount": "80000.00", "value_date": disbursed_on().isoformat()})
    assert res.status_code == 201, res.get_json()
    return loan


@pytest.fixture
def textile(client, token_for, layer):
    """The demo's eligible dyeing proposal, financed by an active loan.

    Some sixty tests start here: the loan's four API calls are made once per day and copied back after.
    """
    def build() -> int:
        items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
        pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
        financed(client, token_for, pid)
        return pid

    return layer(f"textile-financed-{clock.today()}", build)


def planned(client, token_for, pid):
    res = client.post(f"/api/v1/proposals/{pid}/monitoring-plan", headers=token_for("verifier"), json=PLAN)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def reported(client, token_for, pid, reports=None, accept=True):
    """The SME reports the periods; the NCPC accepts each one (only accepted reports count)."""
    res = client.post(f"/api/v1/proposals/{pid}/monitoring-reports", headers=token_for("sme"),
                      json={"reports": reports or monthly()})
    assert res.status_code == 201, res.get_json()
    out = res.get_json()
    if accept:
        for r in out:
            ok = client.post(f"/api/v1/monitoring-reports/{r['id']}/accept", headers=token_for("verifier"), json={})
            assert ok.status_code == 200, ok.get_json()
    return out


def verified(client, token_for, pid, **body):
    res = client.post(f"/api/v1/proposals/{pid}/verifications", headers=token_for("verifier"), json=body)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def test_plan_defaults_to_monthly_periods_from_the_rulebook(client, token_for, textile):
    plan = planned(client, token_for, textile)
    assert [p["label"] for p in plan["periods"]] == ["M01", "M02", "M03", "M04", "M05", "M06"]
    start = reporting_start()
    end = start + relativedelta(months=1) - timedelta(days=1)
    assert plan["periods"][0] == {"label": "M01", "start": start.isoformat(), "end": end.isoformat(),
                                  "due_date": (end + timedelta(days=15)).isoformat(), "reported": False,
                                  "report_status": None}
    assert {i["stream"] for i in plan["indicators"]} == {"water", "electricity", "wastewater"}
    assert client.post(f"/api/v1/proposals/{textile}/monitoring-plan", headers=token_for("sme"), json=PLAN).status_code == 403


@pytest.mark.parametrize("mutate,field,fragment", [
    (lambda r: r[0].update(period="M13"), "reports.0.period", "not in the plan"),
    (lambda r: r[1].update(period="M01"), "reports.1.period", "already been reported"),
    (lambda r: r[2]["quantities"][0].update(quantity="-5"), "reports.2.quantities.0.quantity", "negative"),
    (lambda r: r[3].update(production_output="0"), "reports.3.production_output", "more than zero"),
    (lambda r: r[4]["quantities"][1].update(unit="MWh"), "reports.4.quantities.1.unit", "kWh"),
    (lambda r: r[5]["quantities"].pop(), "reports.5.quantities", "missing: wastewater"),
])
def test_bad_reports_name_the_field_and_store_nothing(app, client, token_for, textile, mutate, field, fragment):
    planned(client, token_for, textile)
    reports = monthly()
    mutate(reports)
    res = client.post(f"/api/v1/proposals/{textile}/monitoring-reports", headers=token_for("sme"), json={"reports": reports})
    assert res.status_code == 422
    assert fragment in " ".join(res.get_json()["errors"][field])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MonitoringReport)) == 0


def test_whole_chain_to_a_paid_grant_exactly_once(client, token_for, textile):
    planned(client, token_for, textile)
    reports = reported(client, token_for, textile)
    ev = client.post(f"/api/v1/monitoring-reports/{reports[0]['id']}/evidence", headers=token_for("sme"),
                     content_type="multipart/form-data",
                     data={"file": (io.BytesIO(b"water meter M01: 3780 m3"), "meter-m01.txt"), "description": "meter"})
    assert ev.status_code == 201 and len(ev.get_json()["sha256"]) == 64
    v = verified(client, token_for, textile)
    assert v["result"]["indicators"]["water"]["improvement"] == 0.55
    assert v["main_improvement"] == 0.55 and v["result"]["sufficient"] is True
    assert v["evidence"][0]["filename"] == "meter-m01.txt" and v["ipmvp_option"] == "B"
    vid = v["id"]
    propose = client.post(f"/api/v1/verifications/{vid}/propose", headers=token_for("verifier"),
                          json={"decision": "verified", "comment": "Meters and invoices agree"})
    assert propose.status_code == 200
    # The verifier cannot confirm their own proposal, even holding the senior role elsewhere.
    assert client.post(f"/api/v1/verifications/{vid}/confirm", headers=token_for("verifier"), json={}).status_code == 403
    ok = client.post(f"/api/v1/verifications/{vid}/confirm", headers=token_for("senior_verifier"), json={"comment": "Agreed"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "confirmed"
    again = client.post(f"/api/v1/verifications/{vid}/confirm", headers=token_for("senior_verifier"), json={})
    assert again.status_code == 409
    grants = client.get("/api/v1/grants?status=calculated", headers=token_for("fund_admin")).get_json()["items"]
    assert len(grants) == 1
    g = grants[0]
    # 55% is over 50%: 25% of the USD 80,000 credit.
    assert (g["rate"], g["amount"], g["basis"]) == (0.25, "20000.00", "loan_amount")
    approve = client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={"paid_as": "enterprise"})
    assert approve.status_code == 200 and approve.get_json()["status"] == "approved"
    assert client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={}).status_code == 409
    paid = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={"reference": "SWIFT-1"})
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"
    second = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={"reference": "SWIFT-2"})
    assert second.status_code == 409
    assert client.get(f"/api/v1/grants/{g['id']}", headers=token_for("sme")).get_json()["payment_reference"] == "SWIFT-1"


def test_the_grant_reduces_the_loan_principal_and_the_schedule_follows(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    loan = client.get("/api/v1/loans", headers=token_for("bank_officer")).get_json()["items"][0]["id"]
    before = client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"]
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    assert g["paid_as"] == "principal_reduction" and g["amount"] == "20000.00"
    client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={})
    paid = client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={})
    assert paid.status_code == 200, paid.get_json()
    after = client.get(f"/api/v1/loans/{loan}/schedule", headers=token_for("sme")).get_json()["installments"]
    owed = lambda rows: sum(Decimal(r["principal"]) for r in rows)  # noqa: E731
    assert owed(before) - owed(after) == Decimal("20000.00")
    # The installments already due stay as they were; the ones still to come are lower.
    due = lambda rows: [r for r in rows if r["due_date"] <= clock.today().isoformat()]  # noqa: E731
    assert len(after) == len(before) and due(after) == due(before)
    to_come = len(due(before))
    assert Decimal(after[to_come]["total"]) < Decimal(before[to_come]["total"])
    assert after[-1]["balance_after"] == "0.00"


def test_no_loan_no_grant(client, token_for):
    """A proposal is only monitored once a loan is approved for it."""
    items = client.get("/api/v1/proposals?status=eligible", headers=token_for("fund_admin")).get_json()["items"]
    pid = next(p["id"] for p in items if p["title"].startswith("Low liquor"))
    res = client.post(f"/api/v1/proposals/{pid}/monitoring-plan", headers=token_for("verifier"), json=PLAN)
    assert res.status_code == 409 and "loan must be approved" in res.get_json()["message"]


def test_insufficient_data_cannot_be_verified(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile, monthly()[:2])
    v = verified(client, token_for, textile)
    assert v["result"]["sufficient"] is False
    res = client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                      json={"decision": "verified", "comment": "looks fine"})
    assert res.status_code == 422 and "period" in " ".join(res.get_json()["errors"]["decision"])
    more = client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                       json={"decision": "more_data", "comment": "Report the remaining months"})
    assert more.status_code == 200


def test_weak_result_or_double_funding_blocks_the_grant_with_the_reason(app, client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile, monthly(water_per_t="16", kwh_per_t="180"))  # water -20% only
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "A real but small gain"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    assert g["status"] == "blocked" and g["amount"] == "0.00"
    assert "20.0% is not over 30%" in g["reason"]
    assert client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={}).status_code == 409


def test_a_correction_is_a_new_verification_that_supersedes_the_grant(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    first = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{first['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{first['id']}/confirm", headers=token_for("senior_verifier"), json={})
    second = verified(client, token_for, textile, supersedes_id=first["id"], ipmvp_option="C")
    assert second["supersedes_id"] == first["id"]
    dup = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"),
                      json={"supersedes_id": first["id"]})
    assert dup.status_code == 409  # the correction is still open
    client.post(f"/api/v1/verifications/{second['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "whole-facility check"})
    client.post(f"/api/v1/verifications/{second['id']}/confirm", headers=token_for("senior_verifier"), json={})
    statuses = sorted(g["status"] for g in client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"])
    assert statuses == ["calculated", "superseded"]


def test_grant_budget_is_respected(app, client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"), json={"decision": "verified", "comment": "checked on site"})
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    line = client.get("/api/v1/credit-lines", headers=token_for("fund_admin")).get_json()["items"][0]["id"]
    client.patch(f"/api/v1/credit-lines/{line}", headers=token_for("fund_admin"), json={"grant_budget": "15000.00"})
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    res = client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={})
    assert res.status_code == 422 and "15000.00 left" in " ".join(res.get_json()["errors"]["amount"])
    with app.app_context():
        assert db.session.get(Grant, g["id"]).status == "calculated"


def _confirmed_grant(client, token_for, pid, **verification):
    v = verified(client, token_for, pid, **verification)
    client.post(f"/api/v1/verifications/{v['id']}/propose", headers=token_for("verifier"),
                json={"decision": "verified", "comment": "checked on site"})
    assert client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"),
                       json={}).status_code == 200
    return v, next(g for g in client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"]
                   if g["verification_id"] == v["id"])


def test_declared_other_incentive_blocks_the_grant(app, client, token_for, textile):
    from creditline.proposals.models import Proposal
    with app.app_context():
        p = db.session.get(Proposal, textile)
        p.other_incentives = [{"name": "Provincial clean-technology subsidy", "amount": "5000.00"}]
        db.session.commit()
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    _, g = _confirmed_grant(client, token_for, textile)
    assert g["status"] == "blocked" and "double funding" in g["reason"] and "Provincial" in g["reason"]


def test_a_second_grant_for_a_paid_proposal_is_blocked(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    first, g = _confirmed_grant(client, token_for, textile)
    client.post(f"/api/v1/grants/{g['id']}/approve", headers=token_for("fund_admin"), json={"paid_as": "enterprise"})
    assert client.post(f"/api/v1/grants/{g['id']}/pay", headers=token_for("fund_admin"), json={}).status_code == 200
    _, again = _confirmed_grant(client, token_for, textile, supersedes_id=first["id"])
    assert again["status"] == "blocked" and f"grant {g['id']} has already been committed" in again["reason"]


def test_no_grant_once_the_loan_is_repaid(app, client, token_for, textile):
    from creditline.loans.models import Loan
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    with app.app_context():
        loan = db.session.scalar(select(Loan))
        loan.status = "repaid"  # repaid early, before the verification is confirmed
        db.session.commit()
    _, g = _confirmed_grant(client, token_for, textile)
    assert g["status"] == "blocked" and "repaid before the verification" in g["reason"]


def ncpc_user(app, email, *roles):
    """Add a person to the demo NCPC with the given roles (the demo has one senior verifier)."""
    from creditline.auth.models import User
    from creditline.auth.services import create_user
    with app.app_context():
        ncpc = db.session.scalar(select(User.organisation_id).where(User.email == "verifier@ncpc.example"))
        create_user(None, email=email, name=email.split("@")[0], password="a-long-password",
                    organisation_id=ncpc, roles=list(roles))
        db.session.remove()
    return email


def proposed(client, token_for, vid, who="verifier", decision="verified"):
    res = client.post(f"/api/v1/verifications/{vid}/propose", headers=token_for(who),
                      json={"decision": decision, "comment": "checked on site"})
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def verification_count(app):
    from creditline.verifications.models import Verification
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Verification))


def test_a_new_verification_must_correct_the_confirmed_one(app, client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    first, g = _confirmed_grant(client, token_for, textile)
    res = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"), json={})
    assert res.status_code == 409
    body = res.get_json()
    assert body["errors"] == {"supersedes_id": [f"required: verification {first['id']} is confirmed"]}
    assert verification_count(app) == 1
    # The correction is allowed, and only one grant is ever payable.
    second, g2 = _confirmed_grant(client, token_for, textile, supersedes_id=first["id"])
    grants = {x["id"]: x["status"] for x in client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"]}
    assert grants == {g["id"]: "superseded", g2["id"]: "calculated"}
    # The superseded one can no longer be corrected: the current one must be named.
    res = client.post(f"/api/v1/proposals/{textile}/verifications", headers=token_for("verifier"),
                      json={"supersedes_id": first["id"]})
    assert res.status_code == 422 and "already been corrected" in res.get_json()["errors"]["supersedes_id"][0]


def test_the_verification_carries_its_grant(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    assert v["grant"] == {"id": None, "status": None, "rate": None, "amount": None, "currency": None, "basis": None,
                          "basis_amount": None, "reason": "no grant until the decision is confirmed"}
    proposed(client, token_for, v["id"])
    client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    grant = client.get(f"/api/v1/verifications/{v['id']}", headers=token_for("sme")).get_json()["grant"]
    g = client.get("/api/v1/grants", headers=token_for("fund_admin")).get_json()["items"][0]
    assert grant == {"id": g["id"], "status": "calculated", "rate": 0.25, "amount": "20000.00", "currency": "USD",
                     "basis": "loan_amount", "basis_amount": "80000.00", "reason": None}


def test_a_rejecting_correction_withdraws_the_old_grant(client, token_for, textile):
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    first, g = _confirmed_grant(client, token_for, textile)
    second = verified(client, token_for, textile, supersedes_id=first["id"])
    proposed(client, token_for, second["id"], decision="rejected")
    res = client.post(f"/api/v1/verifications/{second['id']}/confirm", headers=token_for("senior_verifier"), json={})
    assert res.status_code == 200
    assert res.get_json()["grant"]["reason"] == "no grant: the confirmed decision is 'rejected', not 'verified'"
    assert client.get(f"/api/v1/grants/{g['id']}", headers=token_for("fund_admin")).get_json()["status"] == "superseded"


def test_a_senior_who_proposed_can_withdraw_and_another_senior_can_confirm(app, client, token_for, textile):
    from creditline.audit.models import AuditEvent
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    proposed(client, token_for, v["id"], who="senior_verifier")
    # The only senior proposed: they may not confirm or return it ...
    for action in ("confirm", "reject"):
        res = client.post(f"/api/v1/verifications/{v['id']}/{action}", headers=token_for("senior_verifier"),
                          json={"comment": "my own"})
        assert res.status_code == 403 and res.get_json()["code"] == "four_eyes"
    # ... nor may anyone else take their proposal back.
    res = client.post(f"/api/v1/verifications/{v['id']}/withdraw", headers=token_for("verifier"), json={})
    assert res.status_code == 403
    res = client.post(f"/api/v1/verifications/{v['id']}/withdraw", headers=token_for("senior_verifier"),
                      json={"comment": "I went on site myself; a colleague should propose"})
    assert res.status_code == 200
    back = res.get_json()
    assert (back["status"], back["decision"], back["proposed_by"]) == ("computed", None, None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "verification.withdrawn", AuditEvent.entity_id == v["id"])) == 1
    assert client.post(f"/api/v1/verifications/{v['id']}/withdraw", headers=token_for("senior_verifier"),
                       json={}).status_code == 409
    proposed(client, token_for, v["id"], who="verifier")
    ok = client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for("senior_verifier"), json={})
    assert ok.status_code == 200 and ok.get_json()["status"] == "confirmed"


def test_with_two_seniors_the_other_one_confirms(app, client, token_for, textile):
    second_senior = ncpc_user(app, "senior2@ncpc.example", "senior_verifier")
    planned(client, token_for, textile)
    reported(client, token_for, textile)
    v = verified(client, token_for, textile)
    proposed(client, token_for, v["id"], who="senior_verifier")
    ok = client.post(f"/api/v1/verifications/{v['id']}/confirm", headers=token_for(second_senior), json={})
    assert ok.status_code == 200 and ok.get_json()["grant"]["amount"] == "20000.00"
