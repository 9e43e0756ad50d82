"""A record per job and day: the unique key is what makes a second runner or a re-run a no-op."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db


class JobRun(db.Model):
    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "run_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(48))
    run_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
