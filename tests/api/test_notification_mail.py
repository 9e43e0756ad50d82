"""E-mail copies of notifications: sent after commit to a local SMTP server; a failed send is kept and retried."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from creditline.extensions import db
from creditline.jobs.daily import run_daily
from creditline.notifications.models import Notification
from creditline import clock

from .test_loans import propose, proposal_id  # noqa: F401  (fixture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Inbox(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list = []

        def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
            self.messages.append(message)

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler.messages
    controller.stop()


def committee_notice(app, loan_id: int) -> Notification:
    with app.app_context():
        n = db.session.scalars(select(Notification).where(Notification.entity_id == loan_id,
                                                          Notification.kind == "loan_to_decide")).one()
        db.session.expunge(n)
        db.session.remove()
    return n


def test_a_hand_off_is_mailed_after_commit(app, client, token_for, proposal_id, smtp_server, monkeypatch):
    controller, received = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", controller.port)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://credit.example")
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]

    (mail,) = received
    assert mail["To"] == "committee@bank.example"
    assert mail["Subject"] == f"[creditline] Loan L{loan_id} waits for your decision"
    assert "https://credit.example/loans/decisions" in mail.get_payload()
    n = committee_notice(app, loan_id)
    assert n.emailed_at is not None and n.email_attempts == 1


def test_a_failed_send_is_kept_and_the_daily_job_sends_it(app, client, token_for, proposal_id, smtp_server,
                                                         monkeypatch):
    controller, received = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", free_port())  # nobody listens: the send fails
    res = propose(client, token_for, proposal_id)
    assert res.status_code == 201  # the action stands
    loan_id = res.get_json()["id"]
    n = committee_notice(app, loan_id)
    assert n.emailed_at is None and n.email_attempts == 1

    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", controller.port)
    with app.app_context():
        summary = run_daily(clock.today())
        db.session.remove()
    assert summary["mail"]["email_waiting"] >= 1
    assert f"Loan L{loan_id} waits for your decision" in [m["Subject"].removeprefix("[creditline] ") for m in received]
    n = committee_notice(app, loan_id)
    assert n.emailed_at is not None and n.email_attempts == 2


def test_without_smtp_nothing_is_sent_or_counted(app, client, token_for, proposal_id, smtp_server):
    _, received = smtp_server
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    n = committee_notice(app, loan_id)
    assert received == [] and n.emailed_at is None and n.email_attempts == 0


def test_two_senders_at_once_mail_a_notice_once(app, client, token_for, proposal_id, smtp_server, monkeypatch):
    """The request's send and the daily retry (or two workers' retries) race for the same unsent notice."""
    import threading

    from creditline.notifications.mail import deliver

    controller, received = smtp_server
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", free_port())  # the request's own send fails
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]
    assert received == []
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", controller.port)
    barrier = threading.Barrier(4)
    results: list[dict] = []

    def sender() -> None:
        with app.app_context():
            barrier.wait()
            results.append(deliver())
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subjects = [m["Subject"] for m in received]
    assert subjects.count(f"[creditline] Loan L{loan_id} waits for your decision") == 1, subjects
    assert sum(r["sent"] for r in results) == len(received) and sum(r["failed"] for r in results) == 0
    n = committee_notice(app, loan_id)
    # One failed attempt by the request, one successful claim by exactly one of the four senders.
    assert n.emailed_at is not None and n.email_attempts == 2 and n.email_claimed_at is None


def test_a_claim_left_by_a_sender_that_died_is_taken_over_after_the_lease(app, client, token_for, proposal_id,
                                                                         smtp_server, monkeypatch):
    from datetime import timedelta

    from creditline.database import utcnow
    from creditline.notifications.mail import CLAIM_LEASE, deliver

    controller, received = smtp_server
    loan_id = propose(client, token_for, proposal_id).get_json()["id"]  # no SMTP yet: nothing claimed
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", controller.port)
    with app.app_context():
        stmt = db.update(Notification).where(Notification.entity_id == loan_id, Notification.kind == "loan_to_decide")
        db.session.execute(stmt.values(email_claimed_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        subject = f"[creditline] Loan L{loan_id} waits for your decision"
        deliver()  # the demo's other notices go; this one is someone else's to send
        assert subject not in [m["Subject"] for m in received]
        db.session.execute(stmt.values(email_claimed_at=utcnow() - CLAIM_LEASE - timedelta(minutes=1)))
        db.session.commit()
        assert deliver()["sent"] == 1
        db.session.remove()
    assert [m["Subject"] for m in received].count(subject) == 1
