"""Races on the referral desk, on SQLite and PostgreSQL: two people deciding at once; exactly one decision wins."""
import threading

from sqlalchemy import func, select

from creditline.audit.models import AuditEvent
from creditline.extensions import db
from creditline.referrals.models import ReferralDecision

from .test_referrals import COMMENT, double_funded, tasks_of  # noqa: F401  (fixture)


def race(app, calls):
    """Fire (headers, path, body) calls at once from separate threads and clients; return the statuses."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def one(headers, path, body):
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(path, headers=headers, json=body).status_code)
    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def test_two_deciders_of_one_task_exactly_one_wins(app, client, token_for, double_funded):  # noqa: F811
    task = tasks_of(client, token_for("fund_admin"), double_funded)["double_funding"]
    path = f"/api/v1/referrals/{task['id']}/decision"
    calls = [(token_for("fund_admin"), path, {"decision": d, "comment": COMMENT})
             for d in ("clear", "reject", "return", "clear", "reject", "return")]
    statuses = race(app, calls)
    assert statuses.count(200) == 1 and set(statuses) == {200, 409}, statuses
    with app.app_context():
        decisions = db.session.scalar(select(func.count()).select_from(ReferralDecision))
        audited = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.entity_type == "referral_task", AuditEvent.entity_id == task["id"],
            AuditEvent.action != "referral.opened"))
        db.session.remove()
    assert (decisions, audited) == (1, 1)


def test_the_last_of_two_blocking_tasks_cleared_at_once_makes_the_proposal_eligible_once(
        app, client, token_for, ids):
    """Worse electricity (the NCPC's) and another incentive (the fund's), cleared at the same moment."""
    from ..factories import proposal_body
    from .test_referrals import INCENTIVE

    sme = token_for("sme")
    body = proposal_body(ids["line"], ids["ent"], other_incentives=INCENTIVE)
    body["indicators"][1]["projected_quantity"] = "950000"  # electricity up 5.6% per tonne
    pid = client.post("/api/v1/proposals", headers=sme, json=body).get_json()["id"]
    assert client.post(f"/api/v1/proposals/{pid}/submit", headers=sme, json={}).get_json()["status"] == "referred"
    tasks = tasks_of(client, token_for("fund_admin"), pid)
    assert set(tasks) == {"worse_indicator", "double_funding"}
    statuses = race(app, [
        (token_for("verifier"), f"/api/v1/referrals/{tasks['worse_indicator']['id']}/decision",
         {"decision": "clear", "comment": COMMENT, "offset_method": "deduct_worse"}),
        (token_for("fund_admin"), f"/api/v1/referrals/{tasks['double_funding']['id']}/decision",
         {"decision": "clear", "comment": COMMENT})])
    assert statuses == [200, 200]
    assert client.get(f"/api/v1/proposals/{pid}", headers=sme).get_json()["status"] == "eligible"
    with app.app_context():
        moves = db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "proposal.eligible", AuditEvent.entity_id == pid))
        db.session.remove()
    assert moves == 1
