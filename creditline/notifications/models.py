"""One notification per user and reason; the dedupe key makes re-running a job harmless."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class Notification(db.Model):
    __tablename__ = "notification"
    # A step taken resolves the hand-offs about its object (notifications.services.resolve) on
    # every audited change: without this index each one scans every notification ever sent.
    __table_args__ = (Index("ix_notification_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column()
    # e.g. "report_due:17:M03:user:5" - unique, so a job that runs twice queues nothing new.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the step it asked for has been taken (by anyone): it is then read too, so the
    # unread count is only what still waits.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # E-mail copy (when SMTP is configured): sent after commit; a failure counts an attempt and the
    # daily job tries again (creditline.notifications.mail).
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who is sending it right now: a sender claims the row with a conditional update before it
    # sends, so the request's after-commit send and the daily retry never mail it twice.
    email_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
