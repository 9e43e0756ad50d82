"""E-mail copies of notifications, sent with smtplib once the action that queued them has committed.

Nothing is sent while a transaction is open: a send can take seconds and may fail, and neither
must hold the database's write lock or undo the action. ``queue_many`` asks for delivery after
the unit of work commits; a failed send is logged and counted (``email_attempts``), and the
daily job's ``mail`` step tries every unsent notice of the last few days again, up to
``MAX_ATTEMPTS`` times. Without ``MAIL_SMTP_HOST`` nothing is sent and nothing is counted.

Two senders can look at the same unsent notice at once (the request's send and the daily retry,
or two workers' retries): each claims its rows with one conditional UPDATE ... RETURNING, so a row
is sent by whoever claimed it and by nobody else. A claim older than ``CLAIM_LEASE`` (a sender
that died mid-send) may be taken over.
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select, update

from ..auth.models import User
from ..database import utcnow
from ..extensions import db
from ..unit_of_work import after_commit, transaction
from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Older unsent notices are not mailed any more (say, SMTP configured long after they were queued).
RETRY_WINDOW = timedelta(days=3)
BATCH = 200
# Longer than a batch of sends can take with smtplib's timeout; a claim older than this is abandoned.
CLAIM_LEASE = timedelta(minutes=15)


def configured() -> bool:
    """Tell whether an SMTP host is set."""
    return bool(current_app.config.get("MAIL_SMTP_HOST"))


def deliver_after_commit(dedupe_keys: Iterable[str]) -> None:
    """Ask for these notifications to be e-mailed once the current unit of work commits."""
    keys = list(dedupe_keys)
    if keys and configured():
        after_commit(lambda: deliver(keys))


def _message(n: Notification, to: str) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = f"[creditline] {n.subject}", cfg["MAIL_FROM"], to
    link = f"\n\nOpen it: {cfg['PUBLIC_URL'].rstrip('/')}{n.url}" if n.url else ""
    msg.set_content(f"{n.body}{link}\n\nYour inbox: {cfg['PUBLIC_URL'].rstrip('/')}/inbox\n")
    return msg


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    smtp = smtplib.SMTP(cfg["MAIL_SMTP_HOST"], cfg["MAIL_SMTP_PORT"], timeout=10)
    if cfg.get("MAIL_SMTP_STARTTLS"):
        smtp.starttls()
    if cfg.get("MAIL_SMTP_USERNAME"):
        smtp.login(cfg["MAIL_SMTP_USERNAME"], cfg.get("MAIL_SMTP_PASSWORD") or "")
    return smtp


def _unsent():  # type: ignore[no-untyped-def]
    """Not mailed, attempts left, and nobody sending it now."""
    return (Notification.emailed_at.is_(None), Notification.email_attempts < MAX_ATTEMPTS,
            or_(Notification.email_claimed_at.is_(None), Notification.email_claimed_at < utcnow() - CLAIM_LEASE))


def _pending(keys: list[str] | None) -> list[tuple[int, str]]:
    stmt = (select(Notification, User.email).join(User, User.id == Notification.user_id)
            .where(*_unsent(), User.active.is_(True))
            .order_by(Notification.id).limit(BATCH))
    if keys is not None:
        stmt = stmt.where(Notification.dedupe_key.in_(keys))
    else:
        stmt = stmt.where(Notification.created_at >= utcnow() - RETRY_WINDOW)
    return [(n.id, email) for n, email in db.session.execute(stmt).all()]


def deliver(keys: list[str] | None = None) -> dict[str, int]:
    """Send the unsent notifications (these keys, or all recent ones); returns how many were sent and failed."""
    if not configured():
        return {"sent": 0, "failed": 0}
    # Claim the rows first (an attempt counted), in a short transaction of its own, then send outside it.
    # The UPDATE re-checks that each row is still unclaimed: of two senders, each row goes to one.
    with transaction():
        rows = _pending(keys)
        ids: list[int] = []
        if rows:
            ids = list(db.session.scalars(
                update(Notification).where(Notification.id.in_([i for i, _ in rows]), *_unsent())
                .values(email_attempts=Notification.email_attempts + 1, email_claimed_at=utcnow())
                .returning(Notification.id).execution_options(synchronize_session=False)))
        notices = {n.id: n for n in db.session.scalars(select(Notification).where(Notification.id.in_(ids)))}
        messages = [(i, _message(notices[i], email)) for i, email in rows if i in notices]
    sent: list[int] = []
    if messages:
        try:
            with _connect() as smtp:
                for nid, msg in messages:
                    try:
                        smtp.send_message(msg)
                        sent.append(nid)
                    except smtplib.SMTPException:
                        log.exception("e-mail of notification %s refused; the daily job retries it", nid)
        except (OSError, smtplib.SMTPException):
            log.exception("SMTP server %s unreachable; %d e-mails wait for the daily job's retry",
                          current_app.config["MAIL_SMTP_HOST"], len(messages) - len(sent))
    failed = [nid for nid, _ in messages if nid not in sent]
    if messages:
        with transaction():
            if sent:
                db.session.execute(update(Notification).where(Notification.id.in_(sent))
                                   .values(emailed_at=utcnow(), email_claimed_at=None)
                                   .execution_options(synchronize_session=False))
            if failed:  # released for the next retry (the attempt stays counted)
                db.session.execute(update(Notification).where(Notification.id.in_(failed))
                                   .values(email_claimed_at=None).execution_options(synchronize_session=False))
    return {"sent": len(sent), "failed": len(messages) - len(sent)}


def retry_step(day: date) -> dict[str, Any]:
    """The daily job's step: e-mail again, once the job has committed, what could not be sent before."""
    if not configured():
        return {"email": "not configured"}
    waiting = db.session.scalar(select(func.count(Notification.id)).where(
        *_unsent(), Notification.created_at >= utcnow() - RETRY_WINDOW)) or 0
    after_commit(deliver)
    return {"email_waiting": waiting}
