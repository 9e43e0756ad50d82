"""Organisations, users with hashed passwords and roles, and API tokens."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import TimestampMixin, utcnow
from ..extensions import db

ORG_KINDS = ("sme", "bank", "ncpc", "fund")

# Which kind of organisation each role may belong to (design §1). Auditors may sit anywhere.
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    "sme": ("sme",),
    "bank_officer": ("bank",),
    "credit_committee": ("bank",),
    "verifier": ("ncpc",),
    "senior_verifier": ("ncpc",),
    "fund_admin": ("fund",),
    "auditor": ORG_KINDS,
}
ROLES = tuple(ROLE_ORG_KINDS)


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))

    users: Mapped[list[User]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.kind} {self.name!r}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped when the password is reset or the account disabled: older sessions stop loading.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    @property
    def is_active(self) -> bool:  # flask-login reads this
        return self.active

    @property
    def session_key(self) -> str:
        """A fingerprint of the password hash and the session version, keyed by the app's secret."""
        # Also changes when a password is set outside the services (the CLI), not only on a bump.
        secret = str(current_app.config["SECRET_KEY"]).encode()
        state = f"{self.password_hash}|{self.session_version or 0}".encode()
        return hmac.new(secret, state, hashlib.sha256).hexdigest()[:32]

    def get_id(self) -> str:
        """Return the session id flask-login stores: the user id and the session key."""
        return f"{self.id}:{self.session_key}"

    def end_sessions(self) -> None:
        """Sign the user out of every browser: sessions signed in before stop loading."""
        self.session_version = (self.session_version or 0) + 1
        # The callers are a password reset and a disable; the rows say which ended them.
        reason = "disabled" if not self.active else "password_reset"
        db.session.execute(update(WebSession).where(WebSession.user_id == self.id, WebSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason=reason))

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        # Tests set a cheaper method; production keeps werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {sorted(self.roles)}>"


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak gives no usable token."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class WebSession(db.Model):
    """One signed-in browser. The cookie holds a random id; only its SHA-256 is stored here.

    Signing out, a password reset, a disable or a long idle time end the row, and a cookie whose
    row has ended no longer signs anyone in, however long the browser keeps it.
    """

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # signed_out | password_reset | disabled | idle | expired
    end_reason: Mapped[str | None] = mapped_column(String(16))
