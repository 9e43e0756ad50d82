"""The referral desk: a task per reason for its owner, each decision moves the proposal and is traced and audited."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.referrals.models import ReferralDecision, ReferralTask

from ..factories import proposal_body

ROLLING = "Mechanical descaling instead of acid pickling"
COMMENT = "Checked against the plant's metering and the declared incentives"
INCENTIVE = [{"source": "Provincial clean-technology subsidy", "amount": "5000.00",
              "description": "for the same machines"}]


def rolling_id(client, token_for) -> int:
    items = client.get("/api/v1/proposals", headers=token_for("verifier")).get_json()["items"]
    return next(p["id"] for p in items if p["title"] == ROLLING)


def tasks_of(client, headers, pid) -> dict[str, dict]:
    res = client.get(f"/api/v1/proposals/{pid}/referrals", headers=headers)
    assert res.status_code == 200, res.get_json()
    return {t["reason"]: t for t in res.get_json()}


def status_of(client, token_for, pid) -> str:
    return client.get(f"/api/v1/proposals/{pid}", headers=token_for("fund_admin")).get_json()["status"]


def decide(client, headers, task_id, **body):
    return client.post(f"/api/v1/referrals/{task_id}/decision", headers=headers, json={"comment": COMMENT, **body})


def second_opinion(client, headers, task_id, decision="clear", **extra):
    form = {"decision": decision, "comment": COMMENT, "given_by": "Centro Suizo de Producción Más Limpia", **extra}
    form["file"] = (io.BytesIO(b"%PDF-1.4 second opinion, signed"), "second-opinion.pdf")
    return client.post(f"/api/v1/referrals/{task_id}/decision", headers=headers, data=form,
                       content_type="multipart/form-data")


@pytest.fixture
def double_funded(client, token_for, ids):
    """The textile SME's dyeing proposal, declaring another incentive: the fund must check double funding."""
    sme = token_for("sme")
    pid = client.post("/api/v1/proposals", headers=sme,
                      json=proposal_body(ids["line"], ids["ent"], other_incentives=INCENTIVE)).get_json()["id"]
    res = client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={})
    assert res.get_json()["status"] == "referred", res.get_json()
    return pid


def test_the_demo_rolling_mill_has_an_ncpc_offset_task_and_an_open_second_opinion(client, token_for):
    pid = rolling_id(client, token_for)
    tasks = tasks_of(client, token_for("verifier"), pid)
    assert set(tasks) == {"worse_indicator", "second_opinion"}
    assert (tasks["worse_indicator"]["owner"], tasks["worse_indicator"]["blocking"]) == ("ncpc", True)
    assert tasks["worse_indicator"]["rule"] == "no-side-effects"
    assert (tasks["second_opinion"]["owner"], tasks["second_opinion"]["blocking"]) == ("second_opinion", False)
    assert "over USD 200,000" in tasks["second_opinion"]["message"]
    assert all(t["status"] == "open" for t in tasks.values())
    detail = client.get(f"/api/v1/referrals/{tasks['worse_indicator']['id']}", headers=token_for("verifier")).get_json()
    assert [e["rule"] for e in detail["evidence"]] == ["no-side-effects", "side-effects"]


def test_the_ncpc_clears_the_offset_and_the_proposal_goes_on_while_the_second_opinion_waits(app, client, token_for):
    pid = rolling_id(client, token_for)
    task = tasks_of(client, token_for("verifier"), pid)["worse_indicator"]
    verifier = token_for("verifier")

    res = decide(client, verifier, task["id"], decision="clear")
    assert res.status_code == 422 and "offset_method" in res.get_json()["errors"]
    # Electricity is 11.9% worse: under 'min of all' that loss is the net, so it cannot be cleared.
    res = decide(client, verifier, task["id"], decision="clear", offset_method="min_of_all")
    assert res.status_code == 422 and "losses outweigh" in res.get_json()["errors"]["offset_method"][0]
    assert status_of(client, token_for, pid) == "referred"

    res = decide(client, verifier, task["id"], decision="clear", offset_method="deduct_worse")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["status"] == "cleared"
    offset = body["decision"]["details"]["offset"]
    assert offset["method"] == "deduct_worse" and set(offset["losses"]) == {"electricity"}
    assert offset["net_improvement"] == pytest.approx(offset["main_improvement"] + offset["losses"]["electricity"])
    # Only the second opinion is left, and it holds up the loan, not eligibility.
    assert status_of(client, token_for, pid) == "eligible"
    assert tasks_of(client, token_for("verifier"), pid)["second_opinion"]["status"] == "open"

    trace = client.get(f"/api/v1/proposals/{pid}/assessment", headers=token_for("owner@rolling.example")).get_json()["trace"]
    (line,) = [t for t in trace if t["kind"] == "referral"]
    assert line["outcome"] == "pass" and "deduct_worse" in line["message"] and COMMENT in line["message"]
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "referral_task",
                                                                     AuditEvent.entity_id == task["id"])
                                      .order_by(AuditEvent.seq)).all()
        moved = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "proposal.eligible",
                                                                  AuditEvent.entity_id == pid)
                                    .order_by(AuditEvent.seq)).all()
        db.session.remove()
    assert actions == ["referral.opened", "referral.cleared"]
    assert moved[-1]["referral_task_id"] == task["id"]

    res = decide(client, verifier, task["id"], decision="reject")
    assert res.status_code == 409 and res.get_json()["current_state"] == "cleared"


def test_loan_approval_is_refused_while_the_second_opinion_is_open(client, token_for):
    pid = rolling_id(client, token_for)
    tasks = tasks_of(client, token_for("verifier"), pid)
    assert decide(client, token_for("verifier"), tasks["worse_indicator"]["id"], decision="clear",
                  offset_method="deduct_worse").status_code == 200
    loan = client.post("/api/v1/loans", headers=token_for("bank_officer"), json={
        "proposal_id": pid, "principal": "210000.00", "annual_rate": 0.1, "tenor_months": 48,
        "frequency": "monthly", "method": "annuity"})
    assert loan.status_code == 201, loan.get_json()
    approve = f"/api/v1/loans/{loan.get_json()['id']}/approve"

    res = client.post(approve, headers=token_for("credit_committee"), json={})
    assert res.status_code == 409
    body = res.get_json()
    assert "second opinion" in body["message"] and f"referral task {tasks['second_opinion']['id']}" in body["message"]
    assert body["current_state"] == "applied"

    so = tasks["second_opinion"]["id"]
    res = client.post(f"/api/v1/referrals/{so}/decision", headers=token_for("bank_officer"),
                      json={"decision": "clear", "comment": COMMENT, "given_by": "Swiss reference centre"})
    assert res.status_code == 422 and "file" in res.get_json()["errors"]
    exe = client.post(f"/api/v1/referrals/{so}/decision", headers=token_for("bank_officer"), data={
        "decision": "clear", "comment": COMMENT, "given_by": "Swiss reference centre",
        "file": (io.BytesIO(b"MZ\x90\x00 not an opinion"), "opinion.pdf")}, content_type="multipart/form-data")
    assert exe.status_code == 422 and "not PDF" in exe.get_json()["errors"]["file"][0]
    res = second_opinion(client, token_for("bank_officer"), so)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["decision"]["file"]["filename"] == "second-opinion.pdf"
    assert client.post(approve, headers=token_for("credit_committee"), json={}).status_code == 200
    # The monitoring plan applies the offset the NCPC fixed, unless it says otherwise.
    plan = client.post(f"/api/v1/proposals/{pid}/monitoring-plan", headers=token_for("verifier"), json={
        "baseline_start": "2025-01-01", "baseline_end": "2025-12-31", "reporting_start": "2027-03-01"})
    assert plan.status_code == 201, plan.get_json()
    assert plan.get_json()["offset_method"] == "deduct_worse"


def test_the_fund_rejects_double_funding_and_the_proposal_is_ineligible(app, client, token_for, double_funded):
    task = tasks_of(client, token_for("fund_admin"), double_funded)["double_funding"]
    assert task["owner"] == "fund"
    res = decide(client, token_for("verifier"), task["id"], decision="clear")
    assert res.status_code == 403  # the NCPC sees the task but double funding is the fund's call
    res = decide(client, token_for("sme"), task["id"], decision="clear")
    assert res.status_code == 403
    res = decide(client, token_for("fund_admin"), task["id"], decision="maybe", comment="x")
    assert res.status_code == 422 and set(res.get_json()["errors"]) >= {"decision"}

    res = decide(client, token_for("fund_admin"), task["id"], decision="reject")
    assert res.status_code == 200
    assert status_of(client, token_for, double_funded) == "ineligible"
    trace = client.get(f"/api/v1/proposals/{double_funded}/assessment", headers=token_for("sme")).get_json()["trace"]
    assert [t["outcome"] for t in trace if t["kind"] == "referral"] == ["fail"]


def test_return_to_revise_then_resubmit_scores_again(app, client, token_for, double_funded):
    sme = token_for("sme")
    task = tasks_of(client, token_for("fund_admin"), double_funded)["double_funding"]
    res = decide(client, token_for("fund_admin"), task["id"], decision="return",
                 comment="The provincial subsidy pays for the same machines: drop it or the fund's grant")
    assert res.status_code == 200
    assert status_of(client, token_for, double_funded) == "draft"
    seen = tasks_of(client, sme, double_funded)["double_funding"]
    assert seen["status"] == "returned" and "provincial subsidy" in seen["decision"]["comment"]
    page = client.get(f"/api/v1/proposals/{double_funded}/referrals", headers=sme)
    assert page.status_code == 200

    res = client.patch(f"/api/v1/proposals/{double_funded}", headers=sme, json={"other_incentives": []})
    assert res.status_code == 200, res.get_json()
    res = client.post(f"/api/v1/proposals/{double_funded}/submit", headers=sme, json={})
    assert res.get_json()["status"] == "eligible"
    with app.app_context():
        open_left = db.session.scalar(select(func.count(ReferralTask.id)).where(
            ReferralTask.proposal_id == double_funded, ReferralTask.status == "open"))
        assessments = db.session.scalar(select(func.count()).select_from(ReferralDecision))
        db.session.remove()
    assert (open_left, assessments) == (0, 1)


def test_resubmitting_while_referred_again_supersedes_the_old_tasks(app, client, token_for, double_funded):
    sme = token_for("sme")
    first = tasks_of(client, sme, double_funded)["double_funding"]
    assert client.post(f"/api/v1/proposals/{double_funded}/reopen", headers=sme).status_code == 200
    assert client.post(f"/api/v1/proposals/{double_funded}/submit", headers=sme, json={}).status_code == 200
    res = client.get(f"/api/v1/referrals?status=&proposal_id={double_funded}", headers=token_for("fund_admin"))
    states = {t["id"]: t["status"] for t in res.get_json()["items"]}
    assert states[first["id"]] == "superseded" and sorted(states.values()) == ["open", "superseded"]
    res = decide(client, token_for("fund_admin"), first["id"], decision="clear")
    assert res.status_code == 409 and res.get_json()["current_state"] == "superseded"


def test_the_desk_lists_each_role_its_own_open_tasks(client, token_for, double_funded):
    def reasons(who, query=""):
        res = client.get(f"/api/v1/referrals{query}", headers=token_for(who))
        assert res.status_code == 200, res.get_json()
        return sorted(t["reason"] for t in res.get_json()["items"])

    assert reasons("verifier") == ["second_opinion", "worse_indicator"]
    assert reasons("fund_admin") == ["double_funding", "second_opinion"]
    assert reasons("bank_officer") == ["second_opinion"]
    assert reasons("sme") == ["double_funding"]           # its own, to read
    assert reasons("owner@rolling.example") == ["second_opinion", "worse_indicator"]
    assert reasons("auditor") == ["double_funding", "second_opinion", "worse_indicator"]
    assert client.get("/api/v1/referrals?sort=bogus", headers=token_for("verifier")).status_code == 422


def test_outsiders_and_the_other_sme_get_404(client, token_for, double_funded, outsiders):
    # double_funded before outsiders: its ``ids`` takes the first credit line listed, the demo's.
    pid = rolling_id(client, token_for)
    task = tasks_of(client, token_for("verifier"), pid)["worse_indicator"]
    for headers in [*outsiders["headers"].values(), token_for("sme")]:
        assert client.get(f"/api/v1/referrals/{task['id']}", headers=headers).status_code == 404
        res = decide(client, headers, task["id"], decision="clear", offset_method="deduct_worse")
        assert res.status_code == 404
    assert client.get(f"/api/v1/proposals/{double_funded}/referrals",
                      headers=token_for("owner@rolling.example")).status_code == 404
    for headers in outsiders["headers"].values():
        assert client.get("/api/v1/referrals?status=", headers=headers).get_json()["items"] == []


def test_home_pages_count_the_referrals_to_decide(session_for, double_funded):
    import re

    def step(who):
        html = session_for(who).get("/").get_data(as_text=True).split("What to do next")[-1]
        m = re.search(r'<span class="count">(\d+)</span>\s*<div><strong><a href="([^"]+)">Referrals to decide', html)
        return (int(m.group(1)), m.group(2)) if m else "Referrals to decide" in html

    assert step("verifier") == (2, "/referrals")      # the rolling mill's offset and its second opinion
    assert step("fund_admin") == (2, "/referrals")    # the double funding and the second opinion
    assert step("bank_officer") == (1, "/referrals")  # the second opinion, if the bank gives it
    assert step("sme") is False                       # an SME decides none


def test_the_decider_still_reads_a_task_it_returned_though_the_draft_is_the_smes(client, token_for):
    pid = rolling_id(client, token_for)
    task = tasks_of(client, token_for("verifier"), pid)["worse_indicator"]
    res = decide(client, token_for("verifier"), task["id"], decision="return",
                 comment="Meter the shot blasting line's power before we fix the offset")
    assert res.status_code == 200 and status_of(client, token_for, pid) == "draft"
    assert client.get(f"/api/v1/proposals/{pid}", headers=token_for("verifier")).status_code == 404
    seen = client.get(f"/api/v1/referrals/{task['id']}", headers=token_for("verifier"))
    assert seen.status_code == 200 and seen.get_json()["status"] == "returned"
    # Both of the proposal's tasks are closed: the second opinion is moot until it is scored again.
    states = {t["reason"]: t["status"] for t in client.get(
        f"/api/v1/referrals?status=&all_owners=true&proposal_id={pid}", headers=token_for("fund_admin")).get_json()["items"]}
    assert states == {"worse_indicator": "returned", "second_opinion": "superseded"}
