"""The permission layer: who the caller is, what they may do, and what they may see.

Every service takes an :class:`Actor`. Role checks go through :func:`require_role`; reads go
through :func:`visible` / :func:`get_visible`, which apply the scoping rule registered for the
model, so an out-of-scope object answers 404 exactly like a missing one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import ColumnElement

from ..errors import Forbidden, FourEyesViolation, NotFound
from ..extensions import db
from .models import User

T = TypeVar("T")

# Roles that read everything in scope of the whole fund.
PORTFOLIO_ROLES = frozenset({"fund_admin", "auditor"})


@dataclass(frozen=True)
class Actor:
    """The person behind a request, with what the permission layer needs to know."""

    user_id: int
    email: str
    roles: frozenset[str]
    organisation_id: int
    organisation_kind: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.email, user.roles, user.organisation_id, user.organisation.kind)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_portfolio(self) -> bool:
        """Fund admins and auditors see everything; an auditor of a bank only the bank's scope."""
        if "fund_admin" in self.roles:
            return True
        return "auditor" in self.roles and self.organisation_kind == "fund"


ScopeRule = Callable[[Actor], "ColumnElement[bool] | None"]
_SCOPES: dict[type, ScopeRule] = {}


def scope(model: type) -> Callable[[ScopeRule], ScopeRule]:
    """Register the scoping rule of a model: a filter, or None for 'everything'."""

    def register(rule: ScopeRule) -> ScopeRule:
        _SCOPES[model] = rule
        return rule

    return register


def scope_filter(model: type, actor: Actor) -> ColumnElement[bool] | None:
    """Return the filter that limits ``model`` to what ``actor`` may see (None: no limit)."""
    if actor.sees_portfolio:
        return None
    rule = _SCOPES.get(model)
    if rule is None:
        # A model without a rule is visible only to the portfolio roles: fail closed.
        return false()
    return rule(actor)


def visible(model: type[T], actor: Actor, stmt: Select[Any] | None = None) -> Select[Any]:
    """Return a SELECT of ``model`` limited to the caller's scope."""
    stmt = stmt if stmt is not None else select(model)
    condition = scope_filter(model, actor)
    return stmt if condition is None else stmt.where(condition)


def get_visible(model: type[T], ident: int, actor: Actor, *, what: str | None = None) -> T:
    """Load one object in the caller's scope, or raise NotFound as if it did not exist."""
    held = db.session.identity_map.get(identity_key(model, ident))
    if held is not None:
        # Already in the session (a service calling another): only the scope is asked of the
        # database. Selecting the object again would run its eager loaders anew (a loan's whole
        # schedule), to keep what the session already holds.
        found = db.session.scalar(visible(model, actor, select(model.id)).where(model.id == ident))  # type: ignore[attr-defined]
        obj = held if found is not None else None
    else:
        stmt = visible(model, actor).where(model.id == ident)  # type: ignore[attr-defined]
        obj = db.session.execute(stmt).scalars().first()
    if obj is None:
        raise NotFound(f"{what or model.__name__.lower()} {ident} not found")
    return obj


def require_role(actor: Actor, *roles: str, action: str = "do this") -> None:
    """Raise Forbidden unless the actor holds one of ``roles``."""
    if not actor.has(*roles):
        raise Forbidden(f"you need the role {' or '.join(roles)} to {action}")


def require_portfolio(actor: Actor, action: str = "do this") -> None:
    """Raise Forbidden unless the actor sees the whole fund (fund admins, the fund's auditors)."""
    require_role(actor, *sorted(PORTFOLIO_ROLES), action=action)
    if not actor.sees_portfolio:
        # An auditor placed at a bank or NCPC reads only its own organisation's scope.
        raise Forbidden(f"only the fund's administrators and auditors may {action}")


def check_four_eyes(actor: Actor, proposer_id: int | None, what: str) -> None:
    """Refuse when the person confirming is the one who proposed (four eyes)."""
    if proposer_id is not None and proposer_id == actor.user_id:
        raise FourEyesViolation(f"you proposed this {what}; another person must confirm it")
