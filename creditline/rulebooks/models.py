"""Rulebook versions: the text of each version, its hash, who drafted and who published it, and when it applies."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..database import utcnow
from ..extensions import db
from ..states import Lifecycle

# A draft is edited until published; a published text never changes (it is replayed by hash).
RULEBOOK_LIFECYCLE = Lifecycle("rulebook_version", {"draft": ("published",), "published": ("retired",)},
                               initial="draft")


class RulebookVersion(db.Model):
    """One version of one rulebook; at most one published version per rulebook id and effective date."""

    __tablename__ = "rulebook_version"
    __table_args__ = (
        UniqueConstraint("rulebook_id", "version", name="uq_rulebook_version_id_version"),
        # The database itself keeps two publishers from putting two versions in force on one day.
        Index("uq_rulebook_version_in_force", "rulebook_id", "effective_from", unique=True,
              sqlite_where=text("status = 'published'"), postgresql_where=text("status = 'published'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rulebook_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:
        return f"<RulebookVersion {self.rulebook_id} {self.version} {self.status}>"
