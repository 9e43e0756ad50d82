"""Sign-in with lock-out, bearer tokens, and the management of organisations and users."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import record
from ..database import as_utc, utcnow
from ..errors import Conflict, NotFound, Unauthorized, ValidationFailed
from ..extensions import db
from ..unit_of_work import keep_changes, transaction, unit_of_work
from .models import ORG_KINDS, ROLE_ORG_KINDS, ApiToken, Organisation, User, UserRole
from .permissions import Actor, require_portfolio, require_role

BAD_CREDENTIALS = "wrong email or password"


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _dummy_hash() -> str:
    # Hashed once per method, so an unknown e-mail costs the same time as a known one.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _DUMMY_HASHES[method]


_DUMMY_HASHES: dict[str, str] = {}


def _refuse(user: User | None, email: str, reason: str) -> Unauthorized:
    """Audit a refused sign-in and return the error to raise (the audit is kept: see keep_changes)."""
    record(None, "auth.sign_in_failed", "user", user.id if user else None, None,
           {"email": email, "reason": reason})
    if reason == "disabled":  # only said after the right password: it reveals nothing new
        return keep_changes(Unauthorized("this account is disabled"))
    # Unknown, wrong and locked all answer alike, so sign-in never tells which accounts exist.
    return keep_changes(Unauthorized(BAD_CREDENTIALS))


@unit_of_work
def _reserve_attempt(user_id: int, now: datetime) -> bool:
    """Count an attempt before its password is checked, unless the account is locked or at its limit.

    One conditional update, committed at once: however many attempts arrive together, at most
    LOGIN_MAX_FAILURES of them get a password checked (``failed_logins += 1`` in Python let
    dozens through).
    """
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    done = db.session.execute(
        update(User).where(User.id == user_id, User.failed_logins < limit,
                           or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=User.failed_logins + 1).execution_options(synchronize_session=False))
    return done.rowcount == 1


@unit_of_work
def _wrong_password(user: User, email: str, now: datetime) -> Unauthorized:
    """The attempt stays counted; the one that reaches the limit locks the account (once)."""
    until = now + timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    locked = db.session.execute(
        update(User).where(User.id == user.id, User.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"])
        .values(locked_until=until, failed_logins=0).execution_options(synchronize_session=False))
    if locked.rowcount == 1:
        record(None, "user.locked", "user", user.id, None, {"email": user.email, "locked_until": until})
    return _refuse(user, email, "wrong_password")


@unit_of_work
def _right_password(user: User, email: str) -> None:
    """A right password clears the count and any lock; a disabled account is still refused."""
    db.session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user)
    if not user.active:
        raise _refuse(user, email, "disabled")


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """Check a password; count failures and lock the account for a while after too many.

    Each step is its own short unit of work, so no lock is held while a password is hashed.
    """
    now = now or utcnow()
    tried = email.strip().lower()
    user = db.session.execute(select(User).where(func.lower(User.email) == tried)).scalar_one_or_none()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        with transaction():
            raise _refuse(None, tried, "unknown_email")
    if not _reserve_attempt(user.id, now):
        check_password_hash(_dummy_hash(), password)  # a locked account answers as slowly as any other
        with transaction():
            raise _refuse(user, tried, "locked")
    if not user.check_password(password):
        raise _wrong_password(user, tried, now)
    _right_password(user, tried)
    return user


@unit_of_work
def issue_token(user: User) -> tuple[str, ApiToken]:
    """Create an expiring bearer token; the plain token is returned once and never stored."""
    plain = secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(token_hash=_token_digest(plain), user_id=user.id, created_at=now,
                     expires_at=now + timedelta(seconds=current_app.config["TOKEN_TTL_SECONDS"]))
    db.session.add(token)
    db.session.flush()
    record(Actor.of(user), "token.issued", "api_token", token.id, None,
           {"user_id": user.id, "expires_at": token.expires_at})
    return plain, token


def _token_lookup() -> Select[Any]:
    token, user, org, role = (ApiToken.__table__, User.__table__, Organisation.__table__, UserRole.__table__)
    # Plain table columns, built once: no ORM entities to load and no statement to build per request.
    return (select(token.c.revoked_at, token.c.expires_at, user.c.id, user.c.email, user.c.active,
                   user.c.organisation_id, org.c.kind, role.c.role)
            .join(user, user.c.id == token.c.user_id)
            .join(org, org.c.id == user.c.organisation_id)
            .outerjoin(role, role.c.user_id == user.c.id)
            .where(token.c.token_hash == bindparam("digest")))


_TOKEN_LOOKUP = _token_lookup()


def resolve_token(plain: str) -> Actor:
    """Return the actor behind a live token, or raise Unauthorized saying why not.

    Every API request comes through here, so it is one indexed lookup (the token's hash is unique)
    of plain columns: the token, its user, the organisation's kind and the roles, without building
    ORM objects. Nothing is cached: a revoked token or a disabled account is refused at the very
    next request, in every worker.
    """
    rows = db.session.connection().execute(_TOKEN_LOOKUP, {"digest": _token_digest(plain)}).all()
    if not rows:
        raise Unauthorized("unknown token")
    revoked_at, expires_at, user_id, email, active, organisation_id, kind, _ = rows[0]
    if revoked_at is not None:
        raise Unauthorized("this token was revoked")
    if as_utc(expires_at) <= utcnow():
        raise Unauthorized("this token has expired; request a new one")
    if not active:
        raise Unauthorized("this account is disabled")
    return Actor(user_id, email, frozenset(r.role for r in rows if r.role is not None), organisation_id, kind)


@unit_of_work
def revoke_token(plain: str) -> None:
    """Revoke a token so it is refused from now on."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_digest(plain))
    ).scalar_one_or_none()
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        record(Actor.of(token.user), "token.revoked", "api_token", token.id, {"revoked_at": None},
               {"revoked_at": token.revoked_at})


def _validate_roles(roles: list[str], kind: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not roles:
        errors["roles"] = ["give at least one role"]
    for role in roles:
        if role not in ROLE_ORG_KINDS:
            errors.setdefault("roles", []).append(f"unknown role '{role}'")
        elif kind not in ROLE_ORG_KINDS[role]:
            errors.setdefault("roles", []).append(f"a {kind} organisation cannot hold the role '{role}'")
    return errors


@unit_of_work
def create_organisation(actor: Actor | None, kind: str, name: str, country: str) -> Organisation:
    """Create an organisation (fund admins only; None actor is the bootstrap CLI)."""
    if actor is not None:
        require_role(actor, "fund_admin", action="create organisations")
    errors: dict[str, list[str]] = {}
    if kind not in ORG_KINDS:
        errors["kind"] = [f"must be one of {', '.join(ORG_KINDS)}"]
    if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
        errors["name"] = [f"an organisation named '{name}' already exists"]
    if errors:
        raise ValidationFailed("the organisation cannot be created", errors)
    org = Organisation(kind=kind, name=name, country=country.upper())
    db.session.add(org)
    db.session.flush()
    record(actor, "organisation.created", "organisation", org.id, None,
           {"kind": kind, "name": name, "country": org.country})
    return org


@unit_of_work
def create_user(actor: Actor | None, *, email: str, name: str, password: str,
                organisation_id: int, roles: list[str]) -> User:
    """Create a user with roles that fit their organisation (fund admins only)."""
    if actor is not None:
        require_role(actor, "fund_admin", action="create users")
    org = db.session.get(Organisation, organisation_id)
    errors: dict[str, list[str]] = {}
    if org is None:
        errors["organisation_id"] = [f"organisation {organisation_id} does not exist"]
    else:
        errors.update(_validate_roles(roles, org.kind))
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())):
        errors["email"] = [f"a user with e-mail {email} already exists"]
    if len(password) < 10:
        errors["password"] = ["use at least 10 characters"]
    if errors:
        raise ValidationFailed("the user cannot be created", errors)
    user = User(email=email.lower(), name=name, organisation_id=organisation_id)
    user.set_password(password)
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    record(actor, "user.created", "user", user.id, None,
           {"email": user.email, "organisation_id": organisation_id, "roles": sorted(set(roles))})
    return user


def _revoke_tokens(user: User) -> None:
    for token in db.session.execute(select(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).scalars():
        token.revoked_at = utcnow()


@unit_of_work
def set_user_active(actor: Actor, user_id: int, active: bool) -> User:
    """Enable or disable an account; disabling also ends its tokens and web sessions."""
    require_role(actor, "fund_admin", action="disable users")
    user = get_user(user_id)
    if user.id == actor.user_id and not active:
        raise Conflict("you cannot disable your own account")
    before = {"active": user.active}
    user.active = active
    if not active:
        _revoke_tokens(user)
        user.end_sessions()  # enabling again later must not revive them
    record(actor, "user.enabled" if active else "user.disabled", "user", user.id, before,
           {"active": active})
    return user


def user_snapshot(user: User) -> dict[str, Any]:
    """Return the audited state of a user (never the password hash)."""
    return {"email": user.email, "name": user.name, "organisation_id": user.organisation_id,
            "roles": sorted(user.roles), "active": user.active}


@unit_of_work
def update_user(actor: Actor, user_id: int, data: dict[str, Any]) -> User:
    """Change a user's name or roles, or reset their password (fund admins)."""
    require_role(actor, "fund_admin", action="change users")
    user = get_user(user_id)
    before = user_snapshot(user)
    errors: dict[str, list[str]] = {}
    roles = data.get("roles")
    if roles is not None:
        errors.update(_validate_roles(roles, user.organisation.kind))
        if user.id == actor.user_id and "fund_admin" not in roles:
            # Otherwise the last administrator could lock the whole fund out of the platform.
            errors.setdefault("roles", []).append("you cannot take the fund_admin role from yourself")
    password = data.get("password")
    if password is not None and len(password) < 10:
        errors["password"] = ["use at least 10 characters"]
    if errors:
        raise ValidationFailed("the user cannot be changed", errors)
    if "name" in data:
        user.name = data["name"]
    if roles is not None and set(roles) != user.roles:
        keep = [r for r in user.role_rows if r.role in roles]
        user.role_rows = keep + [UserRole(role=r) for r in sorted(set(roles) - user.roles)]
    after = user_snapshot(user)
    if password is not None:
        user.set_password(password)
        user.failed_logins = 0
        user.locked_until = None
        _revoke_tokens(user)  # whoever held the old password loses its tokens and sessions too
        user.end_sessions()
        after["password_reset"] = True
    record(actor, "user.updated", "user", user.id, before, after)
    return user


@unit_of_work
def update_organisation(actor: Actor, org_id: int, data: dict[str, Any]) -> Organisation:
    """Rename an organisation or change its country (fund admins)."""
    require_role(actor, "fund_admin", action="change organisations")
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    name = data.get("name")
    if name is not None and name != org.name and db.session.scalar(
            select(Organisation.id).where(Organisation.name == name, Organisation.id != org.id)):
        raise ValidationFailed("the organisation cannot be changed",
                               {"name": [f"an organisation named '{name}' already exists"]})
    before = {"name": org.name, "country": org.country}
    if name is not None:
        org.name = name
    if data.get("country") is not None:
        org.country = data["country"].upper()
    record(actor, "organisation.updated", "organisation", org.id, before,
           {"name": org.name, "country": org.country})
    return org


def require_user_manager(actor: Actor) -> None:
    """Refuse anyone but a fund admin the pages that change users."""
    require_role(actor, "fund_admin", action="manage users")


def organisations_query(actor: Actor, args: dict[str, Any] | None = None) -> Select[Any]:
    """Every organisation (fund admins and the fund's auditors); the list spec filters and sorts."""
    require_portfolio(actor, action="list organisations")
    return select(Organisation)


def organisation_choices(actor: Actor, kind: str | None = None) -> list[Organisation]:
    """Return every organisation (of a kind), for the pick lists of the admin pages."""
    require_portfolio(actor, action="list organisations")
    stmt = select(Organisation).order_by(Organisation.name)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    return list(db.session.execute(stmt).scalars())


def get_organisation(actor: Actor, org_id: int) -> Organisation:
    """Load one organisation (fund admins and the fund's auditors)."""
    require_portfolio(actor, action="read organisations")
    org = db.session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    return org


def users_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """Users, of one organisation if asked (fund admins and the fund's auditors); the list spec does the rest."""
    require_portfolio(actor, action="list users")
    stmt = select(User)
    if args.get("organisation_id"):
        stmt = stmt.where(User.organisation_id == args["organisation_id"])
    return stmt


def read_user(actor: Actor, user_id: int) -> User:
    """Load one user (fund admins and the fund's auditors)."""
    require_portfolio(actor, action="read users")
    return get_user(user_id)


def get_user(user_id: int) -> User:
    """Load a user by id."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user
