"""Hand-offs notify whoever the work now waits on, in the same transaction; the inbox lists and marks them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from creditline.auth.models import User
from creditline.extensions import db
from creditline.notifications.models import Notification

from .test_guarantees import request
from .test_loans import APPROVED_ON_START, propose, proposal_id  # noqa: F401  (fixture)


def told(app, entity_type: str, entity_id: int) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        rows = db.session.execute(select(User.email, Notification.kind, Notification.url)
                                  .join(User, User.id == Notification.user_id)
                                  .where(Notification.entity_type == entity_type, Notification.entity_id == entity_id)
                                  .order_by(Notification.id)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_each_loan_step_notifies_the_next_owner_and_never_the_actor(app, client, token_for, proposal_id):
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    assert told(app, "loan", loan_id) == [("committee@bank.example", "loan_to_decide", "/loans/decisions")]

    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json=APPROVED_ON_START)
    assert res.status_code == 200, res.get_json()
    assert told(app, "loan", loan_id)[1:] == [("owner@textile.example", "loan_approved", f"/loans/{loan_id}"),
                                             ("officer@bank.example", "loan_to_disburse", f"/loans/{loan_id}")]

    gid = request(client, token_for, loan_id).get_json()["id"]
    assert told(app, "guarantee", gid) == [("admin@fund.example", "guarantee_requested", "/guarantees?status=requested")]
    assert client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin")).status_code == 200
    assert told(app, "guarantee", gid)[1:] == [("officer@bank.example", "guarantee_issued", f"/loans/{loan_id}")]


def test_an_action_rolled_back_notifies_no_one(app, client, token_for, proposal_id):
    from creditline.auth.permissions import Actor
    from creditline.loans.services import approve_loan
    from creditline.unit_of_work import transaction

    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    before = told(app, "loan", loan_id)
    with app.app_context():
        committee = Actor.of(db.session.scalar(select(User).where(User.email == "committee@bank.example")))
        with pytest.raises(RuntimeError):
            with transaction():
                approve_loan(committee, loan_id)
                assert len(told_in_session("loan", loan_id)) == len(before) + 2  # queued inside the unit...
                raise RuntimeError("a later step of the same unit fails")
        db.session.remove()
    assert told(app, "loan", loan_id) == before                              # ...and gone with it


def test_an_audited_action_that_is_not_a_move_hands_nothing_off(app, proposal_id):
    # Hand-offs read "<entity>.<state>"; an action named otherwise used to raise inside the listener
    # and fail the whole transaction of whatever recorded it.
    from creditline.audit.services import record
    from creditline.unit_of_work import transaction

    before = told(app, "proposal", proposal_id)
    with app.app_context():
        with transaction():
            record(None, "imported", "proposal", proposal_id)
        db.session.remove()
    assert told(app, "proposal", proposal_id) == before


def told_in_session(entity_type: str, entity_id: int) -> list[int]:
    return list(db.session.scalars(select(Notification.id).where(
        Notification.entity_type == entity_type, Notification.entity_id == entity_id)))


def test_the_inbox_lists_unread_first_and_marks_one_or_all_read(app, client, token_for, proposal_id):
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json=APPROVED_ON_START)
    request(client, token_for, loan_id)
    assert client.post("/login", data={"email": "officer@bank.example", "password": "green-credit-demo"}).status_code == 302

    page = client.get("/inbox").get_data(as_text=True)
    assert f"Loan L{loan_id} is approved: disburse it" in page
    with app.app_context():
        officer = db.session.scalar(select(User.id).where(User.email == "officer@bank.example"))
        mine = db.session.scalars(select(Notification).where(Notification.user_id == officer)
                                  .order_by(Notification.id)).all()
        unread = [n.id for n in mine if n.read_at is None]
        db.session.remove()
    assert len(unread) >= 2
    assert f'data-testid="unread-count">{len(unread)}<' in page

    # Opening one marks it read and goes to its object; it moves below the unread ones.
    first = unread[0]
    res = client.post(f"/notifications/{first}/read")
    assert res.status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    assert f'data-testid="unread-count">{len(unread) - 1}<' in page
    assert page.index(f"/notifications/{unread[1]}/read") < page.index(f"/notifications/{first}/read")

    # Someone else's notification is not found.
    with app.app_context():
        theirs = db.session.scalar(select(Notification.id).where(Notification.user_id != officer))
        db.session.remove()
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    res = client.post("/inbox/read-all", follow_redirects=True)
    left = len(unread) - 1
    assert f"{left} notification{'s' if left != 1 else ''} marked read." in res.get_data(as_text=True)
    assert 'data-testid="unread-count"' not in client.get("/inbox").get_data(as_text=True)
    assert "Nothing unread" in client.get("/inbox?show=unread").get_data(as_text=True)


def test_the_demo_story_hands_each_step_to_its_owner(app, demo):
    """The story plays every step through the services as the demo people would: each hand-off reaches its owner."""
    from creditline import clock
    from creditline.demo_story import seed_story

    with app.app_context():
        seed_story(clock.today())
        got = {(email, kind) for email, kind in db.session.execute(
            select(User.email, Notification.kind).join(User, User.id == Notification.user_id))}
        db.session.remove()
    expected = {
        ("officer@bank.example", "proposal_to_screen"), ("committee@bank.example", "loan_to_decide"),
        ("owner@textile.example", "loan_approved"), ("officer@bank.example", "loan_to_disburse"),
        ("admin@fund.example", "guarantee_requested"), ("officer@bank.example", "guarantee_issued"),
        ("verifier@ncpc.example", "referral_opened"), ("admin@fund.example", "referral_opened"),
        ("senior@ncpc.example", "verification_due"), ("senior@ncpc.example", "verification_to_confirm"),
        ("owner@textile.example", "verification_confirmed"), ("admin@fund.example", "grant_to_approve"),
        ("owner@textile.example", "grant_paid"),
    }
    assert expected <= got, sorted(expected - got)


def test_the_inbox_api_lists_only_the_callers_own_and_marks_them_read(client, token_for, proposal_id):
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    committee = token_for("credit_committee")
    assert client.get("/api/v1/notifications").status_code == 401
    page = client.get("/api/v1/notifications?unread=true", headers=committee).get_json()
    newest = page["items"][0]
    assert (newest["kind"], newest["url"], newest["read_at"]) == ("loan_to_decide", "/loans/decisions", None)
    assert newest["subject"] == f"Loan L{loan_id} waits for your decision"
    unread = page["total"]
    assert client.post(f"/api/v1/notifications/{newest['id']}/read", headers=token_for("bank_officer")).status_code == 404
    assert client.post(f"/api/v1/notifications/{newest['id']}/read", headers=committee).get_json()["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=committee).get_json()["total"] == unread - 1
    listed = client.get("/api/v1/notifications", headers=committee).get_json()["items"]
    assert listed[-1]["id"] == newest["id"]  # read ones after the unread
    done = client.post("/api/v1/notifications/read-all", headers=committee).get_json()
    assert done == {"marked_read": unread - 1, "unread": 0}


def test_a_hand_off_is_marked_handled_once_its_step_is_taken_so_the_unread_count_is_right(app, client, token_for,
                                                                                          proposal_id):
    def inbox(role: str) -> dict[str, dict]:
        items = client.get("/api/v1/notifications?per_page=100", headers=token_for(role)).get_json()["items"]
        return {n["kind"]: n for n in items}

    def unread(role: str) -> int:
        return client.get("/api/v1/notifications?unread=true", headers=token_for(role)).get_json()["total"]

    screen = inbox("bank_officer")["proposal_to_screen"]
    assert (screen["read_at"], screen["resolved_at"]) == (None, None)
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    # The bank proposed terms: screening is done, for every officer told of it.
    assert inbox("bank_officer")["proposal_to_screen"]["resolved_at"] is not None
    committee = unread("credit_committee")
    assert inbox("credit_committee")["loan_to_decide"]["resolved_at"] is None
    res = client.post(f"/api/v1/loans/{loan_id}/approve", headers=token_for("credit_committee"), json=APPROVED_ON_START)
    assert res.status_code == 200, res.get_json()
    decided = inbox("credit_committee")["loan_to_decide"]
    assert decided["resolved_at"] and decided["read_at"] and unread("credit_committee") == committee - 1
    # The next step's notice waits, unread, until the officer disburses.
    officer = unread("bank_officer")
    assert inbox("bank_officer")["loan_to_disburse"]["read_at"] is None
    res = client.post(f"/api/v1/loans/{loan_id}/disburse", headers=token_for("bank_officer"),
                      json={"amount": "1000.00", "value_date": APPROVED_ON_START["decided_on"]})
    assert res.status_code == 201, res.get_json()
    assert inbox("bank_officer")["loan_to_disburse"]["resolved_at"] and unread("bank_officer") == officer - 1
    # A move that keeps the object where the notice points leaves it alone: the request stays to issue.
    gid = request(client, token_for, loan_id).get_json()["id"]
    assert inbox("fund_admin")["guarantee_requested"]["resolved_at"] is None
    assert client.post(f"/api/v1/guarantees/{gid}/issue", headers=token_for("fund_admin")).status_code == 200
    with app.app_context():
        n = db.session.scalar(select(Notification).where(Notification.kind == "guarantee_requested",
                                                         Notification.entity_id == gid))
        assert n.resolved_at is not None and n.read_at is not None
        db.session.remove()
